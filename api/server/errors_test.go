package server_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	apiserver "github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/auth"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/store"
)

// internalSecret is text only internals know: it must never reach a client.
const internalSecret = "mongodb://admin:hunter2@10.1.2.3:27017"

// brokenStore authenticates one token and fails everything else the way a
// broken database would, with internal detail in its errors.
type brokenStore struct{ apiserver.Store }

func (brokenStore) AccountByTokenHash(_ context.Context, h string) (string, error) {
	if h == auth.Hash("aps_good") {
		return "acc_1", nil
	}
	return "", store.ErrNotFound
}
func (brokenStore) PutBlob(context.Context, string, []byte) error        { return nil }
func (brokenStore) DeleteBlob(context.Context, string) error             { return nil }
func (brokenStore) CreateImport(context.Context, inventory.Import) error { return nil }
func (brokenStore) DeleteImport(context.Context, string, string) error   { return nil }
func (brokenStore) GetImport(context.Context, string, string) (inventory.Import, error) {
	panic("store exploded: " + internalSecret)
}
func (brokenStore) ListImports(context.Context, string, store.Page) ([]inventory.Import, error) {
	return nil, errors.New("list imports: server selection error: " + internalSecret)
}
func (brokenStore) GetCollection(context.Context, string, string) (inventory.Collection, error) {
	return inventory.Collection{}, errors.New("connection reset by " + internalSecret)
}

type brokenQueue struct{}

func (brokenQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("dial tcp 10.1.2.3:6379: NOAUTH " + internalSecret)
}

// TestErrorsLeakNothing drives every failure path to the one error handler
// and checks the shared shape, and that internal text is logged, not shown.
func TestErrorsLeakNothing(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(string) string { return "" })
	require.NoError(t, err)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	s := apiserver.New(cfg, brokenStore{}, brokenQueue{}, nil, nil, metrics.New(), log)
	example := `{"info":{"name":"x","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},"item":[]}`

	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"store error", "GET", "/v1/imports", "", 500, "internal"},
		{"panic", "GET", "/v1/imports/imp_1", "", 500, "internal"},
		{"store error behind a 404 check", "GET", "/v1/collections/col_1", "", 500, "internal"},
		{"queue down", "POST", "/v1/imports", example, 503, "queue_unavailable"},
		{"wrong method", "POST", "/openapi.yaml", "", 405, "method_not_allowed"},
		{"unknown route", "GET", "/nothing", "", 404, "not_found"},
		{"unknown route under /v1", "GET", "/v1/nothing", "", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer aps_good")
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			require.Equal(t, "application/json", strings.Split(rec.Header().Get("Content-Type"), ";")[0])
			body := rec.Body.String()
			for _, leak := range []string{"hunter2", "10.1.2.3", "mongodb://", "exploded", "NOAUTH", "dial tcp", "goroutine"} {
				require.NotContains(t, body, leak)
			}
			r := response{Status: rec.Code, Body: rec.Body.Bytes()}
			e := r.json(t)
			require.Len(t, e, 1, "only the error key")
			require.Equal(t, tt.code, e["error"].(map[string]any)["code"])
			require.NotEmpty(t, e["error"].(map[string]any)["message"])
		})
	}
	// The causes went to the log, for operators.
	require.Contains(t, logs.String(), "server selection error")
	require.Contains(t, logs.String(), "store exploded")
	require.Contains(t, logs.String(), "NOAUTH")
}
