package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// replayEgress lets replays reach 127.0.0.1 only (the test's target).
var replayEgress = map[string]string{
	"APISCOUT_REPLAY_EGRESS":      "allowlist",
	"APISCOUT_REPLAY_ALLOW_CIDRS": "127.0.0.1",
	"APISCOUT_REPLAY_MAX_RETRY":   "1",
}

// target is a local server the replays go to; it counts requests by path.
type target struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{hits: map[string]int{}}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.hits[r.Method+" "+r.URL.Path]++
		tg.mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/ok/"):
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"path": %q}`, r.URL.Path)
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, "/ok/redirected", http.StatusFound)
		default:
			http.Error(w, "no", http.StatusNotFound)
		}
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *target) total() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	n := 0
	for _, v := range tg.hits {
		n += v
	}
	return n
}

func (tg *target) count(key string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.hits[key]
}

// envFile writes a Postman environment setting baseUrl.
func envFile(t *testing.T, baseURL string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "local.postman_environment.json")
	data, err := json.Marshal(map[string]any{
		"name":   "local target",
		"values": []map[string]any{{"key": "baseUrl", "value": baseURL, "enabled": true}},
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// TestCLIReplay imports a collection with replay flags through the real
// binary: the flags reach the server's import options, the summary and the
// exit code count replay outcomes.
func TestCLIReplay(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	s := startServerWith(t, replayEgress)
	tg := newTarget(t)
	collection := filepath.Join("testdata", "replay.postman_collection.json")
	env := envFile(t, tg.srv.URL)

	for _, tt := range []struct {
		name    string
		flags   []string
		code    int
		want    []string // regexps on stdout
		warning bool
		sent    int // requests the target gets
		check   func(t *testing.T, out string)
	}{
		{
			name:  "defaults: safe methods, 2xx kept, redirects followed",
			flags: []string{"--replay"}, code: exitPartial, sent: 4, // GET items, missing, redirect and its target
			want: []string{
				`status\s+completed`,
				`requests\s+5 total: 3 imported, 2 skipped`,
				`skipped\s+method_not_allowed: 1`,
				`skipped\s+non_2xx:404: 1`,
				`replayed\s+3 of 3: 2 imported, 1 skipped`,
			},
		},
		{
			name: "every method, 3xx and 404 kept, redirects not followed",
			flags: []string{"--replay", "--replay-methods", "all", "--keep-statuses", "2xx, 3xx,404", "--no-follow-redirects",
				"--max-rps-per-host", "50", "--replay-timeout", "5s", "--insecure-tls", "-o", "json"},
			code: exitOK, warning: true, sent: 4, // GET items, POST items, missing, redirect
			check: func(t *testing.T, out string) {
				var doc struct {
					Options map[string]any `json:"options"`
					Counts  struct {
						Imported int `json:"imported"`
						Replay   struct {
							Total, Done, Imported int
						} `json:"replay"`
					} `json:"counts"`
				}
				require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
				require.Equal(t, 5, doc.Counts.Imported)
				require.Equal(t, 4, doc.Counts.Replay.Imported)
				require.Equal(t, []any{"ALL"}, doc.Options["replay_methods"])
				require.Equal(t, []any{"2xx", "3xx", "404"}, doc.Options["keep_statuses"])
				require.Equal(t, false, doc.Options["follow_redirects"])
				require.Equal(t, true, doc.Options["insecure_tls"])
				require.Equal(t, 50.0, doc.Options["max_rps_per_host"])
				require.Equal(t, "5s", doc.Options["replay_timeout"])
			},
		},
		{
			name: "dry run sends nothing", flags: []string{"--replay", "--dry-run", "--replay-methods", "get,head"}, code: exitPartial, sent: 0,
			want: []string{
				`requests\s+5 total: 1 imported, 4 skipped`,
				`skipped\s+dry_run: 3`,
				`replayed\s+none \(dry run\): 3 would be sent`,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := tg.total()
			args := append([]string{"import", collection, "--env", env, "--wait"}, tt.flags...)
			r := cli(t, bin, s, nil, args...)
			require.Equal(t, tt.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			for _, re := range tt.want {
				require.Regexp(t, re, r.stdout)
			}
			if tt.warning {
				require.Contains(t, r.stderr, "warning: replaying POST, PUT, PATCH, DELETE, every other method sends writes to the real servers")
			} else {
				require.Empty(t, r.stderr)
			}
			require.Equal(t, tt.sent, tg.total()-before, "requests the target got")
			if tt.check != nil {
				tt.check(t, r.stdout)
			}
		})
	}
	require.Equal(t, 1, tg.count("POST /ok/items"), "the write went out only with --replay-methods all")
	require.Equal(t, 1, tg.count("GET /ok/redirected"), "the redirect was followed only once")

	for _, tt := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"replay flag without --replay", []string{"--dry-run", "--max-rps-per-host", "3"}, "--dry-run, --max-rps-per-host: replay options need --replay"},
		{"bad method", []string{"--replay", "--replay-methods", "GET,4"}, `--replay-methods "GET,4": want methods like GET,HEAD or all`},
		{"the server refuses a status", []string{"--replay", "--keep-statuses", "banana"}, "invalid_options"},
		{"the server refuses a rate", []string{"--replay", "--max-rps-per-host", "100000"}, "max_rps_per_host"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, bin, s, nil, append([]string{"import", collection, "--env", env}, tt.flags...)...)
			require.Equal(t, exitFailed, r.code, r.stdout)
			require.Contains(t, r.stderr, tt.want)
			require.Empty(t, r.stdout)
		})
	}
}

// cancelCollection is a collection of n GETs without saved responses.
func cancelCollection(t *testing.T, n int) string {
	t.Helper()
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{"name": fmt.Sprintf("item %d", i),
			"request": map[string]any{"method": "GET", "url": fmt.Sprintf("{{baseUrl}}/ok/%d", i)}}
	}
	data, err := json.Marshal(map[string]any{
		"info": map[string]any{"name": "Cancel API (apiscout CLI test)", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"item": items,
	})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cancel.postman_collection.json")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// TestCLICancelAndReport cancels an import's replays and reads its report
// as a table, JSON and CSV, filtered by outcome and reason.
func TestCLICancelAndReport(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	s := startServerWith(t, replayEgress)
	tg := newTarget(t)
	env := envFile(t, tg.srv.URL)

	// 40 replays at 2 a second: the cancel comes long before the end.
	r := cli(t, bin, s, nil, "-o", "json", "import", cancelCollection(t, 40), "--env", env, "--replay", "--max-rps-per-host", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	var imp struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &imp))
	// Cancel once replays are under way (before, nothing would be imported).
	require.Eventually(t, func() bool { return tg.total() >= 3 }, time.Minute, 20*time.Millisecond, "replays did not start")

	r = cli(t, bin, s, nil, "imports", "cancel", imp.ID, "--wait")
	require.Equal(t, exitPartial, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	require.Regexp(t, `status\s+cancelled`, r.stdout)
	require.Regexp(t, `skipped\s+cancelled: \d+`, r.stdout)
	require.Less(t, tg.total(), 40, "the cancelled replays were not sent")
	require.Regexp(t, fmt.Sprintf(`requests\s+40 total: %d imported, %d skipped`, tg.total(), 40-tg.total()), r.stdout, "what was sent was imported")

	r = cli(t, bin, s, nil, "imports", "cancel", imp.ID)
	require.Equal(t, exitFailed, r.code)
	require.Contains(t, r.stderr, "already_finished")

	// The report accounts for every request.
	r = cli(t, bin, s, nil, "imports", "report", imp.ID, "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var rep struct {
		Status string      `json:"status"`
		Items  []reportRow `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.Equal(t, "cancelled", rep.Status)
	require.Len(t, rep.Items, 40)
	byReason := map[string]int{}
	for _, it := range rep.Items {
		byReason[it.Outcome+" "+it.Reason]++
	}
	require.Equal(t, 40, byReason["imported "]+byReason["skipped cancelled"], "%v", byReason)
	require.Positive(t, byReason["skipped cancelled"])

	r = cli(t, bin, s, nil, "imports", "report", imp.ID, "--reason", "cancelled", "-o", "csv")
	require.Equal(t, exitOK, r.code, r.stderr)
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"index", "folder", "name", "method", "url", "outcome", "reason", "detail", "status", "samples", "endpoint_ids"}, recs[0])
	require.Len(t, recs, 1+byReason["skipped cancelled"])
	for _, rec := range recs[1:] {
		require.Equal(t, "cancelled", rec[6])
		require.Equal(t, "GET", rec[3])
		require.True(t, strings.HasPrefix(rec[4], tg.srv.URL+"/ok/"), rec[4])
	}

	r = cli(t, bin, s, nil, "imports", "report", imp.ID, "--outcome", "imported")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Regexp(t, `^#\s+OUTCOME\s+REASON\s+METHOD\s+URL\s+STATUS\s+SAMPLES\s+REQUEST$`, lines[0])
	require.Len(t, lines, 1+byReason["imported "])
	for _, l := range lines[1:] {
		require.Regexp(t, `^\d+\s+imported\s+-\s+GET\s+http://127\.0\.0\.1:\d+/ok/\d+\s+200\s+1\s+item \d+$`, l)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"csv elsewhere", []string{"imports", "list", "-o", "csv"}, "want table or json"},
		{"bad report format", []string{"imports", "report", imp.ID, "-o", "xml"}, "want table, json or csv"},
		{"unknown import", []string{"imports", "report", "imp_nope"}, "not_found"},
		{"cancel unknown", []string{"imports", "cancel", "imp_nope"}, "not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, bin, s, nil, tt.args...)
			require.Equal(t, exitFailed, r.code)
			require.Contains(t, r.stderr, tt.want)
			require.Empty(t, r.stdout)
		})
	}

	t.Run("plaid corpus collection", func(t *testing.T) {
		plaid := corpusPath(t, "plaid.json")
		r := cli(t, bin, s, nil, "-o", "json", "import", plaid, "--wait")
		require.Equal(t, exitPartial, r.code, r.stderr)
		var imp struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &imp))
		r = cli(t, bin, s, nil, "imports", "report", imp.ID, "-o", "csv")
		require.Equal(t, exitOK, r.code, r.stderr)
		recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 1+112, "one row per request")
		r = cli(t, bin, s, nil, "imports", "report", imp.ID, "--reason", "no_saved_response")
		require.Equal(t, exitOK, r.code, r.stderr)
		require.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 1+13)
	})
}
