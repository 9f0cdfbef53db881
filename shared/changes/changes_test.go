package changes_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
)

// endpoints plans and merges a collection over prev, as the importer does,
// and returns the endpoints the import observed.
func endpoints(t *testing.T, c *postman.Collection, prev []inventory.Endpoint, imp string) []inventory.Endpoint {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := inventory.PlanImport(c, "col", inventory.PlanOptions{AccountID: "acc", ImportID: imp, Now: now, Known: prev})
	byID := map[string]*inventory.Endpoint{}
	for i := range prev {
		byID[prev[i].ID] = &prev[i]
	}
	var out []inventory.Endpoint
	for _, obs := range p.Observations {
		ep, _, _ := inventory.Merge(byID[inventory.EndpointID("col", obs.Key)], obs, inventory.MergeOptions{AccountID: "acc", CollectionID: "col", ImportID: imp, Now: now, Keep: 10})
		out = append(out, ep)
	}
	return out
}

func request(id, method, written, path string, query []postman.KV, headers []postman.KV, status int, body string) postman.Request {
	b := postman.BuiltRequest{Method: method, Headers: headers, URL: postman.URL{Raw: "https://h" + path, Scheme: "https", Host: "h", Path: path, PathTemplate: written, Query: query}}
	return postman.Request{ID: id, Name: id, Built: b, Examples: []postman.Example{{Name: "ex", Request: b, Status: status, Body: body}}}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	v1 := &postman.Collection{Requests: []postman.Request{
		request("users", "GET", "/users", "/users", []postman.KV{{Key: "limit", Value: "1"}}, nil, 200, `{"data":[{"id":1}]}`),
		request("user", "GET", "/users/:id", "/users/1", nil, nil, 200, `{"id":1}`),
		request("old", "DELETE", "/legacy", "/legacy", nil, nil, 204, ``),
	}}
	e1 := endpoints(t, v1, nil, "imp1")
	first := changes.Diff(nil, e1)
	require.Len(t, first, 3)
	for _, c := range first {
		require.Equal(t, changes.Added, c.Kind)
	}

	v2 := &postman.Collection{Requests: []postman.Request{
		request("users", "GET", "/users", "/users", []postman.KV{{Key: "limit", Value: "1"}, {Key: "cursor", Value: "x"}},
			[]postman.KV{{Key: "X-Api-Key", Value: "k"}}, 200, `{"data":[{"id":1,"email":"a@example.com"}]}`),
		request("user", "GET", "/users/:id", "/users/1", nil, nil, 200, `{"id":1}`),
		request("user404", "GET", "/users/:id", "/users/2", nil, nil, 404, `{"error":"x"}`),
		request("new", "POST", "/users", "/users", nil, nil, 201, `{}`),
	}}
	e2 := endpoints(t, v2, e1, "imp2")
	got := changes.Diff(e1, e2)
	require.Equal(t, []changes.Change{
		{Kind: changes.Removed, EndpointID: e1[2].ID, Method: "DELETE", Host: "h", Path: "/legacy"},
		{Kind: changes.Changed, EndpointID: e1[0].ID, Method: "GET", Host: "h", Path: "/users", Details: []changes.Detail{
			{Facet: changes.FacetAuthType, Op: changes.OpAdded, Value: "API_KEY"},
			{Facet: changes.FacetHeader, Op: changes.OpAdded, Value: "X-Api-Key"},
			{Facet: changes.FacetQueryParam, Op: changes.OpAdded, Value: "cursor"},
			{Facet: changes.FacetResponseField, Op: changes.OpAdded, Value: "200 $.data[*].email"},
			{Facet: changes.FacetSensitiveType, Op: changes.OpAdded, Value: "EMAIL"},
		}},
		{Kind: changes.Changed, EndpointID: e1[1].ID, Method: "GET", Host: "h", Path: "/users/{id}", Details: []changes.Detail{
			{Facet: changes.FacetResponseField, Op: changes.OpAdded, Value: "404 $.error"},
			{Facet: changes.FacetStatusCode, Op: changes.OpAdded, Value: "404"},
		}},
		{Kind: changes.Added, EndpointID: e2[2].ID, Method: "POST", Host: "h", Path: "/users"},
	}, got)

	// The same import again: nothing changed.
	e2again := endpoints(t, v2, e2, "imp3")
	require.Empty(t, changes.Diff(e2, e2again), "re-importing an unchanged collection changes nothing")

	// A removed endpoint that comes back is added again.
	var prev []inventory.Endpoint
	for _, ep := range e1 {
		if ep.Path == "/legacy" {
			ep = inventory.MarkRemoved(ep, "imp2", time.Now())
		}
		prev = append(prev, ep)
	}
	back := changes.Diff(prev, endpoints(t, v1, prev, "imp4"))
	require.Len(t, back, 1)
	require.Equal(t, changes.Added, back[0].Kind)
	require.True(t, back[0].Reappeared)
	require.Equal(t, "/legacy", back[0].Path)
}

func TestNewSet(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := changes.NewSet("acc", "col", "imp", at, []changes.Change{{Kind: changes.Added}, {Kind: changes.Removed}, {Kind: changes.Added}})
	require.Equal(t, changes.Counts{Added: 2, Removed: 1}, s.Counts)
	require.Equal(t, s.ID, changes.NewSet("acc", "col", "imp", at.Add(time.Hour), nil).ID, "stable per import")
	require.NotEqual(t, s.ID, changes.NewSet("acc", "col", "imp2", at, nil).ID)
	require.NotNil(t, changes.NewSet("acc", "col", "imp", at, nil).Changes, "encodes as [] not null")
}
