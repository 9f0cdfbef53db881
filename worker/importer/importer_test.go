package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/shared/testenv"
	"github.com/apiscout/apiscout/shared/workspace"
	"github.com/apiscout/apiscout/worker/importer"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type testBundle struct {
	store   *store.Store
	handler *importer.Handler
}

func setup(t *testing.T, keep int) *testBundle {
	t.Helper()
	return setupWith(t, importer.Config{SamplesPerEndpoint: keep})
}

func setupWith(t *testing.T, cfg importer.Config) *testBundle {
	t.Helper()
	uri, db := testenv.Mongo(t)
	ctx := context.Background()
	s, err := store.Open(ctx, uri, db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	require.NoError(t, s.EnsureIndexes(ctx))
	h := importer.New(s, metrics.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	return &testBundle{store: s, handler: h}
}

// queue stores a file and an import for it, as the API does.
func (b *testBundle) queue(t *testing.T, id string, file []byte) *asynq.Task {
	t.Helper()
	return b.queueAs(t, id, "upload", file)
}

// queueAs is queue with the import's source kind (a workspace sync's
// imports mark what the collection lost as removed).
func (b *testBundle) queueAs(t *testing.T, id, kind string, file []byte) *asynq.Task {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, b.store.PutBlob(ctx, id+".collection", file))
	require.NoError(t, b.store.CreateImport(ctx, inventory.Import{
		ID: id, AccountID: "acc_1", Status: inventory.StatusQueued,
		Source:    inventory.ImportSource{Kind: kind, FileBlobID: id + ".collection"},
		Counts:    inventory.NewCounts(),
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
	}))
	return b.queueTask(t, id)
}

// queueTask is the task of an import.
func (b *testBundle) queueTask(t *testing.T, id string) *asynq.Task {
	t.Helper()
	task, err := tasks.NewImportCollection(tasks.ImportCollection{ImportID: id, AccountID: "acc_1"}, 3)
	require.NoError(t, err)
	return task
}

func example(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	return data
}

func TestBrokenStoredFileFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, 10)
	tests := []struct {
		name, file, wantErr string
	}{
		{"not json", "{nope", "invalid JSON"},
		{"not a collection", `{"a": 1}`, "collection"},
	}
	for i, tt := range tests {
		task := b.queue(t, "imp_"+string(rune('a'+i)), []byte(tt.file))
		err := b.handler.ProcessTask(context.Background(), task)
		require.ErrorIs(t, err, asynq.SkipRetry, tt.name)
		imp, gerr := b.store.GetImport(context.Background(), "acc_1", "imp_"+string(rune('a'+i)))
		require.NoError(t, gerr)
		require.Equal(t, inventory.StatusFailed, imp.Status, tt.name)
		require.Contains(t, imp.Error, tt.wantErr, tt.name)
		require.NotNil(t, imp.FinishedAt)
	}
}

func TestUnknownImportAndBadPayload(t *testing.T) {
	t.Parallel()
	b := setup(t, 10)
	task, err := tasks.NewImportCollection(tasks.ImportCollection{ImportID: "imp_gone", AccountID: "acc_1"}, 3)
	require.NoError(t, err)
	require.ErrorIs(t, b.handler.ProcessTask(context.Background(), task), asynq.SkipRetry)
	require.ErrorIs(t, b.handler.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeImportCollection, []byte("{"))), asynq.SkipRetry)
}

// TestRedeliveryIsIdempotent runs the same task twice (asynq delivers at
// least once) and a second import of the same file: documents converge.
func TestRedeliveryIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t, 10)
	ctx := context.Background()
	task := b.queue(t, "imp_1", example(t))
	require.NoError(t, b.handler.ProcessTask(ctx, task))
	first, err := b.store.GetImport(ctx, "acc_1", "imp_1")
	require.NoError(t, err)
	require.Equal(t, inventory.StatusCompleted, first.Status)
	eps, err := b.store.ListEndpoints(ctx, "acc_1", first.CollectionID, store.Page{Limit: 100})
	require.NoError(t, err)

	// A redelivery after completion changes nothing.
	require.NoError(t, b.handler.ProcessTask(ctx, task))
	again, err := b.store.GetImport(ctx, "acc_1", "imp_1")
	require.NoError(t, err)
	require.Equal(t, first.Counts, again.Counts)
	require.Equal(t, first.FinishedAt, again.FinishedAt)

	// A redelivery after a crash mid-write (the import still running) redoes
	// the work with the same result: simulate by resetting the status.
	b.crashBeforeFinish(t, "imp_1")
	require.NoError(t, b.handler.ProcessTask(ctx, task))
	redone, err := b.store.GetImport(ctx, "acc_1", "imp_1")
	require.NoError(t, err)
	require.Equal(t, first.Counts.Samples, redone.Counts.Samples)
	require.Equal(t, first.Counts.EndpointsCreated, redone.Counts.EndpointsCreated, "creator is recognised on redo")
	eps2, err := b.store.ListEndpoints(ctx, "acc_1", first.CollectionID, store.Page{Limit: 100})
	require.NoError(t, err)
	require.Len(t, eps2, len(eps))
	for i := range eps {
		require.Equal(t, eps[i].SampleIDs, eps2[i].SampleIDs, "no duplicate samples")
	}
}

// crashBeforeFinish puts an import back to running, as if the worker died
// after writing the inventory but before recording the end.
func (b *testBundle) crashBeforeFinish(t *testing.T, id string) {
	t.Helper()
	uriImp, err := b.store.GetImport(context.Background(), "acc_1", id)
	require.NoError(t, err)
	require.NoError(t, b.store.DeleteImport(context.Background(), "acc_1", id))
	uriImp.Status, uriImp.FinishedAt = inventory.StatusRunning, nil
	require.NoError(t, b.store.CreateImport(context.Background(), uriImp))
}

// TestConcurrentImportsOfOneCollection runs imports of the same collection
// at once: optimistic concurrency makes them merge, not overwrite.
func TestConcurrentImportsOfOneCollection(t *testing.T) {
	t.Parallel()
	b := setup(t, 100)
	ctx := context.Background()
	data := example(t)
	const n = 4
	var taskList []*asynq.Task
	for i := range n {
		taskList = append(taskList, b.queue(t, "imp_c"+string(rune('0'+i)), data))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, task := range taskList {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.handler.ProcessTask(ctx, task)
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	created := 0
	var colID string
	for i := range n {
		imp, err := b.store.GetImport(ctx, "acc_1", "imp_c"+string(rune('0'+i)))
		require.NoError(t, err)
		require.Equal(t, inventory.StatusCompleted, imp.Status, imp.Error)
		created += imp.Counts.EndpointsCreated
		colID = imp.CollectionID
	}
	require.Equal(t, 3, created, "each endpoint is created by exactly one import")
	eps, err := b.store.ListEndpoints(ctx, "acc_1", colID, store.Page{Limit: 100})
	require.NoError(t, err)
	require.Len(t, eps, 3)
	for _, ep := range eps {
		require.LessOrEqual(t, len(ep.SampleIDs), 2, "identical saved responses share one sample")
	}
}

// collectionFile is a v2.1 collection of one GET request written as url,
// with one saved response per URL in sent (its originalRequest).
func collectionFile(t *testing.T, postmanID, url string, sent ...string) []byte {
	t.Helper()
	var examples []any
	for i, u := range sent {
		examples = append(examples, map[string]any{
			"name": fmt.Sprint("example ", i), "code": 200, "originalRequest": map[string]any{"method": "GET", "url": u},
			"header": []any{map[string]any{"key": "Content-Type", "value": "application/json"}},
			"body":   fmt.Sprintf(`{"n": %d}`, i),
		})
	}
	data, err := json.Marshal(map[string]any{
		"info": map[string]any{"_postman_id": postmanID, "name": "Known templates",
			"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"item": []any{map[string]any{"name": url, "request": map[string]any{"method": "GET", "url": url}, "response": examples}},
	})
	require.NoError(t, err)
	return data
}

// TestKnownTemplates: a later import's sample whose path has no template
// of its own in the collection joins a template an earlier import stored,
// even when the later collection no longer has the request that declared
// it; a path the collection writes literally keeps its own endpoint.
func TestKnownTemplates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		second []byte
		// paths of the endpoints after the second import, by template
		want map[string][]string
	}{
		{
			name:   "an example's word joins the stored declared parameter",
			second: collectionFile(t, "p-1", "https://api.test/orders/ABCDEF", "https://api.test/orders/ABCDEF", "https://api.test/orders/XYZABC"),
			want:   map[string][]string{"/orders/{orderId}": {"/orders/7", "/orders/XYZABC"}, "/orders/ABCDEF": {"/orders/ABCDEF"}},
		},
		{
			name:   "a value joins it with the stored name",
			second: collectionFile(t, "p-1", "https://api.test/orders/9", "https://api.test/orders/9"),
			want:   map[string][]string{"/orders/{orderId}": {"/orders/7", "/orders/9"}},
		},
		{
			name:   "another collection does not share templates",
			second: collectionFile(t, "p-2", "https://api.test/orders/ABCDEF", "https://api.test/orders/XYZABC"),
			want:   map[string][]string{"/orders/XYZABC": {"/orders/XYZABC"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, 10)
			first := collectionFile(t, "p-1", "https://api.test/orders/:orderId", "https://api.test/orders/7")
			require.NoError(t, b.handler.ProcessTask(ctx, b.queue(t, "imp_1", first)))
			require.NoError(t, b.handler.ProcessTask(ctx, b.queue(t, "imp_2", tc.second)))
			imp, err := b.store.GetImport(ctx, "acc_1", "imp_2")
			require.NoError(t, err)
			require.Equal(t, inventory.StatusCompleted, imp.Status, imp.Error)
			eps, err := b.store.CollectionEndpoints(ctx, "acc_1", imp.CollectionID)
			require.NoError(t, err)
			got := map[string][]string{}
			for _, ep := range eps {
				got[ep.Path] = ep.Paths
			}
			require.Equal(t, tc.want, got)

			tpl, err := b.store.EndpointTemplates(ctx, "acc_1", imp.CollectionID)
			require.NoError(t, err)
			require.Len(t, tpl, len(eps))
			for i, ep := range eps {
				require.Equal(t, inventory.Endpoint{ID: ep.ID, Method: "GET", Host: "api.test", Path: ep.Path, PathParams: ep.PathParams}, tpl[i],
					"templates carry only what templating reads")
			}
		})
	}
}

// ex is a saved response of a test collection.
type ex struct {
	status int
	sent   string
	body   string
}

// item is a request of a test collection.
type item struct {
	method, url string
	examples    []ex
}

func collectionOf(t *testing.T, postmanID string, items ...item) []byte {
	t.Helper()
	var list []any
	for _, it := range items {
		var examples []any
		for i, e := range it.examples {
			examples = append(examples, map[string]any{
				"name": fmt.Sprint("example ", i), "code": e.status, "originalRequest": map[string]any{"method": it.method, "url": e.sent},
				"header": []any{map[string]any{"key": "Content-Type", "value": "application/json"}}, "body": e.body,
			})
		}
		list = append(list, map[string]any{"name": it.method + " " + it.url, "request": map[string]any{"method": it.method, "url": it.url}, "response": examples})
	}
	data, err := json.Marshal(map[string]any{
		"info": map[string]any{"_postman_id": postmanID, "name": "Change feed",
			"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"item": list,
	})
	require.NoError(t, err)
	return data
}

// TestChangeFeed imports three versions of a collection, the last through
// a workspace sync, and checks what each import recorded.
func TestChangeFeed(t *testing.T) {
	t.Parallel()
	b := setup(t, 10)
	ctx := context.Background()
	user := func(extra ...ex) item {
		return item{"GET", "https://api.test/users/:id", append([]ex{{200, "https://api.test/users/7", `{"id": 7}`}}, extra...)}
	}
	orders := item{"GET", "https://api.test/orders", []ex{{200, "https://api.test/orders", `[]`}}}
	create := item{"POST", "https://api.test/users", []ex{{201, "https://api.test/users", `{"id": 8}`}}}
	type step struct {
		id, kind string
		file     []byte
		want     changes.Counts
		details  map[string][]changes.Detail // by path, of changed endpoints
		summary  changes.Summary
	}
	none := []string{}
	steps := []step{
		{id: "imp_01", kind: "upload", file: collectionOf(t, "p-9", user(), orders),
			want:    changes.Counts{Added: 2},
			summary: changes.Summary{Counts: changes.Counts{Added: 2}, SensitiveTypesAdded: none, AuthTypesAdded: []string{"UNAUTHENTICATED"}, AuthTypesRemoved: none}},
		{id: "imp_02", kind: "upload", file: collectionOf(t, "p-9", user(ex{404, "https://api.test/users/0", `{"error": "no user", "contact": "help@example.com"}`}), create),
			want: changes.Counts{Added: 1, Changed: 1},
			details: map[string][]changes.Detail{"/users/{id}": {
				{Facet: changes.FacetResponseField, Op: changes.OpAdded, Value: "404 $.contact"},
				{Facet: changes.FacetResponseField, Op: changes.OpAdded, Value: "404 $.error"},
				{Facet: changes.FacetSensitiveType, Op: changes.OpAdded, Value: "EMAIL"},
				{Facet: changes.FacetStatusCode, Op: changes.OpAdded, Value: "404"},
			}},
			summary: changes.Summary{Counts: changes.Counts{Added: 1, Changed: 1}, SensitiveTypesAdded: []string{"EMAIL"}, AuthTypesAdded: []string{"UNAUTHENTICATED"}, AuthTypesRemoved: none}},
		{id: "imp_03", kind: workspace.ImportSourceKind, file: collectionOf(t, "p-9", user()),
			want:    changes.Counts{Removed: 2},
			summary: changes.Summary{Counts: changes.Counts{Removed: 2}, SensitiveTypesAdded: none, AuthTypesAdded: none, AuthTypesRemoved: none}},
		{id: "imp_04", kind: workspace.ImportSourceKind, file: collectionOf(t, "p-9", user(), orders),
			want:    changes.Counts{Added: 1},
			summary: changes.Summary{Counts: changes.Counts{Added: 1}, SensitiveTypesAdded: none, AuthTypesAdded: []string{"UNAUTHENTICATED"}, AuthTypesRemoved: none}},
		{id: "imp_05", kind: "upload", file: collectionOf(t, "p-9", user(), orders),
			want:    changes.Counts{},
			summary: changes.Summary{SensitiveTypesAdded: none, AuthTypesAdded: none, AuthTypesRemoved: none}},
	}
	for _, st := range steps {
		require.NoError(t, b.handler.ProcessTask(ctx, b.queueAs(t, st.id, st.kind, st.file)))
		set, err := b.store.ChangesOfImport(ctx, "acc_1", st.id)
		require.NoError(t, err, st.id)
		require.Equal(t, st.want, set.Counts, "%s: %+v", st.id, set.Changes)
		require.Equal(t, st.kind, set.Source)
		require.Equal(t, st.summary, set.Summarize(), st.id)
		for _, c := range set.Changes {
			if c.Kind == changes.Changed {
				require.Equal(t, st.details[c.Path], c.Details, "%s %s", st.id, c.Path)
			}
		}
		// A redelivery after a crash before the end finds its writes done
		// and keeps what it recorded the first time.
		b.crashBeforeFinish(t, st.id)
		require.NoError(t, b.handler.ProcessTask(ctx, b.queueTask(t, st.id)))
		again, err := b.store.ChangesOfImport(ctx, "acc_1", st.id)
		require.NoError(t, err)
		require.Equal(t, set, again, st.id)
	}
	imp3, err := b.store.ChangesOfImport(ctx, "acc_1", "imp_03")
	require.NoError(t, err)
	var removed []string
	for _, c := range imp3.Changes {
		removed = append(removed, c.Method+" "+c.Path)
	}
	require.Equal(t, []string{"GET /orders", "POST /users"}, removed)
	imp4, err := b.store.ChangesOfImport(ctx, "acc_1", "imp_04")
	require.NoError(t, err)
	require.True(t, imp4.Changes[0].Reappeared, "the sync had removed it")

	sets, err := b.store.ListChanges(ctx, "acc_1", imp3.CollectionID, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, sets, len(steps), "every import records a set, one that changed nothing too")
	require.Equal(t, "imp_05", sets[0].ImportID)
}

// TestRedactionSwitch imports a request with a bearer token and an answer
// with an email, with redaction on (the default) and off.
func TestRedactionSwitch(t *testing.T) {
	t.Parallel()
	const token, email = "Bearer tok-7d1e94c2b8", "jane.doe@example.com"
	data, err := json.Marshal(map[string]any{
		"info": map[string]any{"_postman_id": "p-redact", "name": "Redaction",
			"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
		"item": []any{map[string]any{
			"name": "me",
			"request": map[string]any{"method": "GET", "url": "https://api.test/me",
				"header": []any{map[string]any{"key": "Authorization", "value": token}}},
			"response": []any{map[string]any{
				"name": "ok", "code": 200, "body": `{"email": "` + email + `"}`,
				"originalRequest": map[string]any{"method": "GET", "url": "https://api.test/me",
					"header": []any{map[string]any{"key": "Authorization", "value": token}}},
			}},
		}},
	})
	require.NoError(t, err)
	for _, tc := range []struct {
		name        string
		noRedaction bool
	}{
		{"redacted by default", false},
		{"kept as saved when switched off", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setupWith(t, importer.Config{SamplesPerEndpoint: 10, NoRedaction: tc.noRedaction})
			require.NoError(t, b.handler.ProcessTask(ctx, b.queue(t, "imp_1", data)))
			imp, err := b.store.GetImport(ctx, "acc_1", "imp_1")
			require.NoError(t, err)
			eps, err := b.store.CollectionEndpoints(ctx, "acc_1", imp.CollectionID)
			require.NoError(t, err)
			require.Len(t, eps, 1)
			require.Contains(t, eps[0].SensitiveTypes, sensitive.Email, "detection runs either way")
			samples, err := b.store.SamplesByID(ctx, "acc_1", eps[0].SampleIDs)
			require.NoError(t, err)
			require.Len(t, samples, 1)
			raw, err := json.Marshal(samples[0])
			require.NoError(t, err)
			if tc.noRedaction {
				require.Contains(t, string(raw), "tok-7d1e94c2b8")
				require.Contains(t, string(raw), email)
			} else {
				require.NotContains(t, string(raw), "tok-7d1e94c2b8")
				require.NotContains(t, string(raw), email)
			}
		})
	}
}
