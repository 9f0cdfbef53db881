package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	apiserver "github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/devstack"
	"github.com/apiscout/apiscout/shared/store"
)

// stack is a running apiscout for the bench: a dedicated redis-server
// process, FerretDB in this process, the API in this process and worker
// processes started from a freshly built binary.
type stack struct {
	dir       string
	redisAddr string
	redisCmd  *exec.Cmd
	mongo     *devstack.Mongo
	mongoURI  string
	dbName    string
	backend   string
	workerBin string
	api       string
	token     string
	store     *store.Store
	stopAPI   context.CancelFunc
	apiDone   chan struct{}
	workers   []*worker
	// logLevel is the workers' APISCOUT_LOG_LEVEL: warn, or info with -keep.
	logLevel string
}

// worker is a worker process.
type worker struct {
	cmd   *exec.Cmd
	admin string
	done  chan struct{}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cleanEnv is the process environment without proxy variables: every
// packet the bench causes goes to 127.0.0.1.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasSuffix(strings.ToLower(k), "_proxy") || strings.HasPrefix(k, "APISCOUT_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

func startStack(ctx context.Context, dir string) (*stack, error) {
	s := &stack{dir: dir}
	s.workerBin = filepath.Join(dir, "worker")
	build := exec.CommandContext(ctx, "go", "build", "-o", s.workerBin, "./worker")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build worker: %w", err)
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.redisAddr = "127.0.0.1:" + strconv.Itoa(port)
	s.redisCmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir)
	s.redisCmd.Stdout, s.redisCmd.Stderr = io.Discard, os.Stderr
	if err := s.redisCmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	rc := redis.NewClient(&redis.Options{Addr: s.redisAddr})
	defer rc.Close()
	if err := waitFor(ctx, 10*time.Second, func() bool { return rc.Ping(ctx).Err() == nil }); err != nil {
		s.close()
		return nil, fmt.Errorf("redis-server did not answer: %w", err)
	}

	cfg := devstack.MongoConfig{PostgresURL: os.Getenv("APISCOUT_TEST_POSTGRES_URL"),
		Logger: slog.New(slog.DiscardHandler)}
	s.backend = "FerretDB v1 (embedded, this process) on SQLite"
	if cfg.PostgresURL != "" {
		s.backend = "FerretDB v1 (embedded, this process) on PostgreSQL"
	} else {
		cfg.Dir = filepath.Join(dir, "ferretdb")
	}
	if s.mongo, err = devstack.StartMongo(ctx, cfg); err != nil {
		s.close()
		return nil, err
	}
	s.mongoURI, s.dbName = s.mongo.URI(), "bench_"+randomHex(6)
	if s.store, err = store.Open(ctx, s.mongoURI, s.dbName); err != nil {
		s.close()
		return nil, err
	}

	vars := s.env(map[string]string{"APISCOUT_HTTP_ADDR": "127.0.0.1:0"})
	acfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		s.close()
		return nil, err
	}
	apiCtx, stop := context.WithCancel(context.Background())
	s.stopAPI, s.apiDone = stop, make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		defer close(s.apiDone)
		if err := apiserver.Run(apiCtx, acfg, acfg.NewLogger(io.Discard), apiserver.Options{Ready: func(a string) { ready <- a }}); err != nil {
			fmt.Fprintln(os.Stderr, "bench: api:", err)
		}
	}()
	select {
	case a := <-ready:
		s.api = "http://" + a
	case <-time.After(60 * time.Second):
		s.close()
		return nil, fmt.Errorf("api did not start")
	}
	if _, s.token, err = apiserver.Provision(ctx, s.store, "acc_bench", "bench", "", time.Now()); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// env is the configuration every apiscout process of the bench shares.
func (s *stack) env(extra map[string]string) map[string]string {
	m := map[string]string{
		"APISCOUT_REDIS_URL":          "redis://" + s.redisAddr + "/0",
		"APISCOUT_MONGO_URI":          s.mongoURI,
		"APISCOUT_MONGO_DB":           s.dbName,
		"APISCOUT_LOG_LEVEL":          s.logLevel,
		"APISCOUT_SHUTDOWN_TIMEOUT":   "10s",
		"APISCOUT_REPLAY_EGRESS":      "allowlist",
		"APISCOUT_REPLAY_ALLOW_CIDRS": "127.0.0.1",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// startWorker starts a worker process and waits until it is ready.
func (s *stack) startWorker(ctx context.Context, extra map[string]string) (*worker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w := &worker{admin: "127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
	vars := s.env(extra)
	vars["APISCOUT_WORKER_ADMIN_ADDR"] = w.admin
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	w.cmd = exec.Command(s.workerBin)
	w.cmd.Env = cleanEnv(env...)
	logf, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("worker-%s.log", randomHex(3))))
	if err != nil {
		return nil, err
	}
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = w.cmd.Wait(); logf.Close(); close(w.done) }()
	s.workers = append(s.workers, w)
	err = waitFor(ctx, 60*time.Second, func() bool {
		resp, err := http.Get("http://" + w.admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		return nil, fmt.Errorf("worker not ready: %w", err)
	}
	return w, nil
}

// stop ends a worker gracefully.
func (w *worker) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func (w *worker) peakRSS() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM")
}

func (s *stack) stopWorkers() {
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.stop() }()
	}
	wg.Wait()
	s.workers = nil
}

func (s *stack) close() {
	s.stopWorkers()
	if s.stopAPI != nil {
		s.stopAPI()
		<-s.apiDone
	}
	if s.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if c, err := mongo.Connect(ctx, options.Client().ApplyURI(s.mongoURI)); err == nil {
			_ = c.Database(s.dbName).Drop(ctx)
			_ = c.Disconnect(ctx)
		}
		_ = s.store.Close(ctx)
		cancel()
	}
	if s.mongo != nil {
		_ = s.mongo.Close()
	}
	if s.redisCmd != nil && s.redisCmd.Process != nil {
		_ = s.redisCmd.Process.Signal(syscall.SIGTERM)
		_ = s.redisCmd.Wait()
	}
}

// upload posts a collection with options and returns the import id.
func (s *stack) upload(data []byte, options string) (string, error) {
	var body bytes.Buffer
	ct := "application/json"
	if options == "" {
		body.Write(data)
	} else {
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "collection.json")
		_, _ = fw.Write(data)
		_ = mw.WriteField("options", options)
		_ = mw.Close()
		ct = mw.FormDataContentType()
	}
	req, _ := http.NewRequest(http.MethodPost, s.api+"/v1/imports", &body)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", ct)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("upload: %d %s", resp.StatusCode, raw)
	}
	var v struct{ ID string }
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	return v.ID, nil
}

// importTimed uploads a collection and waits for its import to finish:
// the import and the time from upload to finished.
func (s *stack) importTimed(ctx context.Context, data []byte, options string, limit time.Duration) (importDoc, time.Duration, error) {
	start := time.Now()
	id, err := s.upload(data, options)
	if err != nil {
		return importDoc{}, 0, err
	}
	doc, err := s.wait(ctx, id, limit)
	return doc, time.Since(start), err
}

// importDoc is what the bench reads of an import.
type importDoc struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Counts struct {
		Total            int            `json:"total"`
		Imported         int            `json:"imported"`
		Samples          int            `json:"samples"`
		Skipped          map[string]int `json:"skipped"`
		EndpointsCreated int            `json:"endpoints_created"`
	} `json:"counts"`
}

// wait polls an import every 50 ms until it is finished.
func (s *stack) wait(ctx context.Context, id string, limit time.Duration) (importDoc, error) {
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.api+"/v1/imports/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return importDoc{}, err
		}
		var d importDoc
		err = json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if err != nil {
			return d, err
		}
		switch d.Status {
		case "completed":
			return d, nil
		case "failed", "cancelled":
			return d, fmt.Errorf("import %s %s: %s", id, d.Status, d.Error)
		}
		if time.Now().After(deadline) {
			return d, fmt.Errorf("import %s still %s after %s", id, d.Status, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitFor(ctx context.Context, limit time.Duration, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
