// Command apiscout-bench measures apiscout side by side with its references
// (Postman's SDK, Newman, the raw store, redis-benchmark) in one run and
// writes the table as Markdown. Run it through `make bench` (bench/run.sh),
// which installs the npm references first.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "apiscout-bench:", err)
		os.Exit(1)
	}
}

// row is one line of the results table.
type row struct {
	n         int
	what      string
	apiscout  string
	reference string
	ratio     string
	goal      string
	met       bool
	noGoal    bool
}

func run(ctx context.Context) error {
	out := flag.String("out", "bench/results/latest.md", "Markdown output file")
	nodeDir := flag.String("node", "bench/node", "folder with the npm references installed")
	skip := flag.String("skip", "", "comma-separated steps to leave out: parse, enqueue, rss, import, replay, ratelimit")
	flag.DurationVar(&importLimit, "import-timeout", importLimit, "longest wait for one import")
	keep := flag.Bool("keep", false, "keep the run's folder (worker logs, binaries) and print where it is")
	flag.Parse()

	dir, err := os.MkdirTemp("", "apiscout-bench-")
	if err != nil {
		return err
	}
	if *keep {
		defer fmt.Fprintln(os.Stderr, "bench: kept", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	fmt.Fprintln(os.Stderr, "bench: starting redis-server, FerretDB, API; building the worker")
	s, err := startStack(ctx, dir)
	if err != nil {
		return err
	}
	defer s.close()
	if s.logLevel = "warn"; *keep {
		s.logLevel = "info"
	}

	loadStart := loadAvg()
	var rows []row
	steps := []struct {
		name string
		n    int
		fn   func(context.Context, *stack, string, string) ([]row, error)
	}{
		{"parse", 1, benchParse},
		{"enqueue", 4, benchEnqueue},
		// Replay and rate limit run before the two 10,000-endpoint imports:
		// FerretDB answers filters other than _id by scanning the whole
		// collection, so the 20,000 endpoints rows 2 and 6 leave behind
		// would add their scans to the replay row (measured: 3.0 s after
		// them, 1.5-2.2 s before). MongoDB answers them from indexes.
		{"replay", 3, benchReplay},
		{"ratelimit", 5, benchRateLimit},
		{"rss", 6, benchRSS},
		{"import", 2, benchImport},
	}
	skipped := map[string]bool{}
	for _, k := range strings.Split(*skip, ",") {
		skipped[strings.TrimSpace(k)] = true
	}
	for _, st := range steps {
		if skipped[st.name] {
			rows = append(rows, row{n: st.n, what: st.name, apiscout: "not measured (skipped with -skip)", noGoal: true})
			continue
		}
		fmt.Fprintln(os.Stderr, "bench:", st.name)
		r, err := st.fn(ctx, s, dir, *nodeDir)
		if err != nil {
			// A failed step is reported, not hidden, and the others still run.
			fmt.Fprintf(os.Stderr, "bench: %s failed: %v\n", st.name, err)
			r = []row{{n: st.n, what: st.name, apiscout: "failed: " + strings.ReplaceAll(err.Error(), "|", "/"), goal: "", met: false}}
		}
		for _, x := range r {
			fmt.Fprintf(os.Stderr, "bench:   %s: %s | %s | %s\n", x.what, x.apiscout, x.reference, x.ratio)
		}
		rows = append(rows, r...)
	}
	s.stopWorkers()

	md := render(rows, s.backend, loadStart+" at start, "+loadAvg()+" at end")
	fmt.Print(md)
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: wrote", *out)
	return nil
}

func render(rows []row, backend, load string) string {
	var b strings.Builder
	commit := gitOut("rev-parse", "HEAD")
	if gitOut("status", "--porcelain", "--untracked-files=no") != "" {
		commit += " (with uncommitted changes)"
	}
	fmt.Fprintf(&b, "# apiscout benchmarks\n\n")
	fmt.Fprintf(&b, "- commit: `%s`\n- date: %s\n- machine: %d CPUs, %s %s/%s, node %s\n",
		commit, time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, nodeVersion())
	fmt.Fprintf(&b, "- load average (1/5/15 min; the machine is shared): %s\n", load)
	fmt.Fprintf(&b, "- database: %s; Redis: a dedicated redis-server process (no persistence); API in the bench process; workers are real `worker` processes built for the run\n\n", backend)
	b.WriteString("| # | measure | apiscout | reference | ratio | goal | result |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		res := "met"
		switch {
		case r.noGoal:
			res = "—"
		case !r.met:
			res = "**not met**"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n", r.n, r.what, r.apiscout, r.reference, r.ratio, r.goal, res)
	}
	b.WriteString(notes)
	return b.String()
}

const notes = `
Notes:
- 1: one in-memory file, median of 3 runs. Go heap is the peak of live+unswept heap objects
  (runtime/metrics, sampled every 0.5 ms) above the level before the run; Node's figure is the
  heap still used after building the SDK objects (V8 cannot be sampled during a synchronous parse).
- 2: wall time from upload to "completed", 1 worker process at default settings; every request is
  its own endpoint, so the import writes a sample and an endpoint per request, and outcome rows
  (plus the stored file, the change feed); the reference writes only the same number of sample
  documents through the store's bulk write (SaveSamples: inserts in chunks of store.MaxBulk, one
  at a time). Three rounds, raw write and import alternately; the medians are compared. Each
  import's steps are in its worker's log (` + "`import completed`, `steps`" + `; run with -keep).
- 3: runs before rows 2 and 6 (FerretDB scans what they leave behind; see main.go). Upload to
  "completed" (samples written, import finalized), 1 worker process at default
  concurrency (` + "`APISCOUT_WORKER_CONCURRENCY`" + `), max_rps_per_host 10000; Newman's wall time
  includes Node's start-up; Newman sends one request after another.
- 4: one client enqueuing one task at a time (asynq's enqueue script via EVALSHA) vs redis-benchmark
  with one connection running the same script body with EVAL.
- 5: two worker processes sharing the Redis limiter; rate = (requests - 1) / (last - first arrival).
- 6: VmHWM of a fresh worker process that ran only the 25 MiB import.
`

func gitOut(args ...string) string {
	b, err := exec.Command("git", args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func nodeVersion() string {
	b, err := exec.Command("node", "--version").Output()
	if err != nil {
		return "unavailable"
	}
	return strings.TrimSpace(string(b))
}

// loadAvg is the machine's 1, 5 and 15 minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
