package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

// strictEgress runs replays in strict egress mode: only 127.0.0.1 may be
// contacted, and anything else is refused before any DNS lookup.
var strictEgress = map[string]string{
	"APISCOUT_REPLAY_EGRESS":      "allowlist",
	"APISCOUT_REPLAY_ALLOW_CIDRS": "127.0.0.1",
	"APISCOUT_REPLAY_MAX_RETRY":   "2",
}

func envWith(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range strictEgress {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// target is a local server that answers by path and counts what it gets.
type target struct {
	srv   *httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	times []time.Time
	auth  []string
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{hits: map[string]int{}}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.hits[r.URL.Path]++
		n := tg.hits[r.URL.Path]
		tg.times = append(tg.times, time.Now())
		tg.auth = append(tg.auth, r.Header.Get("Authorization"))
		tg.mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/ok/") || r.URL.Path == "/ok":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"path": %q, "email": "jane@example.com"}`, r.URL.Path)
		case strings.HasPrefix(r.URL.Path, "/notfound"):
			http.Error(w, "no", http.StatusNotFound)
		case strings.HasPrefix(r.URL.Path, "/flaky/"):
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			if n == 2 && strings.HasSuffix(r.URL.Path, "/429") {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			fmt.Fprint(w, "recovered")
		case strings.HasPrefix(r.URL.Path, "/down"):
			http.Error(w, "down", http.StatusInternalServerError)
		case r.URL.Path == "/redirect-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case r.URL.Path == "/redirect-local":
			http.Redirect(w, r, "/ok/redirected", http.StatusFound)
		default:
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, `{"catch": "all"}`)
		}
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *target) count(path string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.hits[path]
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

// item is a request item of a generated collection.
func item(name, method, url string, extra map[string]any) map[string]any {
	req := map[string]any{"method": method, "url": url}
	for k, v := range extra {
		req[k] = v
	}
	return map[string]any{"name": name, "request": req}
}

func collectionJSON(t *testing.T, name string, items []map[string]any) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"info": map[string]any{"_postman_id": "replay-" + name, "name": name,
			"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"auth": map[string]any{"type": "bearer", "bearer": []map[string]any{{"key": "token", "value": "secret-token-123"}}},
		"item": items,
	})
	require.NoError(t, err)
	return data
}

func (b *testBundle) submitWith(t *testing.T, data []byte, options string, env []byte) string {
	t.Helper()
	parts := map[string][]byte{"file": data, "options": []byte(options)}
	if env != nil {
		parts["environment"] = env
	}
	r := b.uploadMultipart(t, b.tokenA, parts)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	return r.json(t)["id"].(string)
}

// okRequests is how many plain successful GETs mixedCollection holds.
const okRequests = 240

// mixedCollection covers every replay outcome over three local hosts.
func mixedCollection(t *testing.T, a, c, d *target) []byte {
	var items []map[string]any
	for i := range okRequests {
		host := []*target{a, c, d}[i%3].srv.URL
		items = append(items, item(fmt.Sprintf("ok %d", i), "GET", fmt.Sprintf("%s/ok/%d", host, i), nil))
	}
	for i := range 5 {
		items = append(items, item("not found", "GET", fmt.Sprintf("%s/notfound/%d", a.srv.URL, i), nil))
	}
	items = append(items,
		item("flaky 503", "GET", a.srv.URL+"/flaky/1", nil),
		item("flaky 503", "GET", c.srv.URL+"/flaky/2", nil),
		item("flaky 503 then 429", "GET", a.srv.URL+"/flaky/429", nil),
		item("down", "GET", a.srv.URL+"/down/1", nil),
		item("down", "GET", c.srv.URL+"/down/2", nil),
		item("redirect to metadata", "GET", a.srv.URL+"/redirect-metadata", nil),
		item("redirect local", "HEAD", a.srv.URL+"/redirect-local", nil),
		item("write", "POST", a.srv.URL+"/ok/post", nil),
		item("write", "DELETE", a.srv.URL+"/ok/delete", nil),
		item("no host", "GET", "{{nohost}}/ok/x", nil),
		item("hawk", "GET", a.srv.URL+"/ok/hawk", map[string]any{"auth": map[string]any{"type": "hawk", "hawk": []map[string]any{{"key": "authId", "value": "x"}}}}),
		item("private", "GET", "http://10.1.2.3/ok", nil),
		item("public name", "GET", "https://api.example.com/ok", nil),
	)
	ex := item("with example", "GET", a.srv.URL+"/ok/example", nil)
	ex["response"] = []map[string]any{{"name": "saved", "code": 200, "body": "{}"}}
	items = append(items, ex)
	return collectionJSON(t, "mixed", items)
}

func TestReplayOutcomes(t *testing.T) {
	t.Parallel()
	b := setup(t, strictEgress)
	a, c, d := newTarget(t), newTarget(t), newTarget(t)
	id := b.submitWith(t, mixedCollection(t, a, c, d), `{"allow_replay": true, "max_rps_per_host": 200}`, nil)
	doc := b.waitImport(t, b.tokenA, id)
	require.Equal(t, "completed", doc.Status, doc.Error)
	require.Equal(t, okRequests+19, doc.Counts.Total)
	require.Equal(t, okRequests+3+1+1, doc.Counts.Imported, "every ok, 3 recovered, the local redirect, 1 saved example")
	require.Equal(t, map[string]int{
		"non_2xx:404":           5,
		"server_error:500":      2,
		"blocked_target":        3,
		"method_not_allowed":    2,
		"unresolved_variable":   1,
		"unsupported_auth:hawk": 1,
	}, doc.Counts.Skipped)
	require.Equal(t, okRequests+5, doc.Counts.Samples)

	require.Equal(t, 1, a.count("/ok/0"))
	require.Equal(t, okRequests/3, d.total(), "the third host got its share, once each")
	for i := range 5 {
		require.Equal(t, 1, a.count(fmt.Sprintf("/notfound/%d", i)), "a 404 is not retried")
	}
	require.Equal(t, 2, a.count("/flaky/1"), "a 503 is retried once, honouring Retry-After")
	require.Equal(t, 3, a.count("/flaky/429"), "503 and 429 are both retried")
	require.Equal(t, 3, a.count("/down/1"), "a 500 is tried 1 + APISCOUT_REPLAY_MAX_RETRY times")
	require.Equal(t, 0, a.count("/ok/post"), "writes are not replayed by default")
	require.Equal(t, 0, a.count("/ok/example"), "a request with a saved response is not replayed")
	require.Equal(t, 1, a.count("/redirect-metadata"), "the redirect to a blocked address is not followed")
	for _, h := range a.auth {
		require.Equal(t, "Bearer secret-token-123", h, "collection auth is applied")
	}

	// Samples: the replayed answer, with secrets redacted.
	eps := b.listAll(t, "/v1/collections/"+doc.CollectionID+"/endpoints", b.tokenA, 1000)
	var okEp map[string]any
	for _, ep := range eps {
		if ep["host"] == strings.TrimPrefix(a.srv.URL, "http://") && strings.HasPrefix(ep["path"].(string), "/ok/{") {
			okEp = ep
		}
	}
	require.NotNil(t, okEp, "the ok requests of a host are one templated endpoint: %v", eps)
	ep := b.get(t, "/v1/endpoints/"+okEp["id"].(string), b.tokenA).json(t)
	s := ep["samples"].([]any)[0].(map[string]any)
	require.Equal(t, "replay", s["source"].(map[string]any)["kind"])
	require.Contains(t, s["response"].(map[string]any)["body"], `"/ok/`)
	raw, _ := json.Marshal(s)
	require.NotContains(t, string(raw), "secret-token-123", "stored samples carry no secret")
	require.Contains(t, string(raw), "[REDACTED]")

	// The report explains every request.
	rep := b.get(t, "/v1/imports/"+id+"/report", b.tokenA).json(t)
	rows := rep["items"].([]any)
	require.Len(t, rows, okRequests+19)
	reasons := map[string]int{}
	for _, r := range rows {
		row := r.(map[string]any)
		require.NotEqual(t, "pending", row["outcome"])
		if reason, ok := row["reason"].(string); ok {
			reasons[reason]++
		}
	}
	require.Equal(t, doc.Counts.Skipped, reasons)
	csv := b.do(t, http.MethodGet, "/v1/imports/"+id+"/report?format=csv", b.tokenA, "", nil)
	require.Equal(t, http.StatusOK, csv.Status)
	require.Equal(t, okRequests+20, bytes.Count(csv.Body, []byte("\n")), "a header and one line per request")
}

func TestReplayDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, strictEgress)
	a, c, d := newTarget(t), newTarget(t), newTarget(t)
	id := b.submitWith(t, mixedCollection(t, a, c, d), `{"allow_replay": true, "dry_run": true}`, nil)
	doc := b.waitImport(t, b.tokenA, id)
	require.Equal(t, "completed", doc.Status, doc.Error)
	require.Equal(t, 0, a.total()+c.total()+d.total(), "a dry run sends nothing")
	require.Equal(t, okRequests+5+3+2+2, doc.Counts.Skipped["dry_run"])
	require.Equal(t, 1, doc.Counts.Imported, "saved responses still import")
}

func TestReplayAllMethodsAndOverride(t *testing.T) {
	t.Parallel()
	b := setup(t, strictEgress)
	a := newTarget(t)
	items := []map[string]any{
		item("create", "POST", "https://api.example.com/ok/create", map[string]any{"body": map[string]any{"mode": "raw", "raw": `{"a":1}`}}),
		item("read", "GET", "https://api.example.com/ok/read", nil),
	}
	opts := fmt.Sprintf(`{"allow_replay": true, "replay_methods": "all", "target_override": {"https://api.example.com": %q}}`, a.srv.URL)
	id := b.submitWith(t, collectionJSON(t, "override", items), opts, nil)
	doc := b.waitImport(t, b.tokenA, id)
	require.Equal(t, "completed", doc.Status, doc.Error)
	require.Equal(t, 2, doc.Counts.Imported)
	require.Equal(t, 1, a.count("/ok/create"))
	eps := b.listAll(t, "/v1/collections/"+doc.CollectionID+"/endpoints", b.tokenA, 100)
	require.Len(t, eps, 2)
	for _, ep := range eps {
		require.Equal(t, "api.example.com", ep["host"], "the endpoint keeps the collection's host")
		s := b.get(t, "/v1/endpoints/"+ep["id"].(string), b.tokenA).json(t)["samples"].([]any)[0].(map[string]any)
		require.True(t, strings.HasPrefix(s["source"].(map[string]any)["replayed_url"].(string), a.srv.URL))
	}
}

func TestReplayCancel(t *testing.T) {
	t.Parallel()
	b := setup(t, strictEgress)
	a := newTarget(t)
	var items []map[string]any
	for i := range 60 {
		items = append(items, item("ok", "GET", fmt.Sprintf("%s/ok/%d", a.srv.URL, i), nil))
	}
	id := b.submitWith(t, collectionJSON(t, "cancel", items), `{"allow_replay": true, "max_rps_per_host": 5}`, nil)
	require.Eventually(t, func() bool { return a.total() >= 3 }, time.Minute, 20*time.Millisecond)
	r := b.do(t, http.MethodPost, "/v1/imports/"+id+"/cancel", b.tokenA, "", nil)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	doc := b.waitImport(t, b.tokenA, id)
	require.Equal(t, "cancelled", doc.Status)
	require.Positive(t, doc.Counts.Skipped["cancelled"])
	require.Less(t, a.total(), 60)
	require.Equal(t, 60, doc.Counts.Imported+doc.Counts.Skipped["cancelled"], "every request is accounted for")
	require.Equal(t, a.total(), doc.Counts.Imported, "what was sent was imported")
	r = b.do(t, http.MethodPost, "/v1/imports/"+id+"/cancel", b.tokenA, "", nil)
	require.Equal(t, http.StatusConflict, r.Status)
	require.Equal(t, http.StatusNotFound, b.do(t, http.MethodPost, "/v1/imports/"+id+"/cancel", b.tokenB, "", nil).Status)
}

// TestReplayRateLimitAcrossWorkers holds the per-host limit with two worker
// servers consuming the same queue.
func TestReplayRateLimitAcrossWorkers(t *testing.T) {
	t.Parallel()
	b := setupWorkers(t, strictEgress, 2)
	a := newTarget(t)
	const n, rps = 61, 20
	var items []map[string]any
	for i := range n {
		items = append(items, item("ok", "GET", fmt.Sprintf("%s/ok/%d", a.srv.URL, i), nil))
	}
	id := b.submitWith(t, collectionJSON(t, "rate", items), fmt.Sprintf(`{"allow_replay": true, "max_rps_per_host": %d}`, rps), nil)
	doc := b.waitImport(t, b.tokenA, id)
	require.Equal(t, "completed", doc.Status, doc.Error)
	require.Equal(t, n, doc.Counts.Imported)
	a.mu.Lock()
	times := append([]time.Time(nil), a.times...)
	a.mu.Unlock()
	rate := float64(n-1) / times[len(times)-1].Sub(times[0]).Seconds()
	t.Logf("measured %.2f req/s for a limit of %d", rate, rps)
	// The limit holds: no one-second window sees more than the rate plus
	// the limiter's burst (a tenth of a second of tokens), and the overall
	// rate is within 5% above it. Below it, a CPU-starved test machine may
	// fall short; the benchmark measures accuracy on a quiet machine.
	for i := range times {
		j := i
		for j < len(times) && times[j].Sub(times[i]) < time.Second {
			j++
		}
		require.LessOrEqual(t, j-i, rps+rps/10, "requests in the second after hit %d", i)
	}
	require.LessOrEqual(t, rate, rps*1.05)
	require.GreaterOrEqual(t, rate, rps*0.6, "the limiter does not starve the host")
}

// TestReplayCorpusStripe replays a real collection against a local
// catch-all server by pointing its baseUrl at it with an environment.
func TestReplayCorpusStripe(t *testing.T) {
	t.Parallel()
	data := corpusFile(t, "stripe.json")
	b := setup(t, strictEgress)
	a := newTarget(t)
	env := []byte(fmt.Sprintf(`{"name": "local", "values": [{"key": "baseUrl", "value": %q, "enabled": true}]}`, a.srv.URL+"/"))
	_, vars, err := postman.ParseEnvironment(env)
	require.NoError(t, err)
	coll, err := postman.Parse(data, postman.Options{Environment: vars})
	require.NoError(t, err)
	gets, elsewhere := 0, 0
	for _, r := range coll.Requests {
		switch {
		case r.Built.Method != "GET":
		case r.Built.URL.Host == "127.0.0.1":
			gets++
		default:
			elsewhere++ // e.g. files.stripe.com: refused, never contacted
		}
	}
	require.Positive(t, gets)

	id := b.submitWith(t, data, `{"allow_replay": true, "max_rps_per_host": 1000}`, env)
	doc := b.waitImport(t, b.tokenA, id)
	require.Equal(t, "completed", doc.Status, doc.Error)
	require.Equal(t, 457, doc.Counts.Total)
	if gets != doc.Counts.Imported {
		for _, r := range b.get(t, "/v1/imports/"+id+"/report?outcome=skipped", b.tokenA).json(t)["items"].([]any) {
			if row := r.(map[string]any); row["reason"] != "method_not_allowed" {
				t.Logf("skipped: %v", row)
			}
		}
	}
	require.Equal(t, gets, doc.Counts.Imported, "every GET is replayed and kept")
	require.Equal(t, 457-gets-elsewhere, doc.Counts.Skipped["method_not_allowed"])
	require.Equal(t, elsewhere, doc.Counts.Skipped["blocked_target"])
	require.Equal(t, gets, a.total())
}
