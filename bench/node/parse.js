// Reference for make bench: Postman's own SDK parses a collection file.
// Usage: node parse.js FILE RUNS. Prints JSON: median ms, items, heap.
'use strict';
const fs = require('fs');
const { Collection } = require('postman-collection');

const [file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg) || 3;
const text = fs.readFileSync(file, 'utf8'); // read outside the timing, as the Go side
const times = [];
let items = 0;
let heapDelta = 0;
for (let r = 0; r < runs; r++) {
  if (global.gc) global.gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const c = new Collection(JSON.parse(text));
  let n = 0;
  c.forEachItem((item) => {
    n++;
    // touch what a plan needs: method, URL, examples
    void item.request.method;
    void item.request.url.toString();
    item.responses.each((res) => void res.code);
  });
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  heapDelta = Math.max(heapDelta, process.memoryUsage().heapUsed - before);
  items = n;
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({
  ms: times[Math.floor(times.length / 2)],
  items,
  heap_retained_bytes: heapDelta,
  max_rss_bytes: process.resourceUsage().maxRSS * 1024,
}));
