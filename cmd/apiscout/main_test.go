package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	apiserver "github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/testenv"
	workerserver "github.com/apiscout/apiscout/worker/server"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// buildCLI builds the real binary into a temporary folder.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "apiscout")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// server is a running apiscout (API and worker) on real Redis and FerretDB.
type server struct {
	url   string
	token string
}

func startServer(t *testing.T) server {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith is startServer with more (or other) APISCOUT_* settings.
func startServerWith(t *testing.T, extra map[string]string) server {
	t.Helper()
	ro := testenv.Redis(t)
	uri, db := testenv.Mongo(t)
	vars := map[string]string{
		"APISCOUT_REDIS_URL":         fmt.Sprintf("redis://%s/%d", ro.Addr, ro.DB),
		"APISCOUT_MONGO_URI":         uri,
		"APISCOUT_MONGO_DB":          db,
		"APISCOUT_HTTP_ADDR":         "127.0.0.1:0",
		"APISCOUT_WORKER_ADMIN_ADDR": "off",
		"APISCOUT_SHUTDOWN_TIMEOUT":  "10s",
		"APISCOUT_LOG_LEVEL":         "warn",
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	require.NoError(t, err)
	log := cfg.NewLogger(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	apiAddr, workerUp := make(chan string, 1), make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := apiserver.Run(ctx, cfg, log, apiserver.Options{Ready: func(a string) { apiAddr <- a }}); err != nil {
			t.Errorf("api: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := workerserver.Run(ctx, cfg, log, workerserver.Options{Ready: func(string) { close(workerUp) }}); err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	var s server
	select {
	case addr := <-apiAddr:
		s.url = "http://" + addr
	case <-time.After(60 * time.Second):
		t.Fatal("api did not start")
	}
	select {
	case <-workerUp:
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not start")
	}
	st, err := store.Open(ctx, uri, db)
	require.NoError(t, err)
	defer st.Close(context.Background())
	_, s.token, err = apiserver.Provision(ctx, st, "acc_cli", "cli", "", time.Now())
	require.NoError(t, err)
	return s
}

type result struct {
	stdout, stderr string
	code           int
}

// cli runs the binary with APISCOUT_URL/APISCOUT_TOKEN set (unless the
// env overrides them) and no terminal: stdout and stderr are pipes.
func cli(t *testing.T, bin string, s server, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "APISCOUT_URL=" + s.url, "APISCOUT_TOKEN=" + s.token}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func corpusPath(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "corpus", name)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		t.Skipf("corpus file %s is absent (the corpus lives in ../shared/corpus beside the checkout)", path)
	}
	return path
}

// TestCLI drives the real binary against a real server.
func TestCLI(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	s := startServer(t)
	example := filepath.Join("..", "..", "testdata", "example.postman_collection.json")
	weather := filepath.Join("testdata", "weather.postman_collection.json")
	weatherEnv := filepath.Join("testdata", "weather.postman_environment.json")

	// A collection with one request without a saved response: partial, 2.
	r := cli(t, bin, s, nil, "import", example, "--wait")
	require.Equal(t, exitPartial, r.code, r.stderr)
	require.Empty(t, r.stderr, "no progress bar when stderr is not a terminal")
	require.Regexp(t, `status\s+completed`, r.stdout)
	require.Regexp(t, `requests\s+4 total: 3 imported, 1 skipped`, r.stdout)
	require.Regexp(t, `skipped\s+no_saved_response: 1`, r.stdout)
	require.Regexp(t, `samples\s+4 \(2xx: 3, 4xx: 1\)`, r.stdout)
	require.Regexp(t, `endpoints\s+3 created, 0 updated`, r.stdout)
	require.Contains(t, r.stdout, "Bookshop API (apiscout example)")

	// Everything imported, with an environment, as JSON: ok, 0.
	r = cli(t, bin, s, nil, "-o", "json", "import", "--wait", weather, "--env", weatherEnv)
	require.Equal(t, exitOK, r.code, r.stderr)
	var imp struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		CollectionID string `json:"collection_id"`
		Source       struct {
			Environment string `json:"environment"`
		} `json:"source"`
		Counts struct {
			Imported int `json:"imported"`
		} `json:"counts"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &imp), r.stdout)
	require.Equal(t, "completed", imp.Status)
	require.Equal(t, "weather production", imp.Source.Environment)
	require.Equal(t, 2, imp.Counts.Imported)

	// The environment resolved {{baseUrl}}: endpoints by collection name.
	r = cli(t, bin, s, nil, "endpoints", "list", "Weather API (apiscout CLI test)")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `METHOD\s+HOST\s+PATH\s+STATUS\s+SAMPLES`, r.stdout)
	require.Regexp(t, `GET\s+weather.example.com\s+/v2/forecast/\{city\}\s+200\s+1`, r.stdout)
	require.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 3)

	// Without --wait: queued, 0.
	r = cli(t, bin, s, nil, "import", example)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `status\s+queued`, r.stdout)
	queuedID := strings.Fields(strings.Split(r.stdout, "\n")[0])[1]

	// Lists: table and JSON, with paging under the hood.
	r = cli(t, bin, s, nil, "imports", "list", "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var imports []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &imports))
	require.Len(t, imports, 3)
	require.Equal(t, queuedID, imports[0]["id"], "newest first")
	r = cli(t, bin, s, nil, "imports", "list", "--limit", "2")
	require.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 3, r.stdout)
	require.Regexp(t, `ID\s+STATUS\s+COLLECTION`, r.stdout)

	r = cli(t, bin, s, nil, "collections", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "Bookshop API (apiscout example)")
	require.Contains(t, r.stdout, imp.CollectionID)

	r = cli(t, bin, s, nil, "endpoints", "list", imp.CollectionID, "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var eps []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &eps))
	require.Len(t, eps, 2)

	// imports show answers with the import's exit code.
	r = cli(t, bin, s, nil, "imports", "show", imp.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `environment\s+weather production`, r.stdout)

	// Errors: exit 1 and a message on stderr, nothing on stdout.
	notCollection := filepath.Join(t.TempDir(), "not.json")
	require.NoError(t, os.WriteFile(notCollection, []byte(`{"hello": "world"}`), 0o600))
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad token", map[string]string{"APISCOUT_TOKEN": "aps_wrong"}, []string{"collections", "list"}, "unauthorized"},
		{"token flag wins", nil, []string{"--token", "aps_wrong", "imports", "list"}, "unauthorized"},
		{"not a collection", nil, []string{"import", notCollection, "--wait"}, "not_a_collection"},
		{"missing file", nil, []string{"import", "nope.json"}, "no such file"},
		{"unknown import", nil, []string{"imports", "show", "imp_nope"}, "not_found"},
		{"unknown collection", nil, []string{"endpoints", "list", "nothing like it"}, `no collection with id or name "nothing like it"`},
		{"unknown command", nil, []string{"frobnicate"}, "unknown command"},
		{"bad output", nil, []string{"collections", "list", "-o", "yaml"}, "want table or json"},
		{"no server", map[string]string{"APISCOUT_URL": "http://127.0.0.1:1"}, []string{"imports", "list"}, "connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, bin, s, tt.env, tt.args...)
			require.Equal(t, exitFailed, r.code)
			require.Contains(t, r.stderr, tt.want)
			require.Empty(t, r.stdout)
		})
	}

	t.Run("plaid corpus collection", func(t *testing.T) {
		plaid := corpusPath(t, "plaid.json")
		r := cli(t, bin, s, nil, "import", plaid, "--wait")
		require.Equal(t, exitPartial, r.code, r.stderr)
		require.Regexp(t, `requests\s+112 total: 99 imported, 13 skipped`, r.stdout)
		require.Regexp(t, `skipped\s+no_saved_response: 13`, r.stdout)
		require.Regexp(t, `samples\s+101 `, r.stdout)
	})
}

// TestCLIProgressOnTerminal runs the binary under a pseudo-terminal
// (script(1)) and checks the progress bar is drawn there, then cleared.
func TestCLIProgressOnTerminal(t *testing.T) {
	t.Parallel()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) is not installed; it provides the pseudo-terminal")
	}
	bin := buildCLI(t)
	s := startServer(t)
	example, err := filepath.Abs(filepath.Join("..", "..", "testdata", "example.postman_collection.json"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-qefc", bin+" import "+example+" --wait", "/dev/null")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TERM=xterm", "APISCOUT_URL=" + s.url, "APISCOUT_TOKEN=" + s.token}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.True(t, err == nil || errors.As(err, &ee), "%v: %s", err, out)
	if ee != nil {
		require.Equal(t, exitPartial, ee.ExitCode(), string(out))
	}
	tty := string(out)
	require.Contains(t, tty, "\rexample.postman_collection.json [", "the bar is drawn on the terminal")
	require.Contains(t, tty, "[============================] completed")
	require.Regexp(t, `\r +\r`, tty, "and cleared before the summary")
	require.Regexp(t, `requests\s+4 total: 3 imported, 1 skipped`, tty)
}
