package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
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

func corpusFile(t *testing.T, name string) []byte { return testenv.CorpusFile(t, name) }

// testBundle is a running apiscout: API and worker on real Redis and FerretDB.
type testBundle struct {
	base   string
	worker string // worker admin address
	tokenA string
	tokenB string
	store  *store.Store
}

func setup(t *testing.T, env map[string]string) *testBundle {
	t.Helper()
	return setupWorkers(t, env, 1)
}

// setupWorkers starts the API and n worker servers.
func setupWorkers(t *testing.T, env map[string]string, n int) *testBundle {
	t.Helper()
	ro := testenv.Redis(t)
	uri, db := testenv.Mongo(t)
	vars := map[string]string{
		"APISCOUT_REDIS_URL":         fmt.Sprintf("redis://%s/%d", ro.Addr, ro.DB),
		"APISCOUT_MONGO_URI":         uri,
		"APISCOUT_MONGO_DB":          db,
		"APISCOUT_HTTP_ADDR":         "127.0.0.1:0",
		"APISCOUT_WORKER_ADMIN_ADDR": "127.0.0.1:0",
		"APISCOUT_SHUTDOWN_TIMEOUT":  "10s",
		"APISCOUT_LOG_LEVEL":         "warn",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	require.NoError(t, err)
	log := cfg.NewLogger(io.Discard)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	apiAddr, workerUp := make(chan string, 1), make(chan string, n)
	wg.Add(1 + n)
	go func() {
		defer wg.Done()
		if err := apiserver.Run(ctx, cfg, log, apiserver.Options{Ready: func(a string) { apiAddr <- a }}); err != nil {
			t.Errorf("api: %v", err)
		}
	}()
	for range n {
		go func() {
			defer wg.Done()
			if err := workerserver.Run(ctx, cfg, log, workerserver.Options{Ready: func(a string) { workerUp <- a }}); err != nil {
				t.Errorf("worker: %v", err)
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	b := &testBundle{}
	select {
	case addr := <-apiAddr:
		b.base = "http://" + addr
	case <-time.After(60 * time.Second):
		t.Fatal("api did not start")
	}
	for i := range n {
		select {
		case addr := <-workerUp:
			if i == 0 {
				b.worker = addr
			}
		case <-time.After(60 * time.Second):
			t.Fatal("worker did not start")
		}
	}
	b.store, err = store.Open(ctx, uri, db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.store.Close(context.Background()) })
	_, b.tokenA, err = apiserver.Provision(ctx, b.store, "acc_a", "a", "", time.Now())
	require.NoError(t, err)
	_, b.tokenB, err = apiserver.Provision(ctx, b.store, "acc_b", "b", "", time.Now())
	require.NoError(t, err)
	return b
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), string(r.Body))
	return m
}

// do sends a request; header adds header name, value pairs.
func (b *testBundle) do(t *testing.T, method, path, token, contentType string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, b.base+path, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func (b *testBundle) get(t *testing.T, path, token string) response {
	return b.do(t, http.MethodGet, path, token, "", nil)
}

func (b *testBundle) uploadJSON(t *testing.T, token string, data []byte) response {
	return b.do(t, http.MethodPost, "/v1/imports", token, "application/json", bytes.NewReader(data))
}

func (b *testBundle) uploadMultipart(t *testing.T, token string, parts map[string][]byte) response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range []string{"file", "environment", "options"} {
		data, ok := parts[name]
		if !ok {
			continue
		}
		var fw io.Writer
		var err error
		if name == "options" {
			fw, err = w.CreateFormField(name)
		} else {
			fw, err = w.CreateFormFile(name, name+".json")
		}
		require.NoError(t, err)
		_, _ = fw.Write(data)
	}
	require.NoError(t, w.Close())
	return b.do(t, http.MethodPost, "/v1/imports", token, w.FormDataContentType(), &buf)
}

// importDoc is the part of GET /v1/imports/{id} the tests read.
type importDoc struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Error        string `json:"error"`
	CollectionID string `json:"collection_id"`
	Counts       struct {
		Total            int            `json:"total"`
		Imported         int            `json:"imported"`
		Samples          int            `json:"samples"`
		Skipped          map[string]int `json:"skipped"`
		SamplesByStatus  map[string]int `json:"samples_by_status"`
		EndpointsCreated int            `json:"endpoints_created"`
		EndpointsUpdated int            `json:"endpoints_updated"`
	} `json:"counts"`
}

// waitImport polls an import until it is finished.
func (b *testBundle) waitImport(t *testing.T, token, id string) importDoc {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		r := b.get(t, "/v1/imports/"+id, token)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		var doc importDoc
		require.NoError(t, json.Unmarshal(r.Body, &doc))
		if doc.Status == "completed" || doc.Status == "failed" || doc.Status == "cancelled" {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still %s after 10 minutes", id, doc.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *testBundle) submit(t *testing.T, token string, data []byte) importDoc {
	t.Helper()
	r := b.uploadJSON(t, token, data)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	id := r.json(t)["id"].(string)
	require.Equal(t, "/v1/imports/"+id, r.Header.Get("Location"))
	require.Equal(t, "queued", r.json(t)["status"])
	return b.waitImport(t, token, id)
}

type listPage struct {
	Items      []map[string]any `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

// listAll follows cursors through a list.
func (b *testBundle) listAll(t *testing.T, path, token string, limit int) []map[string]any {
	t.Helper()
	var all []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000)
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		url := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		r := b.get(t, url, token)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		var p listPage
		require.NoError(t, json.Unmarshal(r.Body, &p))
		require.LessOrEqual(t, len(p.Items), limit)
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		cursor = *p.NextCursor
	}
}

// TestImportCorpus uploads real collections and checks the figures counted
// independently of apiscout (../shared/corpus/README.md).
func TestImportCorpus(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tests := []struct {
		file                              string
		total, imported, noSaved, samples int
		multipart                         bool
	}{
		{"plaid.json", 112, 99, 13, 101, false},
		{"adyen-management-v3.json", 158, 111, 47, 111, true},
		{"paypal-partner.json", 45, 45, 0, 229, false},
		{"stripe.json", 457, 0, 457, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data := corpusFile(t, tt.file)
			var doc importDoc
			if tt.multipart {
				r := b.uploadMultipart(t, b.tokenA, map[string][]byte{"file": data, "options": []byte(`{"allow_replay": false}`)})
				require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
				doc = b.waitImport(t, b.tokenA, r.json(t)["id"].(string))
			} else {
				doc = b.submit(t, b.tokenA, data)
			}
			require.Equal(t, "completed", doc.Status, doc.Error)
			require.Equal(t, tt.total, doc.Counts.Total)
			require.Equal(t, tt.imported, doc.Counts.Imported)
			require.Equal(t, tt.noSaved, doc.Counts.Skipped["no_saved_response"])
			require.Equal(t, tt.samples, doc.Counts.Samples)
			sum := doc.Counts.Imported
			for _, n := range doc.Counts.Skipped {
				sum += n
			}
			require.Equal(t, doc.Counts.Total, sum, "every request is imported or has a reason")

			eps := b.listAll(t, "/v1/collections/"+doc.CollectionID+"/endpoints", b.tokenA, 7)
			require.Len(t, eps, doc.Counts.EndpointsCreated)
			retained := 0
			for _, ep := range eps {
				retained += int(ep["sample_count"].(float64))
				require.LessOrEqual(t, int(ep["sample_count"].(float64)), 10, "samples per endpoint are capped")
			}
			require.LessOrEqual(t, retained, tt.samples)
			if tt.samples > 0 {
				require.Positive(t, retained)
				ep := b.get(t, "/v1/endpoints/"+eps[0]["id"].(string), b.tokenA).json(t)
				samples := ep["samples"].([]any)
				require.Len(t, samples, int(ep["sample_count"].(float64)))
				first := samples[0].(map[string]any)
				require.Equal(t, "example", first["source"].(map[string]any)["kind"])
				require.NotEmpty(t, first["request"].(map[string]any)["url"])
			}
		})
	}
}

// TestReimportIsIdempotent imports the bundled example twice: the second
// import updates the same endpoints and adds no duplicate sample.
func TestReimportIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)

	first := b.submit(t, b.tokenA, data)
	require.Equal(t, "completed", first.Status, first.Error)
	require.Equal(t, 4, first.Counts.Total)
	require.Equal(t, 3, first.Counts.Imported)
	require.Equal(t, map[string]int{"no_saved_response": 1}, first.Counts.Skipped)
	require.Equal(t, 4, first.Counts.Samples)
	require.Equal(t, map[string]int{"2xx": 3, "4xx": 1}, first.Counts.SamplesByStatus)
	require.Equal(t, 3, first.Counts.EndpointsCreated)

	second := b.submit(t, b.tokenA, data)
	require.Equal(t, "completed", second.Status, second.Error)
	require.Equal(t, first.CollectionID, second.CollectionID, "same Postman id, same API collection")
	require.Equal(t, 0, second.Counts.EndpointsCreated)
	require.Equal(t, 3, second.Counts.EndpointsUpdated)

	cols := b.listAll(t, "/v1/collections", b.tokenA, 100)
	require.Len(t, cols, 1)
	eps := b.listAll(t, "/v1/collections/"+first.CollectionID+"/endpoints", b.tokenA, 2)
	require.Len(t, eps, 3)
	byPath := map[string]map[string]any{}
	for _, ep := range eps {
		byPath[ep["method"].(string)+" "+ep["host"].(string)+ep["path"].(string)] = ep
	}
	book := byPath["GET books.example.com/v1/books/{bookId}"]
	require.NotNil(t, book, "endpoints: %v", byPath)
	require.Equal(t, float64(2), book["sample_count"], "no duplicate samples after a re-import")
	require.ElementsMatch(t, []any{float64(200), float64(404)}, book["status_codes"])

	imports := b.listAll(t, "/v1/imports", b.tokenA, 1)
	require.Len(t, imports, 2)
	require.Equal(t, second.ID, imports[0]["id"], "newest import first")
}

// TestBadInput checks that every rejected upload answers a clear error and
// stores nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"APISCOUT_MAX_UPLOAD_BYTES": "4096"})
	example, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	big := []byte(`{"info":{"name":"big"},"item":[],"pad":"` + strings.Repeat("x", 5000) + `"}`)

	tests := []struct {
		name   string
		send   func() response
		status int
		code   string
	}{
		{"malformed JSON", func() response {
			return b.uploadJSON(t, b.tokenA, []byte("{\n  \"info\": {\"name\": \"x\"},\n  \"item\": [,]\n}"))
		}, 400, "invalid_json"},
		{"empty body", func() response { return b.uploadJSON(t, b.tokenA, nil) }, 400, "missing_file"},
		{"not a collection", func() response { return b.uploadJSON(t, b.tokenA, []byte(`{"hello": "world"}`)) }, 422, "not_a_collection"},
		{"wrong schema version", func() response {
			return b.uploadJSON(t, b.tokenA, []byte(`{"info":{"name":"x","schema":"https://schema.getpostman.com/json/collection/v3.0.0/collection.json"},"item":[]}`))
		}, 422, "not_a_collection"},
		{"JSON array", func() response { return b.uploadJSON(t, b.tokenA, []byte(`[1,2]`)) }, 422, "not_a_collection"},
		{"over the limit (JSON)", func() response { return b.uploadJSON(t, b.tokenA, big) }, 413, "too_large"},
		{"over the limit (multipart)", func() response {
			return b.uploadMultipart(t, b.tokenA, map[string][]byte{"file": big})
		}, 413, "too_large"},
		{"multipart without file", func() response {
			return b.uploadMultipart(t, b.tokenA, map[string][]byte{"options": []byte(`{}`)})
		}, 400, "missing_file"},
		{"replay option without allow_replay", func() response {
			return b.uploadMultipart(t, b.tokenA, map[string][]byte{"file": example, "options": []byte(`{"dry_run": true}`)})
		}, 422, "invalid_options"},
		{"bad keep_statuses", func() response {
			return b.uploadMultipart(t, b.tokenA, map[string][]byte{"file": example, "options": []byte(`{"allow_replay": true, "keep_statuses": ["abc"]}`)})
		}, 422, "invalid_options"},
		{"bad target_override", func() response {
			return b.uploadMultipart(t, b.tokenA, map[string][]byte{"file": example, "options": []byte(`{"allow_replay": true, "target_override": {"https://a.example.com/path": "http://127.0.0.1:1"}}`)})
		}, 422, "invalid_options"},
		{"unknown option", func() response {
			return b.uploadMultipart(t, b.tokenA, map[string][]byte{"file": example, "options": []byte(`{"allow_replya": true}`)})
		}, 422, "invalid_options"},
		{"bad environment", func() response {
			return b.uploadMultipart(t, b.tokenA, map[string][]byte{"file": example, "environment": []byte(`{"values": 3`)})
		}, 400, "invalid_json"},
		{"wrong content type", func() response {
			return b.do(t, http.MethodPost, "/v1/imports", b.tokenA, "text/plain", strings.NewReader("hi"))
		}, 415, "unsupported_media_type"},
		{"no token", func() response { return b.uploadJSON(t, "", example) }, 401, "unauthorized"},
		{"wrong token", func() response { return b.uploadJSON(t, "aps_not-a-token", example) }, 401, "unauthorized"},
		{"list without token", func() response { return b.get(t, "/v1/imports", "") }, 401, "unauthorized"},
		{"bad limit", func() response { return b.get(t, "/v1/imports?limit=5000", b.tokenA) }, 400, "invalid_limit"},
		{"bad cursor", func() response { return b.get(t, "/v1/imports?cursor=not*base64", b.tokenA) }, 400, "invalid_cursor"},
		{"unknown route", func() response { return b.get(t, "/v1/nothing", b.tokenA) }, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			require.Equal(t, tt.status, r.Status, string(r.Body))
			require.Equal(t, "application/json", strings.Split(r.Header.Get("Content-Type"), ";")[0])
			e := r.json(t)["error"].(map[string]any)
			require.Equal(t, tt.code, e["code"], string(r.Body))
			require.NotEmpty(t, e["message"])
		})
	}

	t.Run("syntax error position", func(t *testing.T) {
		r := b.uploadJSON(t, b.tokenA, []byte("{\n  \"info\": {\"name\": \"x\"},\n  \"item\": [,]\n}"))
		d := r.json(t)["error"].(map[string]any)["details"].(map[string]any)
		require.Equal(t, float64(3), d["line"])
		require.Positive(t, d["column"])
		require.Positive(t, d["offset"])
	})

	// Nothing was stored for any rejected upload.
	require.Empty(t, b.listAll(t, "/v1/imports", b.tokenA, 100))
	require.Empty(t, b.listAll(t, "/v1/collections", b.tokenA, 100))
}

// TestAccountsAreIsolated checks that one account never sees another's data.
func TestAccountsAreIsolated(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	doc := b.submit(t, b.tokenA, data)
	require.Equal(t, "completed", doc.Status, doc.Error)
	eps := b.listAll(t, "/v1/collections/"+doc.CollectionID+"/endpoints", b.tokenA, 100)
	require.NotEmpty(t, eps)

	for _, path := range []string{
		"/v1/imports/" + doc.ID,
		"/v1/collections/" + doc.CollectionID,
		"/v1/collections/" + doc.CollectionID + "/endpoints",
		"/v1/endpoints/" + eps[0]["id"].(string),
	} {
		r := b.get(t, path, b.tokenB)
		require.Equal(t, http.StatusNotFound, r.Status, path)
		require.Equal(t, "not_found", r.json(t)["error"].(map[string]any)["code"])
		require.Equal(t, http.StatusOK, b.get(t, path, b.tokenA).Status, path)
	}
	require.Empty(t, b.listAll(t, "/v1/imports", b.tokenB, 100))
	require.Empty(t, b.listAll(t, "/v1/collections", b.tokenB, 100))

	// The same file imported by account B is B's own collection.
	docB := b.submit(t, b.tokenB, data)
	require.NotEqual(t, doc.CollectionID, docB.CollectionID)
	require.Equal(t, 3, docB.Counts.EndpointsCreated)
}

// TestOperations checks health, readiness and metrics.
func TestOperations(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	require.Equal(t, http.StatusOK, b.get(t, "/livez", "").Status)
	r := b.get(t, "/readyz", "")
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "ok", r.json(t)["redis"])
	require.Equal(t, "ok", r.json(t)["mongodb"])
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	b.submit(t, b.tokenA, data)
	m := string(b.get(t, "/metrics", "").Body)
	require.Contains(t, m, `apiscout_imports_total{status="queued"} 1`)
	require.Contains(t, m, `apiscout_http_request_duration_seconds_count{code="202",method="POST",route="/v1/imports"} 1`)

	resp, err := http.Get("http://" + b.worker + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	wm, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, want := range []string{
		`apiscout_imports_total{status="completed"} 1`,
		`apiscout_import_requests_total{outcome="imported",reason=""} 3`,
		`apiscout_import_requests_total{outcome="skipped",reason="no_saved_response"} 1`,
		`apiscout_samples_total{source="example",status_class="4xx"} 1`,
		`apiscout_task_duration_seconds_count{outcome="ok",task_type="import:collection"} 1`,
	} {
		require.Contains(t, string(wm), want)
	}
	for _, path := range []string{"/livez", "/readyz"} {
		resp, err := http.Get("http://" + b.worker + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
}
