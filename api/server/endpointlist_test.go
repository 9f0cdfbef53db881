package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	apiserver "github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/auth"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/store"
)

// queryStore records the endpoint queries it is asked and answers a fixed
// list, cut at the query's limit.
type queryStore struct {
	apiserver.Store
	eps  []inventory.Endpoint
	mu   sync.Mutex
	last store.EndpointQuery
}

func (*queryStore) AccountByTokenHash(_ context.Context, h string) (string, error) {
	if h == auth.Hash("aps_good") {
		return "acc_1", nil
	}
	return "", store.ErrNotFound
}

func (*queryStore) GetCollection(_ context.Context, _, id string) (inventory.Collection, error) {
	if id != "col_1" {
		return inventory.Collection{}, store.ErrNotFound
	}
	return inventory.Collection{ID: id}, nil
}

func (s *queryStore) QueryEndpoints(_ context.Context, _, _ string, q store.EndpointQuery) ([]inventory.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = q
	return s.eps[:min(len(s.eps), q.Limit)], nil
}

func TestEndpointListParameters(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(string) string { return "" })
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC)
	st := &queryStore{eps: []inventory.Endpoint{
		{ID: "ep_1", CollectionID: "col_1", Method: "GET", Host: "h", Path: "/a", LastSeen: t0, SampleIDs: []string{"s1"}},
		{ID: "ep_2", CollectionID: "col_1", Method: "GET", Host: "h", Path: "/b", LastSeen: t0},
		{ID: "ep_3", CollectionID: "col_1", Method: "GET", Host: "h", Path: "/c", LastSeen: t0},
	}}
	s := apiserver.New(cfg, st, nil, nil, nil, metrics.New(), cfg.NewLogger(io.Discard))
	v := openAPIValidator(t)
	yes, no := true, false
	for _, tc := range []struct {
		name   string
		query  string
		status int
		code   string
		param  string
		want   store.EndpointQuery // Limit and After are checked apart
	}{
		{name: "defaults", query: "", status: 200, want: store.EndpointQuery{Sort: store.SortPath}},
		{name: "methods", query: "method=get,%20Post,GET", status: 200, want: store.EndpointQuery{Sort: store.SortPath, Filter: store.EndpointFilter{Methods: []string{"GET", "POST"}}}},
		{name: "host is lower-cased", query: "host=API.Example.com:8443", status: 200, want: store.EndpointQuery{Sort: store.SortPath, Filter: store.EndpointFilter{Host: "api.example.com:8443"}}},
		{name: "path prefix and search", query: "path_prefix=/v1/Users&q=%7Bid%7D", status: 200, want: store.EndpointQuery{Sort: store.SortPath, Filter: store.EndpointFilter{PathPrefix: "/v1/Users", Search: "{id}"}}},
		{name: "types any case", query: "auth_type=bearer&sensitive_type=credit_card", status: 200, want: store.EndpointQuery{Sort: store.SortPath, Filter: store.EndpointFilter{AuthType: "BEARER", SensitiveType: "CREDIT_CARD"}}},
		{name: "status", query: "status=404", status: 200, want: store.EndpointQuery{Sort: store.SortPath, Filter: store.EndpointFilter{Status: 404}}},
		{name: "removed true", query: "removed=true", status: 200, want: store.EndpointQuery{Sort: store.SortPath, Filter: store.EndpointFilter{Removed: &yes}}},
		{name: "removed false", query: "removed=false", status: 200, want: store.EndpointQuery{Sort: store.SortPath, Filter: store.EndpointFilter{Removed: &no}}},
		{name: "removed any", query: "removed=any", status: 200, want: store.EndpointQuery{Sort: store.SortPath}},
		{name: "sort", query: "sort=-last_seen", status: 200, want: store.EndpointQuery{Sort: store.SortLastSeenDesc}},

		{name: "bad method", query: "method=GET,", status: 400, code: "invalid_filter", param: "method"},
		{name: "method with a symbol", query: "method=G%20T", status: 400, code: "invalid_filter", param: "method"},
		{name: "relative prefix", query: "path_prefix=users", status: 400, code: "invalid_filter", param: "path_prefix"},
		{name: "unknown auth type", query: "auth_type=magic", status: 400, code: "invalid_filter", param: "auth_type"},
		{name: "unknown sensitive type", query: "sensitive_type=shoe_size", status: 400, code: "invalid_filter", param: "sensitive_type"},
		{name: "status not a number", query: "status=2xx", status: 400, code: "invalid_filter", param: "status"},
		{name: "status out of range", query: "status=600", status: 400, code: "invalid_filter", param: "status"},
		{name: "removed yes", query: "removed=yes", status: 400, code: "invalid_filter", param: "removed"},
		{name: "unknown sort", query: "sort=-sample_count", status: 400, code: "invalid_sort"},
		{name: "bad limit", query: "limit=1001", status: 400, code: "invalid_limit"},
		{name: "cursor not base64", query: "cursor=*", status: 400, code: "invalid_cursor"},
		{name: "cursor of the old id order", query: "cursor=ZXBfMQ", status: 400, code: "invalid_cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/collections/col_1/endpoints?"+tc.query, nil)
			req.Header.Set("Authorization", "Bearer aps_good")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.status == 200 {
				ok, errs := v.ValidateHttpRequestSync(req)
				require.True(t, ok, describe(errs))
			}
			ok, errs := v.ValidateHttpResponse(req, rec.Result())
			require.True(t, ok, describe(errs))
			var body map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			if tc.status != 200 {
				e := body["error"].(map[string]any)
				require.Equal(t, tc.code, e["code"])
				if tc.param != "" {
					require.Equal(t, tc.param, e["details"].(map[string]any)["param"])
				}
				return
			}
			st.mu.Lock()
			got := st.last
			st.mu.Unlock()
			require.Equal(t, 101, got.Limit, "one more than the page, to know whether another follows")
			got.Limit = 0
			require.Equal(t, tc.want, got)
		})
	}
}

func TestEndpointListCursor(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(string) string { return "" })
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC)
	st := &queryStore{eps: []inventory.Endpoint{
		{ID: "ep_1", CollectionID: "col_1", Method: "GET", Host: "h", Path: "/a", LastSeen: t0, SampleIDs: []string{"s1"}},
		{ID: "ep_2", CollectionID: "col_1", Method: "POST", Host: "h:81", Path: "/b/{id}", LastSeen: t0.Add(time.Second)},
		{ID: "ep_3", CollectionID: "col_1", Method: "GET", Host: "h", Path: "/c", LastSeen: t0},
	}}
	s := apiserver.New(cfg, st, nil, nil, nil, metrics.New(), cfg.NewLogger(io.Discard))
	getFrom := func(collection, query string) (int, map[string]any) {
		req := httptest.NewRequest("GET", "/v1/collections/"+collection+"/endpoints?"+query, nil)
		req.Header.Set("Authorization", "Bearer aps_good")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		return rec.Code, body
	}
	get := func(query string) (int, map[string]any) { return getFrom("col_1", query) }
	code, page := get("sort=-last_seen&limit=2")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, page["items"], 2)
	require.EqualValues(t, 1, page["items"].([]any)[0].(map[string]any)["sample_count"])
	cursor := page["next_cursor"].(string)

	code, _ = get("sort=-last_seen&limit=2&cursor=" + cursor)
	require.Equal(t, http.StatusOK, code)
	st.mu.Lock()
	after := st.last.After
	st.mu.Unlock()
	require.Equal(t, &store.EndpointCursor{ID: "ep_2", Method: "POST", Host: "h:81", Path: "/b/{id}", LastSeen: t0.Add(time.Second)}, after,
		"the cursor carries the last item's sort values")

	code, body := get("sort=path&limit=2&cursor=" + cursor)
	require.Equal(t, http.StatusBadRequest, code, "a cursor continues only its own order")
	require.Equal(t, "invalid_cursor", body["error"].(map[string]any)["code"])

	_, last := get("limit=3")
	require.Nil(t, last["next_cursor"], "no cursor on the last page")
	code, body = getFrom("col_2", "")
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "not_found", body["error"].(map[string]any)["code"])
}
