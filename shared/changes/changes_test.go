package changes_test

import (
	"fmt"
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
		{Kind: changes.Added, EndpointID: e2[2].ID, Method: "POST", Host: "h", Path: "/users", Details: []changes.Detail{
			{Facet: changes.FacetAuthType, Op: changes.OpAdded, Value: "UNAUTHENTICATED"},
		}},
	}, got, "an added endpoint lists its auth and sensitive types")

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

func TestUnion(t *testing.T) {
	t.Parallel()
	d := func(facet, op, v string) changes.Detail { return changes.Detail{Facet: facet, Op: op, Value: v} }
	ch := func(k changes.Kind, id string, ds ...changes.Detail) changes.Change {
		return changes.Change{Kind: k, EndpointID: id, Method: "GET", Host: "h", Path: "/" + id, Details: ds}
	}
	q := d(changes.FacetQueryParam, changes.OpAdded, "limit")
	s404 := d(changes.FacetStatusCode, changes.OpAdded, "404")
	email := d(changes.FacetSensitiveType, changes.OpAdded, "EMAIL")
	bearer := d(changes.FacetAuthType, changes.OpAdded, "BEARER")
	reappeared := ch(changes.Added, "a", bearer)
	reappeared.Reappeared = true
	for _, tc := range []struct {
		name string
		a, b []changes.Change
		want []changes.Change
	}{
		{"disjoint, sorted", []changes.Change{ch(changes.Changed, "b", q)}, []changes.Change{ch(changes.Added, "a")},
			[]changes.Change{ch(changes.Added, "a"), ch(changes.Changed, "b", q)}},
		{"changed and changed unite details", []changes.Change{ch(changes.Changed, "a", s404)}, []changes.Change{ch(changes.Changed, "a", q, s404)},
			[]changes.Change{ch(changes.Changed, "a", q, s404)}},
		{"added then changed stays added", []changes.Change{ch(changes.Added, "a", bearer)}, []changes.Change{ch(changes.Changed, "a", q, email)},
			[]changes.Change{ch(changes.Added, "a", bearer)}},
		{"changed then added is added", []changes.Change{ch(changes.Changed, "a", q)}, []changes.Change{ch(changes.Added, "a", email)},
			[]changes.Change{ch(changes.Added, "a", email)}},
		{"added and added unite", []changes.Change{ch(changes.Added, "a", bearer)}, []changes.Change{ch(changes.Added, "a", email)},
			[]changes.Change{ch(changes.Added, "a", bearer, email)}},
		{"removed then reappeared is added again", []changes.Change{ch(changes.Removed, "a")}, []changes.Change{reappeared},
			[]changes.Change{reappeared}},
		{"removed and changed is removed", []changes.Change{ch(changes.Changed, "a", q)}, []changes.Change{ch(changes.Removed, "a")},
			[]changes.Change{ch(changes.Removed, "a")}},
		{"a retry adds nothing", []changes.Change{ch(changes.Changed, "a", q)}, []changes.Change{ch(changes.Changed, "a", q)},
			[]changes.Change{ch(changes.Changed, "a", q)}},
		{"empty", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, changes.Union(tc.a, tc.b))
		})
	}
}

func TestSetAddAndSummary(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := changes.NewSet("acc", "col", "imp", at, []changes.Change{
		{Kind: changes.Added, EndpointID: "a", Details: []changes.Detail{{Facet: changes.FacetAuthType, Op: changes.OpAdded, Value: "BEARER"}}},
		{Kind: changes.Removed, EndpointID: "r"},
	})
	s = s.Add([]changes.Change{{Kind: changes.Changed, EndpointID: "c", Details: []changes.Detail{
		{Facet: changes.FacetAuthType, Op: changes.OpAdded, Value: "BEARER"},
		{Facet: changes.FacetAuthType, Op: changes.OpRemoved, Value: "BASIC"},
		{Facet: changes.FacetSensitiveType, Op: changes.OpAdded, Value: "EMAIL"},
	}}})
	require.Equal(t, changes.Counts{Added: 1, Changed: 1, Removed: 1}, s.Counts)
	require.Equal(t, s, s.Add(s.Changes), "adding what is there changes nothing")
	require.Equal(t, changes.Summary{
		Counts: s.Counts, SensitiveTypesAdded: []string{"EMAIL"}, AuthTypesAdded: []string{"BEARER"}, AuthTypesRemoved: []string{"BASIC"},
	}, s.Summarize())

	var many []changes.Change
	for i := range changes.MaxChanges + 2 {
		many = append(many, changes.Change{Kind: changes.Added, EndpointID: fmt.Sprintf("ep_%05d", i)})
	}
	big := changes.NewSet("acc", "col", "imp", at, many)
	require.Equal(t, changes.MaxChanges+2, big.Counts.Added, "counts count everything")
	require.Len(t, big.Changes, changes.MaxChanges)
	require.True(t, big.Truncated)
	require.True(t, big.Add(nil).Truncated, "truncation is remembered")
}
