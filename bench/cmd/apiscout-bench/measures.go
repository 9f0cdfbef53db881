package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/tasks"
)

// Sizes of the measured workloads (from issue 7).
const (
	bigRequests     = 10000
	bigBytes        = 25<<20 - 100<<10 // just under the default 25 MiB upload limit
	importRequests  = 10000
	replayRequests  = 2000
	replayLatency   = 10 * time.Millisecond
	enqueueTasks    = 20000
	rateLimitRPS    = 50
	rateLimitReqs   = 300
	workerConcurrey = config.DefaultWorkerConcurrency
)

// importLimit bounds the wait for one import (-import-timeout).
var importLimit = 20 * time.Minute

// heapSampler records the peak of heap objects while it runs.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(500 * time.Microsecond)
		defer t.Stop()
		for {
			if v := heapNow(); v > h.peak {
				h.peak = v
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// measure runs fn three times and returns the median time and peak heap
// above the level before each run.
func measure(fn func()) (time.Duration, int64) {
	var ds []time.Duration
	var ps []int64
	for range 3 {
		runtime.GC()
		base := heapNow()
		h := startHeapSampler()
		start := time.Now()
		fn()
		d := time.Since(start)
		if v := heapNow(); v > h.peak {
			h.peak = v
		}
		close(h.stop)
		<-h.done
		ds = append(ds, d)
		ps = append(ps, int64(h.peak)-int64(base))
	}
	slices.Sort(ds)
	slices.Sort(ps)
	return ds[1], ps[1]
}

func bigCollectionFile(dir string) (string, []byte, error) {
	path := filepath.Join(dir, "collection-25mib.json")
	if data, err := os.ReadFile(path); err == nil {
		return path, data, nil
	}
	data := postman.GenerateCollection(bigRequests, 0.5, bigBytes)
	return path, data, os.WriteFile(path, data, 0o644)
}

func benchParse(ctx context.Context, s *stack, dir, nodeDir string) ([]row, error) {
	path, data, err := bigCollectionFile(dir)
	if err != nil {
		return nil, err
	}
	var perr error
	var nreq int
	planTime, planHeap := measure(func() {
		coll, err := postman.Parse(data, postman.Options{})
		if err != nil {
			perr = err
			return
		}
		plan := inventory.PlanImport(coll, "col_bench", inventory.PlanOptions{
			AccountID: "acc_bench", ImportID: "imp_bench", Now: time.Now(), SampleBodyMax: config.DefaultSampleBodyMax,
		})
		nreq = len(plan.Outcomes)
		runtime.KeepAlive(plan)
	})
	if perr != nil {
		return nil, perr
	}
	jsonTime, jsonHeap := measure(func() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			perr = err
		}
		runtime.KeepAlive(v)
	})
	if perr != nil {
		return nil, perr
	}
	var sdk struct {
		MS       float64 `json:"ms"`
		Items    int     `json:"items"`
		Retained int64   `json:"heap_retained_bytes"`
		MaxRSS   int64   `json:"max_rss_bytes"`
	}
	cmd := exec.CommandContext(ctx, "node", "--expose-gc", filepath.Join(nodeDir, "parse.js"), path, "3")
	cmd.Env = cleanEnv()
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("node parse.js: %w", err)
	}
	if err := json.Unmarshal(outb, &sdk); err != nil {
		return nil, fmt.Errorf("node parse.js: %w: %s", err, outb)
	}
	sdkTime := time.Duration(sdk.MS * float64(time.Millisecond))
	size := int64(len(data))
	return []row{
		{n: 1, what: fmt.Sprintf("parse + plan, %s file, %d requests (%d in SDK), time", mib(size), nreq, sdk.Items),
			apiscout:  secs(planTime),
			reference: fmt.Sprintf("postman-collection SDK %s; Go encoding/json decode %s", secs(sdkTime), secs(jsonTime)),
			ratio:     fmt.Sprintf("%.1fx faster than SDK; %.1fx the json floor", sdkTime.Seconds()/planTime.Seconds(), planTime.Seconds()/jsonTime.Seconds()),
			goal:      "<= 0.5 s", met: planTime <= 500*time.Millisecond},
		{n: 1, what: "parse + plan, peak heap",
			apiscout:  mib(planHeap),
			reference: fmt.Sprintf("encoding/json decode %s; SDK heap retained %s (node max RSS %s)", mib(jsonHeap), mib(sdk.Retained), mib(sdk.MaxRSS)),
			ratio:     fmt.Sprintf("%.1fx file size; %.1fx the json floor", float64(planHeap)/float64(size), float64(planHeap)/float64(jsonHeap)),
			goal:      fmt.Sprintf("<= 4x file (%s)", mib(4*size)), met: planHeap <= 4*size},
	}, nil
}

// enqueueScript is asynq v0.26's enqueue script, run by redis-benchmark.
const enqueueScript = `if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end ` +
	`redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "pending", "pending_since", ARGV[3]) ` +
	`redis.call("LPUSH", KEYS[2], ARGV[2]) return 1`

func benchEnqueue(ctx context.Context, s *stack, dir, nodeDir string) ([]row, error) {
	const asynqDB, benchDB = 3, 4
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: s.redisAddr, DB: asynqDB})
	defer client.Close()
	enqueue := func(i int) error {
		t, err := tasks.NewReplayRequest(tasks.ReplayRequest{ImportID: "imp_bench_enqueue", AccountID: "acc_bench", Index: i}, config.DefaultReplayMaxRetry, time.Minute)
		if err != nil {
			return err
		}
		_, err = client.EnqueueContext(ctx, t)
		return err
	}
	for i := range 200 { // warm up: connection, script load
		if err := enqueue(-1 - i); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	for i := range enqueueTasks {
		if err := enqueue(i); err != nil {
			return nil, err
		}
	}
	rate := float64(enqueueTasks) / time.Since(start).Seconds()

	host, port, _ := net.SplitHostPort(s.redisAddr)
	payload := strings.Repeat("p", 160) // about an encoded replay task message
	out, err := exec.CommandContext(ctx, "redis-benchmark", "-h", host, "-p", port, "--dbnum", strconv.Itoa(benchDB),
		"-c", "1", "-n", strconv.Itoa(enqueueTasks), "-r", "100000000", "--csv",
		"EVAL", enqueueScript, "2", "bench:t:__rand_int__", "bench:pending", payload, "__rand_int__", "1700000000000000000").Output()
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	// The test name holds commas: rps is the seventh field from the end.
	fields := strings.Split(lines[len(lines)-1], ",")
	if len(fields) < 8 {
		return nil, fmt.Errorf("redis-benchmark output: %s", out)
	}
	ref, err := strconv.ParseFloat(strings.Trim(fields[len(fields)-7], `"`), 64)
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark output: %s", out)
	}
	for _, db := range []int{asynqDB, benchDB} {
		rc := redis.NewClient(&redis.Options{Addr: s.redisAddr, DB: db})
		_ = rc.FlushDB(ctx).Err()
		rc.Close()
	}
	return []row{{n: 4, what: fmt.Sprintf("enqueue replay tasks, %d, one client", enqueueTasks),
		apiscout:  fmt.Sprintf("%.0f tasks/s", rate),
		reference: fmt.Sprintf("redis-benchmark -c 1, same script: %.0f/s", ref),
		ratio:     fmt.Sprintf("%.0f%%", 100*rate/ref),
		goal:      ">= 50% of redis-benchmark", met: rate >= ref/2}}, nil
}

func benchRSS(ctx context.Context, s *stack, dir, nodeDir string) ([]row, error) {
	_, data, err := bigCollectionFile(dir)
	if err != nil {
		return nil, err
	}
	// The import must land on the fresh worker measured here.
	for _, w := range s.workers {
		w.stop()
	}
	s.workers = nil
	w, err := s.startWorker(ctx, nil)
	if err != nil {
		return nil, err
	}
	idle, _ := w.peakRSS()
	doc, took, err := s.importTimed(ctx, data, "", importLimit)
	if err != nil {
		return nil, err
	}
	peak, err := w.peakRSS()
	if err != nil {
		return nil, err
	}
	w.stop()
	s.workers = slices.DeleteFunc(s.workers, func(x *worker) bool { return x == w })
	return []row{{n: 6, what: fmt.Sprintf("worker peak RSS, import of the %s file (%d requests, %d samples, %s)", mib(int64(len(data))), doc.Counts.Total, doc.Counts.Samples, secs(took)),
		apiscout:  mib(peak),
		reference: fmt.Sprintf("idle worker %s; file %s", mib(idle), mib(int64(len(data)))),
		ratio:     fmt.Sprintf("%.1fx file size", float64(peak)/float64(len(data))),
		goal:      "<= 300 MiB", met: peak <= 300<<20}}, nil
}

// collection renders a v2.1 collection of GET items.
func collection(id string, n int, url func(i int) string, example bool) []byte {
	items := make([]map[string]any, n)
	for i := range n {
		it := map[string]any{"name": fmt.Sprintf("get %d", i), "request": map[string]any{"method": "GET", "url": url(i)}}
		if example {
			it["response"] = []map[string]any{{"name": "ok", "code": 200, "status": "OK",
				"header": []map[string]any{{"key": "Content-Type", "value": "application/json"}},
				"body":   fmt.Sprintf(`{"id": %d, "name": "item %d", "tags": ["a", "b"]}`, i, i)}}
		}
		items[i] = it
	}
	data, _ := json.Marshal(map[string]any{
		"info": map[string]any{"_postman_id": id, "name": id,
			"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"item": items,
	})
	return data
}

// importRounds is how many times row 2 measures the raw write and the
// import, alternately: the database's rate varies from one second to the
// next on a shared machine, so the row compares medians.
const importRounds = 3

func benchImport(ctx context.Context, s *stack, dir, nodeDir string) ([]row, error) {
	if _, err := s.startWorker(ctx, nil); err != nil {
		return nil, err
	}
	var raws, rates []float64
	var took []time.Duration
	for round := range importRounds {
		data := collection("bench-import-"+randomHex(4), importRequests, func(i int) string {
			return fmt.Sprintf("https://api.bench.invalid/v1/%s/items", word(i))
		}, true)

		// Reference: the same number of sample documents, written by the store.
		coll, err := postman.Parse(data, postman.Options{})
		if err != nil {
			return nil, err
		}
		// Sample ids derive from the collection id: each round's are new.
		plan := inventory.PlanImport(coll, fmt.Sprintf("col_raw_%d", round), inventory.PlanOptions{AccountID: "acc_raw", ImportID: "imp_raw", Now: time.Now()})
		var samples []inventory.Sample
		for _, o := range plan.Observations {
			samples = append(samples, o.Samples...)
		}
		if len(samples) != importRequests {
			return nil, fmt.Errorf("raw reference: %d samples, want %d", len(samples), importRequests)
		}
		start := time.Now()
		if err := s.store.SaveSamples(ctx, samples); err != nil {
			return nil, err
		}
		raws = append(raws, float64(len(samples))/time.Since(start).Seconds())

		doc, d, err := s.importTimed(ctx, data, "", importLimit)
		if err != nil {
			return nil, err
		}
		if doc.Counts.Imported != importRequests || doc.Counts.EndpointsCreated != importRequests {
			return nil, fmt.Errorf("import: %d imported, %d endpoints created, want %d", doc.Counts.Imported, doc.Counts.EndpointsCreated, importRequests)
		}
		took = append(took, d)
		rates = append(rates, float64(importRequests)/d.Seconds())
		fmt.Fprintf(os.Stderr, "bench:   round %d: raw %.0f docs/s, import %s\n", round+1, raws[round], secs(d))
	}
	raw, rate := median(raws), median(rates)
	slices.Sort(took)
	return []row{{n: 2, what: fmt.Sprintf("import with saved responses, %d requests x 1 example (median of %d: %s)", importRequests, importRounds, secs(took[len(took)/2])),
		apiscout:  fmt.Sprintf("%.0f req/s", rate),
		reference: fmt.Sprintf("store bulk write of %d samples: %.0f docs/s (median of %d)", importRequests, raw, importRounds),
		ratio:     fmt.Sprintf("%.0f%%", 100*rate/raw),
		goal:      ">= 50% of raw", met: rate >= raw/2}}, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// word spells i in letters ("a", "b", ... "ba", ...): a path segment that
// stays literal, so every request of the import bench is its own endpoint
// (numbers would be templated into one).
func word(i int) string {
	b := []byte{byte('a' + i%26)}
	for i /= 26; i > 0; i /= 26 {
		b = append([]byte{byte('a' + i%26)}, b...)
	}
	return string(b)
}

// target is a local HTTP server that answers 200 after a fixed latency and
// records arrival times.
type target struct {
	srv   *http.Server
	url   string
	hits  atomic.Int64
	mu    sync.Mutex
	times []time.Time
}

func startTarget(latency time.Duration) (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &target{url: "http://" + ln.Addr().String()}
	t.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.hits.Add(1)
		t.mu.Lock()
		t.times = append(t.times, time.Now())
		t.mu.Unlock()
		time.Sleep(latency)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path": %q}`, r.URL.Path)
	})}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

func (t *target) reset() {
	t.hits.Store(0)
	t.mu.Lock()
	t.times = nil
	t.mu.Unlock()
}

func benchReplay(ctx context.Context, s *stack, dir, nodeDir string) ([]row, error) {
	tg, err := startTarget(replayLatency)
	if err != nil {
		return nil, err
	}
	defer tg.srv.Close()
	data := collection("bench-replay-"+randomHex(4), replayRequests, func(i int) string {
		return fmt.Sprintf("%s/items/%d", tg.url, i)
	}, false)
	path := filepath.Join(dir, "replay.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, err
	}

	if len(s.workers) == 0 {
		if _, err := s.startWorker(ctx, nil); err != nil {
			return nil, err
		}
	}
	doc, took, err := s.importTimed(ctx, data, `{"allow_replay": true, "max_rps_per_host": 10000}`, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	if n := tg.hits.Load(); n != replayRequests || doc.Counts.Imported != replayRequests {
		return nil, fmt.Errorf("apiscout replay: %d hits, %d imported, want %d", n, doc.Counts.Imported, replayRequests)
	}

	tg.reset()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(nodeDir, "node_modules", "newman", "bin", "newman.js"), "run", path, "--silent")
	cmd.Env = cleanEnv("NO_PROXY=*")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("newman: %w", err)
	}
	newman := time.Since(start)
	if n := tg.hits.Load(); n != replayRequests {
		return nil, fmt.Errorf("newman: %d hits, want %d", n, replayRequests)
	}
	floor := time.Duration(replayRequests) * replayLatency / workerConcurrey
	return []row{{n: 3, what: fmt.Sprintf("replay %d GETs, target latency %s", replayRequests, replayLatency),
		apiscout:  secs(took),
		reference: fmt.Sprintf("newman run %s; floor %d x %s / %d = %s", secs(newman), replayRequests, replayLatency, workerConcurrey, secs(floor)),
		ratio:     fmt.Sprintf("%.1fx faster than Newman; %.1fx the floor", newman.Seconds()/took.Seconds(), took.Seconds()/floor.Seconds()),
		goal:      ">= 20x faster than Newman", met: newman >= 20*took}}, nil
}

func benchRateLimit(ctx context.Context, s *stack, dir, nodeDir string) ([]row, error) {
	for len(s.workers) < 2 {
		if _, err := s.startWorker(ctx, nil); err != nil {
			return nil, err
		}
	}
	tg, err := startTarget(0)
	if err != nil {
		return nil, err
	}
	defer tg.srv.Close()
	data := collection("bench-rate-"+randomHex(4), rateLimitReqs, func(i int) string {
		return fmt.Sprintf("%s/limited/%d", tg.url, i)
	}, false)
	id, err := s.upload(data, fmt.Sprintf(`{"allow_replay": true, "max_rps_per_host": %d}`, rateLimitRPS))
	if err != nil {
		return nil, err
	}
	if _, err := s.wait(ctx, id, 10*time.Minute); err != nil {
		return nil, err
	}
	tg.mu.Lock()
	times := slices.Clone(tg.times)
	tg.mu.Unlock()
	if len(times) != rateLimitReqs {
		return nil, fmt.Errorf("rate limit: %d hits, want %d", len(times), rateLimitReqs)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	span := times[len(times)-1].Sub(times[0])
	rate := float64(len(times)-1) / span.Seconds()
	dev := (rate - rateLimitRPS) / rateLimitRPS
	return []row{{n: 5, what: fmt.Sprintf("per-host rate limit, %d GETs, 2 worker processes", rateLimitReqs),
		apiscout:  fmt.Sprintf("%.2f req/s", rate),
		reference: fmt.Sprintf("configured %d req/s", rateLimitRPS),
		ratio:     fmt.Sprintf("%+.1f%%", 100*dev),
		goal:      "within 5%", met: dev <= 0.05 && dev >= -0.05}}, nil
}
