package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	apiserver "github.com/apiscout/apiscout/api/server"
	schedulerserver "github.com/apiscout/apiscout/scheduler/server"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/postmanapi/postmanfake"
	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/testenv"
	workerserver "github.com/apiscout/apiscout/worker/server"
)

// postmanKey is the Postman API key of the tests; badKey is refused.
const (
	postmanKey = "PMAK-65f1c0ffee5ca1ab1e0d15ea-4f2d9c8b7a6e5d4c3b2a1f0e9d8c7b6a5f43"
	badKey     = "PMAK-0000000000000000deadbeef-00000000000000000000000000000000dead"
)

// lockedBuffer collects the log lines of every process of a bundle.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// wsBundle is apiscout (API, worker, optional schedulers) against a fake
// Postman API, with every log line captured.
type wsBundle struct {
	*testBundle
	fake       *postmanfake.Server
	logs       *lockedBuffer
	redis      *redis.Options
	mongoURI   string
	mongoDB    string
	schedulers []*metrics.Metrics
}

type wsOptions struct {
	env        map[string]string
	schedulers int
}

func wsSetup(t *testing.T, o wsOptions) *wsBundle {
	t.Helper()
	fake := postmanfake.New(t)
	fake.AddKey(postmanKey, 7)
	ro := testenv.Redis(t)
	uri, db := testenv.Mongo(t)
	vars := map[string]string{
		"APISCOUT_REDIS_URL":             fmt.Sprintf("redis://%s/%d", ro.Addr, ro.DB),
		"APISCOUT_MONGO_URI":             uri,
		"APISCOUT_MONGO_DB":              db,
		"APISCOUT_HTTP_ADDR":             "127.0.0.1:0",
		"APISCOUT_WORKER_ADMIN_ADDR":     "127.0.0.1:0",
		"APISCOUT_SCHEDULER_ADMIN_ADDR":  "off",
		"APISCOUT_SHUTDOWN_TIMEOUT":      "10s",
		"APISCOUT_LOG_LEVEL":             "debug",
		"APISCOUT_SECRET_KEY":            secret.NewKey(),
		"APISCOUT_POSTMAN_API_URL":       fake.URL, // never the real Postman
		"APISCOUT_SCHEDULER_INTERVAL":    "1s",
		"APISCOUT_SCHEDULE_MIN_INTERVAL": "1s",
	}
	for k, v := range o.env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	require.NoError(t, err)
	logs := &lockedBuffer{}
	log := cfg.NewLogger(logs)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	apiAddr, workerUp, schedUp := make(chan string, 1), make(chan string, 1), make(chan string, o.schedulers)
	b := &wsBundle{testBundle: &testBundle{}, fake: fake, logs: logs, redis: ro, mongoURI: uri, mongoDB: db}
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	run("api", func() error {
		return apiserver.Run(ctx, cfg, log.With("process", "api"), apiserver.Options{Ready: func(a string) { apiAddr <- a }})
	})
	run("worker", func() error {
		return workerserver.Run(ctx, cfg, log.With("process", "worker"), workerserver.Options{Ready: func(a string) { workerUp <- a }})
	})
	for i := range o.schedulers {
		m := metrics.New()
		b.schedulers = append(b.schedulers, m)
		run("scheduler", func() error {
			return schedulerserver.Run(ctx, cfg, log.With("process", fmt.Sprintf("scheduler-%d", i)),
				schedulerserver.Options{Metrics: m, Ready: func(a string) { schedUp <- a }})
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, ch := range []chan string{apiAddr, workerUp} {
		select {
		case addr := <-ch:
			if ch == apiAddr {
				b.base = "http://" + addr
			} else {
				b.worker = addr
			}
		case <-time.After(60 * time.Second):
			t.Fatal("apiscout did not start")
		}
	}
	for range o.schedulers {
		select {
		case <-schedUp:
		case <-time.After(60 * time.Second):
			t.Fatal("scheduler did not start")
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

func (b *wsBundle) send(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(data)
	}
	return b.do(t, method, path, token, "application/json", r)
}

// addCredential stores postmanKey for account A and returns its id.
func (b *wsBundle) addCredential(t *testing.T) string {
	t.Helper()
	r := b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, map[string]string{"name": "ci", "api_key": postmanKey})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	return r.json(t)["id"].(string)
}

// syncDoc is the part of GET /v1/syncs/{id} the tests read.
type syncDoc struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Error        string     `json:"error"`
	Trigger      string     `json:"trigger"`
	ScheduledFor *time.Time `json:"scheduled_for"`
	Collections  []struct {
		UID          string `json:"uid"`
		Name         string `json:"name"`
		Outcome      string `json:"outcome"`
		ImportID     string `json:"import_id"`
		ImportStatus string `json:"import_status"`
		Error        string `json:"error"`
	} `json:"collections"`
	Counts struct{ Total, Imported, Unchanged, Failed int } `json:"counts"`
}

func (d syncDoc) outcomes() map[string]string {
	out := map[string]string{}
	for _, c := range d.Collections {
		out[c.UID] = c.Outcome
	}
	return out
}

// waitSync polls a sync until it has finished and so have its imports.
func (b *wsBundle) waitSync(t *testing.T, id string) syncDoc {
	t.Helper()
	deadline := time.Now().Add(6 * time.Minute)
	for {
		r := b.get(t, "/v1/syncs/"+id, b.tokenA)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		var d syncDoc
		require.NoError(t, json.Unmarshal(r.Body, &d))
		done := d.Status == "completed" || d.Status == "failed"
		for _, c := range d.Collections {
			if c.Outcome == "imported" && c.ImportStatus != "completed" && c.ImportStatus != "failed" {
				done = false
			}
		}
		if done {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync %s not finished after 6 minutes: %s", id, r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *wsBundle) startSync(t *testing.T, workspaceID string, body map[string]any) string {
	t.Helper()
	r := b.send(t, http.MethodPost, "/v1/workspaces/"+workspaceID+"/sync", b.tokenA, body)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	require.Equal(t, "queued", r.json(t)["status"])
	id := r.json(t)["id"].(string)
	require.Equal(t, "/v1/syncs/"+id, r.Header.Get("Location"))
	return id
}

// withoutItem returns a collection file without its top-level item named name.
func withoutItem(t *testing.T, file []byte, name string) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(file, &doc))
	var kept []any
	for _, it := range doc["item"].([]any) {
		if it.(map[string]any)["name"] != name {
			kept = append(kept, it)
		}
	}
	require.Less(t, len(kept), len(doc["item"].([]any)), "item %q not found", name)
	doc["item"] = kept
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

func exampleFile(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	return data
}

// TestWorkspaceSync runs a workspace through first sync, incremental
// re-sync, a changed collection, a forced sync and a rate-limited one.
func TestWorkspaceSync(t *testing.T) {
	t.Parallel()
	start := time.Now()
	b := wsSetup(t, wsOptions{})
	f := b.fake
	example := exampleFile(t)
	require.NoError(t, f.SetCollection("7-plaid", "plaid-id", "2026-01-01T00:00:00.000Z", corpusFile(t, "plaid.json")))
	require.NoError(t, f.SetCollection("7-okta", "okta-id", "2026-01-01T00:00:00.000Z", corpusFile(t, "okta-users.json")))
	require.NoError(t, f.SetCollection("7-example", "example-id", "2026-01-01T00:00:00.000Z", example))
	require.NoError(t, f.SetCollection("7-broken", "broken-id", "2026-01-01T00:00:00.000Z", example))
	require.NoError(t, f.SetEnvironment("7-env", "2026-01-01T00:00:00.000Z", corpusFile(t, "environments/okta-example.oktapreview.com.json")))
	f.Fail("/collections/7-broken", http.StatusInternalServerError)
	for i := range 230 {
		f.AddWorkspace(postmanfake.Workspace{ID: fmt.Sprintf("ws-%03d", i), Name: fmt.Sprintf("Other %d", i), Type: "team"})
	}
	f.AddWorkspace(postmanfake.Workspace{ID: "ws-main", Name: "Main", Type: "personal",
		Collections: []string{"7-plaid", "7-broken", "7-okta", "7-example"}, Environments: []string{"7-env"}})
	cred := b.addCredential(t)

	// Listing workspaces follows Postman's paging.
	r := b.get(t, "/v1/postman/credentials/"+cred+"/workspaces", b.tokenA)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var wsList listPage
	require.NoError(t, json.Unmarshal(r.Body, &wsList))
	require.Len(t, wsList.Items, 231)
	require.Equal(t, map[string]any{"id": "ws-main", "name": "Main", "type": "personal"}, wsList.Items[230])
	require.Equal(t, 3, f.Count("/workspaces", http.StatusOK), "three pages of at most 100")

	// First sync: everything imported but the collection Postman fails on.
	first := b.waitSync(t, b.startSync(t, "ws-main", map[string]any{"credential_id": cred, "environment_id": "7-env"}))
	require.Equal(t, "completed", first.Status, first.Error)
	require.Equal(t, map[string]string{"7-plaid": "imported", "7-broken": "failed", "7-okta": "imported", "7-example": "imported"}, first.outcomes())
	for _, c := range first.Collections {
		if c.UID == "7-broken" {
			require.Contains(t, c.Error, "500")
			require.Contains(t, c.Error, "Something went wrong", "the Postman error is kept")
			require.Empty(t, c.ImportID)
			continue
		}
		require.Equal(t, "completed", c.ImportStatus, c.UID)
	}
	require.Equal(t, 3, first.Counts.Imported)
	require.Equal(t, 1, first.Counts.Failed)
	exampleImport := map[string]any{}
	for _, c := range first.Collections {
		if c.UID == "7-example" {
			exampleImport = b.get(t, "/v1/imports/"+c.ImportID, b.tokenA).json(t)
		}
	}
	require.Equal(t, "Bookshop API (apiscout example)", exampleImport["collection_name"])
	require.Equal(t, "{yourOktaDomain}", exampleImport["source"].(map[string]any)["environment"], "the environment went with it")
	colID := exampleImport["collection_id"].(string)
	require.Len(t, b.listAll(t, "/v1/collections/"+colID+"/endpoints", b.tokenA, 100), 3)

	t.Logf("first sync done after %v", time.Since(start))
	// Incremental: nothing changed, nothing is imported again.
	imports := len(b.listAll(t, "/v1/imports", b.tokenA, 100))
	second := b.waitSync(t, b.startSync(t, "ws-main", map[string]any{"credential_id": cred, "environment_id": "7-env"}))
	require.Equal(t, map[string]string{"7-plaid": "unchanged", "7-broken": "failed", "7-okta": "unchanged", "7-example": "unchanged"}, second.outcomes())
	require.Len(t, b.listAll(t, "/v1/imports", b.tokenA, 100), imports, "no new import")

	t.Logf("second sync done after %v", time.Since(start))
	// A request removed in Postman: its endpoint is marked, not deleted.
	f.Fail("/collections/7-broken", 0)
	require.NoError(t, f.SetCollection("7-example", "example-id", "2026-02-01T00:00:00.000Z", withoutItem(t, example, "Health")))
	third := b.waitSync(t, b.startSync(t, "ws-main", map[string]any{"credential_id": cred, "environment_id": "7-env"}))
	require.Equal(t, map[string]string{"7-plaid": "unchanged", "7-broken": "imported", "7-okta": "unchanged", "7-example": "imported"}, third.outcomes())
	removed := b.listAll(t, "/v1/collections/"+colID+"/endpoints?removed=true", b.tokenA, 100)
	require.Len(t, removed, 1)
	require.Equal(t, "/v1/health", removed[0]["path"])
	require.NotEmpty(t, removed[0]["removed_at"])
	present := b.listAll(t, "/v1/collections/"+colID+"/endpoints?removed=false", b.tokenA, 100)
	require.Len(t, present, 2)
	require.Len(t, b.listAll(t, "/v1/collections/"+colID+"/endpoints", b.tokenA, 100), 3, "kept")
	ep := b.get(t, "/v1/endpoints/"+removed[0]["id"].(string), b.tokenA).json(t)
	require.NotEmpty(t, ep["samples"], "its samples are kept")

	t.Logf("third sync done after %v", time.Since(start))
	// A burst limit: 429s with RetryAfter are waited out, nothing fails.
	f.LimitBurst(2, time.Minute, 700*time.Millisecond)
	limited := b.waitSync(t, b.startSync(t, "ws-main", map[string]any{"credential_id": cred, "environment_id": "7-env"}))
	f.LimitBurst(0, 0, 0)
	require.Equal(t, "completed", limited.Status, limited.Error)
	require.Equal(t, 4, limited.Counts.Unchanged, "%+v", limited.Collections)
	require.Positive(t, f.Count("", http.StatusTooManyRequests), "Postman did limit the burst")
	require.Zero(t, f.Violations(), "no request was sent during a RetryAfter")
	t.Logf("rate-limited sync done after %v", time.Since(start))

	// Back in the collection, present again; force imports unchanged ones.
	require.NoError(t, f.SetCollection("7-example", "example-id", "2026-03-01T00:00:00.000Z", example))
	f.AddWorkspace(postmanfake.Workspace{ID: "ws-small", Name: "Small", Type: "team", Collections: []string{"7-example"}})
	require.Equal(t, "imported", b.waitSync(t, b.startSync(t, "ws-small", map[string]any{"credential_id": cred})).outcomes()["7-example"])
	require.Equal(t, "unchanged", b.waitSync(t, b.startSync(t, "ws-small", map[string]any{"credential_id": cred})).outcomes()["7-example"])
	forced := b.waitSync(t, b.startSync(t, "ws-small", map[string]any{"credential_id": cred, "options": map[string]any{"force": true}}))
	require.Equal(t, "imported", forced.outcomes()["7-example"])
	require.Empty(t, b.listAll(t, "/v1/collections/"+colID+"/endpoints?removed=true", b.tokenA, 100))

	syncs := b.listAll(t, "/v1/workspaces/ws-main/syncs", b.tokenA, 2)
	require.Len(t, syncs, 4)
	require.Equal(t, limited.ID, syncs[0]["id"], "newest first")
	require.Equal(t, http.StatusNotFound, b.get(t, "/v1/syncs/"+limited.ID, b.tokenB).Status, "another account's sync")

	b.checkKeyNowhere(t, postmanKey)
}

// checkKeyNowhere looks for the API key in every log line, the raw
// credential documents, every Redis value (task payloads included) and the
// metrics: it must be in none.
func (b *wsBundle) checkKeyNowhere(t *testing.T, key string) {
	t.Helper()
	needles := [][]byte{[]byte(key), []byte(key[5:29]), []byte(base64.StdEncoding.EncodeToString([]byte(key)))}
	check := func(where string, data []byte) {
		for _, n := range needles {
			require.False(t, bytes.Contains(data, n), "the API key appears in %s", where)
		}
	}
	require.NotEmpty(t, b.logs.String())
	check("the logs", []byte(b.logs.String()))

	ctx := context.Background()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(b.mongoURI))
	require.NoError(t, err)
	defer client.Disconnect(ctx)
	cur, err := client.Database(b.mongoDB).Collection("postman_credentials").Find(ctx, bson.D{})
	require.NoError(t, err)
	n := 0
	for cur.Next(ctx) {
		n++
		check("a stored credential", cur.Current)
		require.Contains(t, cur.Current.String(), `"kid"`, "sealed with a key id")
	}
	require.Positive(t, n)
	for _, col := range []string{"syncs", "schedules", "imports"} {
		cur, err := client.Database(b.mongoDB).Collection(col).Find(ctx, bson.D{})
		require.NoError(t, err)
		for cur.Next(ctx) {
			check(col, cur.Current)
		}
	}

	rdb := redis.NewClient(b.redis)
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		check("a Redis key name", []byte(k))
		var vals []string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			vals = []string{rdb.Get(ctx, k).Val()}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "list":
			vals = rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = rdb.SMembers(ctx, k).Val()
		case "zset":
			vals = rdb.ZRange(ctx, k, 0, -1).Val()
		}
		for _, v := range vals {
			check("Redis key "+k, []byte(v))
		}
	}
	for _, url := range []string{b.base + "/metrics", "http://" + b.worker + "/metrics"} {
		resp, err := http.Get(url)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("the metrics", body)
		require.Contains(t, string(body), "apiscout_postman_requests_total")
	}
}

// TestCredentials covers adding, listing, masking and deleting keys, and
// what the API answers when something is wrong.
func TestCredentials(t *testing.T) {
	t.Parallel()
	b := wsSetup(t, wsOptions{})
	b.fake.AddWorkspace(postmanfake.Workspace{ID: "ws-1", Name: "One", Type: "team"})

	r := b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, map[string]string{"name": "mine", "api_key": postmanKey})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	cred := r.json(t)
	id := cred["id"].(string)
	require.Equal(t, "****5f43", cred["masked_key"])
	require.Equal(t, "user7", cred["postman_user"])
	require.Equal(t, "/v1/postman/credentials/"+id, r.Header.Get("Location"))
	require.NotContains(t, string(r.Body), postmanKey)
	for _, path := range []string{"/v1/postman/credentials", "/v1/postman/credentials/" + id} {
		r := b.get(t, path, b.tokenA)
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, string(r.Body), "****5f43")
		require.NotContains(t, string(r.Body), postmanKey[5:29])
	}

	tests := []struct {
		name   string
		send   func() response
		status int
		code   string
	}{
		{"key Postman refuses", func() response {
			return b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, map[string]string{"name": "x", "api_key": badKey})
		}, 422, "invalid_api_key"},
		{"no key", func() response {
			return b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, map[string]string{"name": "x"})
		}, 422, "invalid_request"},
		{"unknown field", func() response {
			return b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, map[string]string{"name": "x", "key": postmanKey})
		}, 422, "invalid_request"},
		{"not JSON", func() response {
			return b.do(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, "application/json", strings.NewReader("{"))
		}, 400, "invalid_json"},
		{"another account's credential", func() response { return b.get(t, "/v1/postman/credentials/"+id, b.tokenB) }, 404, "not_found"},
		{"sync with an unknown credential", func() response {
			return b.send(t, http.MethodPost, "/v1/workspaces/ws-1/sync", b.tokenA, map[string]any{"credential_id": "pmc_nope"})
		}, 422, "unknown_credential"},
		{"sync with another account's credential", func() response {
			return b.send(t, http.MethodPost, "/v1/workspaces/ws-1/sync", b.tokenB, map[string]any{"credential_id": id})
		}, 422, "unknown_credential"},
		{"sync with an unknown option", func() response {
			return b.send(t, http.MethodPost, "/v1/workspaces/ws-1/sync", b.tokenA, map[string]any{"credential_id": id, "options": map[string]any{"forse": true}})
		}, 422, "invalid_options"},
		{"schedule with a bad cron", func() response {
			return b.send(t, http.MethodPut, "/v1/workspaces/ws-1/schedule", b.tokenA, map[string]any{"credential_id": id, "cron": "every day"})
		}, 422, "invalid_cron"},
		{"schedule too frequent", func() response {
			return b.send(t, http.MethodPut, "/v1/workspaces/ws-1/schedule", b.tokenA, map[string]any{"credential_id": id, "cron": "@every 500ms"})
		}, 422, "invalid_cron"},
		{"no schedule yet", func() response { return b.get(t, "/v1/workspaces/ws-1/schedule", b.tokenA) }, 404, "not_found"},
		{"bad removed filter", func() response { return b.get(t, "/v1/collections/col_x/endpoints?removed=maybe", b.tokenA) }, 404, "not_found"},
		{"unknown sync", func() response { return b.get(t, "/v1/syncs/syn_nope", b.tokenA) }, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			require.Equal(t, tt.status, r.Status, string(r.Body))
			require.Equal(t, tt.code, r.json(t)["error"].(map[string]any)["code"], string(r.Body))
			require.NotContains(t, string(r.Body), badKey[5:29], "a refused key is not echoed")
		})
	}
	require.Contains(t, b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA,
		map[string]string{"name": "x", "api_key": badKey}).json(t)["error"].(map[string]any)["message"], "Invalid API Key", "Postman's message is shown")

	// A schedule pins its credential.
	r = b.send(t, http.MethodPut, "/v1/workspaces/ws-1/schedule", b.tokenA, map[string]any{"credential_id": id, "cron": "0 3 * * *"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Len(t, r.json(t)["next_runs"], 3)
	r = b.send(t, http.MethodDelete, "/v1/postman/credentials/"+id, b.tokenA, nil)
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Equal(t, http.StatusNoContent, b.send(t, http.MethodDelete, "/v1/workspaces/ws-1/schedule", b.tokenA, nil).Status)
	require.Equal(t, http.StatusNoContent, b.send(t, http.MethodDelete, "/v1/postman/credentials/"+id, b.tokenA, nil).Status)
	require.Equal(t, http.StatusNotFound, b.get(t, "/v1/postman/credentials/"+id, b.tokenA).Status)

	// A sync whose workspace Postman does not know fails as a whole.
	id = b.addCredential(t)
	failed := b.waitSync(t, b.startSync(t, "ws-missing", map[string]any{"credential_id": id}))
	require.Equal(t, "failed", failed.Status)
	require.Contains(t, failed.Error, "could not find the workspace")

	// The monthly quota: reported, not retried.
	b.fake.ExhaustQuota(true)
	r = b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, map[string]string{"name": "x", "api_key": postmanKey})
	require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Body))
	require.Equal(t, "postman_quota_exhausted", r.json(t)["error"].(map[string]any)["code"])
	quota := b.waitSync(t, b.startSync(t, "ws-1", map[string]any{"credential_id": id}))
	require.Equal(t, "failed", quota.Status)
	require.Contains(t, quota.Error, "monthly request quota exhausted")

	b.checkKeyNowhere(t, postmanKey)
	require.NotContains(t, b.logs.String(), badKey[5:29])
}

// TestNoSecretKey: without APISCOUT_SECRET_KEY nothing is stored.
func TestNoSecretKey(t *testing.T) {
	t.Parallel()
	b := wsSetup(t, wsOptions{env: map[string]string{"APISCOUT_SECRET_KEY": ""}})
	r := b.send(t, http.MethodPost, "/v1/postman/credentials", b.tokenA, map[string]string{"name": "x", "api_key": postmanKey})
	require.Equal(t, http.StatusServiceUnavailable, r.Status, string(r.Body))
	require.Equal(t, "secret_key_missing", r.json(t)["error"].(map[string]any)["code"])
	require.Zero(t, b.fake.Count("", 0), "the key was not even sent to Postman")
}

// TestScheduledSyncRunsOncePerPeriod runs two schedulers against one
// schedule: every period gets exactly one sync, run once.
func TestScheduledSyncRunsOncePerPeriod(t *testing.T) {
	t.Parallel()
	b := wsSetup(t, wsOptions{schedulers: 2})
	require.NoError(t, b.fake.SetCollection("7-example", "example-id", "2026-01-01T00:00:00.000Z", exampleFile(t)))
	b.fake.AddWorkspace(postmanfake.Workspace{ID: "ws-sched", Name: "Scheduled", Type: "team", Collections: []string{"7-example"}})
	cred := b.addCredential(t)

	const period = 2 * time.Second
	r := b.send(t, http.MethodPut, "/v1/workspaces/ws-sched/schedule", b.tokenA, map[string]any{"credential_id": cred, "cron": "@every 2s"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	time.Sleep(9 * period)
	require.Equal(t, http.StatusNoContent, b.send(t, http.MethodDelete, "/v1/workspaces/ws-sched/schedule", b.tokenA, nil).Status)
	time.Sleep(3 * period) // runs registered before the delete are dropped by the worker

	var docs []syncDoc
	for _, s := range b.listAll(t, "/v1/workspaces/ws-sched/syncs", b.tokenA, 100) {
		docs = append(docs, b.waitSync(t, s["id"].(string)))
	}
	require.GreaterOrEqual(t, len(docs), 5, "a run every period")
	seen := map[time.Time]bool{}
	for i, d := range docs {
		require.Equal(t, "schedule", d.Trigger)
		require.Equal(t, "completed", d.Status, d.Error)
		require.False(t, seen[*d.ScheduledFor], "one sync per instant")
		seen[*d.ScheduledFor] = true
		if i > 0 {
			require.Equal(t, period, docs[i-1].ScheduledFor.Sub(*d.ScheduledFor), "no period skipped or doubled")
		}
	}
	require.Equal(t, len(docs), b.fake.Count("/workspaces/ws-sched", http.StatusOK), "each run ran once")
	var enqueued, duplicates float64
	value := func(m *metrics.Metrics, result string) float64 {
		var d dto.Metric
		require.NoError(t, m.ScheduledRuns.WithLabelValues(result).Write(&d))
		return d.GetCounter().GetValue()
	}
	for _, m := range b.schedulers {
		enqueued += value(m, "enqueued")
		duplicates += value(m, "duplicate")
	}
	require.GreaterOrEqual(t, enqueued, float64(len(docs)))
	require.Positive(t, duplicates, "both schedulers fired; the second enqueue was refused")
}
