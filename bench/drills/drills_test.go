//go:build drills

// Package drills holds the fault drills of `make drills`: real api, worker,
// redis-server and FerretDB processes, killed or restarted mid-import of a
// collection with saved responses and replays. They need redis-server on
// the PATH and take minutes; they are not part of `make test`.
package drills

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	apiserver "github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/store"
)

// Binaries are built once per test process.
var bins struct {
	once sync.Once
	dir  string
	err  error
}

func binaries(t *testing.T) string {
	t.Helper()
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "apiscout-drills-bin-")
		if bins.err != nil {
			return
		}
		for name, pkg := range map[string]string{"api": "../../api", "worker": "../../worker", "ferretdb": "../cmd/ferretdb"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(bins.dir, name), pkg).CombinedOutput()
			if err != nil {
				bins.err = fmt.Errorf("build %s: %v: %s", name, err, out)
				return
			}
		}
	})
	require.NoError(t, bins.err)
	return bins.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.dir != "" {
		_ = os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a child process the drill controls.
type proc struct {
	name string
	args []string
	env  []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start(t *testing.T) {
	t.Helper()
	p.cmd = exec.Command(p.name, p.args...)
	p.cmd.Env = p.env
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	require.NoError(t, p.cmd.Start())
	done := make(chan struct{})
	p.done = done
	go func() { _ = p.cmd.Wait(); f.Close(); close(done) }()
}

// kill sends sig and waits for the process to end.
func (p *proc) kill(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// bundle is a running apiscout made of processes.
type bundle struct {
	dir       string
	bin       string
	redisAddr string
	redis     *proc
	mongoAddr string
	mongo     *proc
	api       *proc
	apiURL    string
	workers   []*proc
	token     string
	dbName    string
}

func setup(t *testing.T, workers int) *bundle {
	t.Helper()
	b := &bundle{dir: t.TempDir(), bin: binaries(t), dbName: "drill"}
	b.redisAddr = freeAddr(t)
	_, port, _ := net.SplitHostPort(b.redisAddr)
	// Persistence on, as in production.
	b.redis = &proc{name: "redis-server", args: []string{"--bind", "127.0.0.1", "--port", port,
		"--dir", b.dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""},
		env: os.Environ(), log: filepath.Join(b.dir, "redis.log")}
	b.startRedis(t)

	b.mongoAddr = freeAddr(t)
	args := []string{"-addr", b.mongoAddr, "-dir", filepath.Join(b.dir, "ferretdb")}
	if pg := os.Getenv("APISCOUT_TEST_POSTGRES_URL"); pg != "" {
		args = []string{"-addr", b.mongoAddr, "-postgres", pg}
		b.dbName = "drill_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	b.mongo = &proc{name: filepath.Join(b.bin, "ferretdb"), args: args, env: os.Environ(), log: filepath.Join(b.dir, "ferretdb.log")}
	b.startMongo(t)

	apiAddr := freeAddr(t)
	b.apiURL = "http://" + apiAddr
	b.api = &proc{name: filepath.Join(b.bin, "api"), env: b.env(map[string]string{"APISCOUT_HTTP_ADDR": apiAddr}), log: filepath.Join(b.dir, "api.log")}
	b.api.start(t)
	waitHTTP(t, b.apiURL+"/readyz")
	for range workers {
		b.startWorker(t)
	}
	t.Cleanup(func() {
		for _, w := range b.workers {
			w.kill(syscall.SIGTERM)
		}
		b.api.kill(syscall.SIGTERM)
		if b.dbName != "drill" { // PostgreSQL: drop our schema
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if c, err := mongo.Connect(ctx, options.Client().ApplyURI(b.mongoURI())); err == nil {
				_ = c.Database(b.dbName).Drop(ctx)
				_ = c.Disconnect(ctx)
			}
			cancel()
		}
		b.mongo.kill(syscall.SIGTERM)
		b.redis.kill(syscall.SIGTERM)
		if t.Failed() {
			for _, f := range []string{"api.log", "worker.log", "ferretdb.log", "redis.log"} {
				data, _ := os.ReadFile(filepath.Join(b.dir, f))
				if len(data) > 4000 {
					data = data[len(data)-4000:]
				}
				t.Logf("--- %s (tail)\n%s", f, data)
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, b.mongoURI(), b.dbName)
	require.NoError(t, err)
	defer st.Close(ctx)
	_, b.token, err = apiserver.Provision(ctx, st, "acc_drill", "drill", "", time.Now())
	require.NoError(t, err)
	return b
}

func (b *bundle) mongoURI() string { return "mongodb://" + b.mongoAddr + "/" }

func (b *bundle) env(extra map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"APISCOUT_REDIS_URL=redis://" + b.redisAddr + "/0",
		"APISCOUT_MONGO_URI=" + b.mongoURI(),
		"APISCOUT_MONGO_DB=" + b.dbName,
		"APISCOUT_LOG_LEVEL=warn",
		"APISCOUT_SHUTDOWN_TIMEOUT=5s",
		"APISCOUT_REPLAY_EGRESS=allowlist",
		"APISCOUT_REPLAY_ALLOW_CIDRS=127.0.0.1",
		// Every sample is kept, so the drills can check each request has
		// exactly one.
		"APISCOUT_SAMPLES_PER_ENDPOINT=100000",
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

func (b *bundle) startRedis(t *testing.T) {
	t.Helper()
	b.redis.start(t)
	rc := redis.NewClient(&redis.Options{Addr: b.redisAddr})
	defer rc.Close()
	waitUntil(t, 20*time.Second, "redis-server answers", func() bool { return rc.Ping(context.Background()).Err() == nil })
}

func (b *bundle) startMongo(t *testing.T) {
	t.Helper()
	b.mongo.start(t)
	waitUntil(t, 60*time.Second, "FerretDB listens", func() bool {
		c, err := net.DialTimeout("tcp", b.mongoAddr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

func (b *bundle) startWorker(t *testing.T) *proc {
	t.Helper()
	admin := freeAddr(t)
	w := &proc{name: filepath.Join(b.bin, "worker"), env: b.env(map[string]string{"APISCOUT_WORKER_ADMIN_ADDR": admin}),
		log: filepath.Join(b.dir, "worker.log")}
	w.start(t)
	waitHTTP(t, "http://"+admin+"/readyz")
	b.workers = append(b.workers, w)
	return w
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	waitUntil(t, 60*time.Second, url+" is ready", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func waitUntil(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// upload posts a collection (multipart with options) and returns status,
// import id and latency.
func (b *bundle) upload(data []byte, opts string) (int, string, time.Duration, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "c.json")
	_, _ = fw.Write(data)
	if opts != "" {
		_ = mw.WriteField("options", opts)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.apiURL+"/v1/imports", &body)
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	took := time.Since(start)
	var v struct{ ID string }
	_ = json.Unmarshal(raw, &v)
	return resp.StatusCode, v.ID, took, nil
}

type importDoc struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Counts struct {
		Total    int            `json:"total"`
		Imported int            `json:"imported"`
		Samples  int            `json:"samples"`
		Skipped  map[string]int `json:"skipped"`
		Replay   *struct {
			Total int `json:"total"`
			Done  int `json:"done"`
		} `json:"replay"`
	} `json:"counts"`
}

func (b *bundle) status(id string) (int, importDoc, time.Duration, error) {
	req, _ := http.NewRequest(http.MethodGet, b.apiURL+"/v1/imports/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, importDoc{}, 0, err
	}
	defer resp.Body.Close()
	var d importDoc
	_ = json.NewDecoder(resp.Body).Decode(&d)
	return resp.StatusCode, d, time.Since(start), nil
}

// waitDone polls an import until it is finished, tolerating errors while
// a dependency is down.
func (b *bundle) waitDone(t *testing.T, id string, limit time.Duration) importDoc {
	t.Helper()
	var d importDoc
	waitUntil(t, limit, "import "+id+" finishes", func() bool {
		code, doc, _, err := b.status(id)
		if err != nil || code != http.StatusOK {
			return false
		}
		d = doc
		return doc.Status == "completed" || doc.Status == "failed" || doc.Status == "cancelled"
	})
	return d
}

// target answers every GET with 200 after a delay, counting hits.
func newTarget(t *testing.T, delay time.Duration) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path": %q}`, r.URL.Path)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), &hits
}

// drillCollection has saved requests with one example each and replayed
// GETs against target: two endpoints (/saved/{param} and
// /replayed/{param}), one sample per request.
func drillCollection(id string, saved, replayed int, target string) []byte {
	var items []map[string]any
	for i := range saved {
		items = append(items, map[string]any{"name": fmt.Sprintf("saved %d", i),
			"request":  map[string]any{"method": "GET", "url": fmt.Sprintf("https://api.drill.invalid/saved/%d", i)},
			"response": []map[string]any{{"name": "ok", "code": 200, "body": fmt.Sprintf(`{"id": %d}`, i)}}})
	}
	for i := range replayed {
		items = append(items, map[string]any{"name": fmt.Sprintf("replayed %d", i),
			"request": map[string]any{"method": "GET", "url": fmt.Sprintf("%s/replayed/%d", target, i)}})
	}
	data, _ := json.Marshal(map[string]any{
		"info": map[string]any{"_postman_id": id, "name": id, "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"item": items,
	})
	return data
}

const (
	drillSaved    = 2000
	drillReplayed = 300
	drillOptions  = `{"allow_replay": true, "max_rps_per_host": 100}`
)

// checkClean asserts the counts of a clean run and that no endpoint holds two
// samples of the same request.
func (b *bundle) checkClean(t *testing.T, d importDoc) {
	t.Helper()
	require.Equal(t, "completed", d.Status, d.Error)
	require.Equal(t, drillSaved+drillReplayed, d.Counts.Total)
	require.Equal(t, drillSaved+drillReplayed, d.Counts.Imported)
	require.Equal(t, drillSaved+drillReplayed, d.Counts.Samples)
	require.Empty(t, d.Counts.Skipped)
	require.NotNil(t, d.Counts.Replay)
	require.Equal(t, drillReplayed, d.Counts.Replay.Done)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(b.mongoURI()))
	require.NoError(t, err)
	defer c.Disconnect(ctx)
	cur, err := c.Database(b.dbName).Collection("samples").Find(ctx, bson.D{{Key: "account_id", Value: "acc_drill"}},
		options.Find().SetProjection(bson.D{{Key: "endpoint_id", Value: 1}, {Key: "source", Value: 1}}))
	require.NoError(t, err)
	var rows []struct {
		EndpointID string `bson:"endpoint_id"`
		Source     struct {
			Kind        string `bson:"kind"`
			RequestName string `bson:"request_name"`
		} `bson:"source"`
	}
	require.NoError(t, cur.All(ctx, &rows))
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.EndpointID+"|"+r.Source.Kind+"|"+r.Source.RequestName]++
	}
	for k, n := range seen {
		require.Equal(t, 1, n, "duplicate samples: %s", k)
	}
	require.Len(t, rows, drillSaved+drillReplayed, "one stored sample per request")
	n, err := c.Database(b.dbName).Collection("endpoints").CountDocuments(ctx, bson.D{{Key: "account_id", Value: "acc_drill"}})
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "the two templated endpoints of a clean run")
}

// startDrillImport uploads the drill collection and waits until the import runs.
func (b *bundle) startDrillImport(t *testing.T, target string) string {
	t.Helper()
	code, id, _, err := b.upload(drillCollection("drill-"+strconv.FormatInt(time.Now().UnixNano(), 36), drillSaved, drillReplayed, target), drillOptions)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, code)
	waitUntil(t, time.Minute, "import runs", func() bool {
		_, d, _, err := b.status(id)
		return err == nil && d.Status == "running"
	})
	return id
}

func TestDrillKillWorker(t *testing.T) {
	b := setup(t, 1)
	target, hits := newTarget(t, 20*time.Millisecond)
	id := b.startDrillImport(t, target)
	time.Sleep(300 * time.Millisecond) // inside the import task's writes
	b.workers[0].kill(syscall.SIGKILL)
	t.Logf("killed the worker (pid %d) mid-import; replays sent so far: %d", b.workers[0].cmd.Process.Pid, hits.Load())
	b.startWorker(t)
	d := b.waitDone(t, id, 4*time.Minute)
	b.checkClean(t, d)
	t.Logf("completed after kill -9; target hits %d for %d replays (a replay in flight at the kill may be sent twice)", hits.Load(), drillReplayed)
}

func TestDrillKillWorkerDuringReplays(t *testing.T) {
	b := setup(t, 1)
	target, hits := newTarget(t, 20*time.Millisecond)
	id := b.startDrillImport(t, target)
	waitUntil(t, 2*time.Minute, "replays under way", func() bool { return hits.Load() >= drillReplayed/3 })
	b.workers[0].kill(syscall.SIGKILL)
	b.startWorker(t)
	d := b.waitDone(t, id, 4*time.Minute)
	b.checkClean(t, d)
	t.Logf("completed after kill -9 during replays; target hits %d for %d replays", hits.Load(), drillReplayed)
}

func TestDrillRestartRedis(t *testing.T) {
	b := setup(t, 1)
	target, _ := newTarget(t, 20*time.Millisecond)
	id := b.startDrillImport(t, target)
	time.Sleep(time.Second)
	b.redis.kill(syscall.SIGTERM) // a restart: AOF flushed on shutdown
	time.Sleep(2 * time.Second)
	b.startRedis(t)
	d := b.waitDone(t, id, 5*time.Minute)
	b.checkClean(t, d)
}

func TestDrillStopDatabase(t *testing.T) {
	b := setup(t, 1)
	target, _ := newTarget(t, 20*time.Millisecond)
	id := b.startDrillImport(t, target)
	time.Sleep(time.Second)
	b.mongo.kill(syscall.SIGTERM)
	time.Sleep(10 * time.Second)
	b.startMongo(t)
	d := b.waitDone(t, id, 6*time.Minute)
	b.checkClean(t, d)
}

// loadRequests requests of about 1 KiB make a collection of just over 1 MiB.
const loadRequests = 1100

func TestDrillAPIUnderLoad(t *testing.T) {
	b := setup(t, 1)
	// A 1 MiB collection of saved responses.
	one := func(i int) []byte {
		var items []map[string]any
		pad := bytes.Repeat([]byte("x"), 900)
		for k := 0; len(items) < loadRequests; k++ {
			items = append(items, map[string]any{"name": fmt.Sprintf("r %d", k),
				"request":  map[string]any{"method": "GET", "url": fmt.Sprintf("https://api.load.invalid/c%d/r/%d", i, k)},
				"response": []map[string]any{{"name": "ok", "code": 200, "body": string(pad)}}})
		}
		data, _ := json.Marshal(map[string]any{"info": map[string]any{"_postman_id": fmt.Sprintf("load-%d", i), "name": "load",
			"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": items})
		return data
	}
	require.GreaterOrEqual(t, len(one(0)), 1<<20)

	const uploads, reads = 50, 500
	var mu sync.Mutex
	var upLat, readLat []time.Duration
	var ids []string
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, id, took, err := b.upload(one(i), "")
			mu.Lock()
			defer mu.Unlock()
			if !(err == nil && code == http.StatusAccepted) {
				t.Errorf("upload %d: %d %v", i, code, err)
				return
			}
			upLat, ids = append(upLat, took), append(ids, id)
		}()
	}
	wg.Wait()
	require.Len(t, ids, uploads)
	sem := make(chan struct{}, 50)
	for i := range reads {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			code, _, took, err := b.status(ids[i%len(ids)])
			mu.Lock()
			defer mu.Unlock()
			if err != nil || code >= 500 || code != http.StatusOK {
				t.Errorf("status read: %d %v", code, err)
				return
			}
			readLat = append(readLat, took)
		}()
	}
	wg.Wait()
	for _, id := range ids {
		d := b.waitDone(t, id, 10*time.Minute)
		require.Equal(t, "completed", d.Status, d.Error)
		require.Equal(t, loadRequests, d.Counts.Imported)
	}
	t.Logf("uploads (50 x 1 MiB, concurrent): p50 %s p99 %s", pct(upLat, 50), pct(upLat, 99))
	t.Logf("status reads (500, 50 at a time):  p50 %s p99 %s", pct(readLat, 50), pct(readLat, 99))
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(time.Millisecond)
}
