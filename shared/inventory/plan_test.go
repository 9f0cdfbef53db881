package inventory

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

func built(method, host, port, path string) postman.BuiltRequest {
	return postman.BuiltRequest{Method: method, URL: postman.URL{
		Raw: "https://" + host + path, Scheme: "https", Host: host, Port: port, Path: path,
	}}
}

func TestPlanImport(t *testing.T) {
	t.Parallel()
	getUser := built("GET", "api.example.com", "", "/users/:id")
	coll := &postman.Collection{Name: "Example", PostmanID: "pm-1", Schema: postman.SchemaV21, Requests: []postman.Request{
		{ID: "r1", Name: "Get user", Built: getUser, Examples: []postman.Example{
			{Name: "ok", Request: getUser, Status: 200, Body: `{"id":1}`},
			{Name: "missing", Request: getUser, Status: 404},
			{Name: "no status", Request: built("GET", "api.example.com", "8443", "/users/7"), Body: "x"},
		}},
		{ID: "r2", Name: "List users", Built: built("GET", "api.example.com", "", "/users")},
		{Name: "Broken", Invalid: "request is a number"},
	}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	colID := CollectionID("acc", coll.PostmanID, nil)
	p := PlanImport(coll, colID, PlanOptions{AccountID: "acc", ImportID: "imp1", Now: now, SampleBodyMax: 4})

	require.Equal(t, 3, p.Counts.Total)
	require.Equal(t, 1, p.Counts.Imported)
	require.Equal(t, map[string]int{ReasonNoSavedResponse: 1, ReasonInvalidItem: 1}, p.Counts.Skipped)
	require.Equal(t, 3, p.Counts.Samples)
	require.Equal(t, map[string]int{"2xx": 1, "4xx": 1, "unknown": 1}, p.Counts.SamplesByStatus)
	require.Len(t, p.Observations, 2, "the port makes another endpoint")
	// The key is the template's: parameter names and types left out.
	require.Equal(t, EndpointKey{Method: "GET", Host: "api.example.com", Path: "/users/{}"}, p.Observations[0].Key)
	require.Equal(t, "/users/{id}", p.Observations[0].Template)
	require.Equal(t, "api.example.com:8443", p.Observations[1].Key.Host)
	s := p.Observations[0].Samples[0]
	require.Equal(t, `{"id`, s.Response.Body)
	require.True(t, s.Response.BodyTruncated)
	require.Equal(t, "imp1", s.Source.ImportID)
	require.Equal(t, "request is a number", p.Outcomes[2].Detail)
	require.Len(t, p.Outcomes[0].EndpointIDs, 2)

	again := PlanImport(coll, colID, PlanOptions{AccountID: "acc", ImportID: "imp1", Now: now, SampleBodyMax: 4})
	require.Equal(t, p, again, "planning is deterministic")
	other := PlanImport(coll, colID, PlanOptions{AccountID: "acc", ImportID: "imp2", Now: now.Add(time.Hour)})
	require.Equal(t, p.Observations[0].Samples[1].ID, other.Observations[0].Samples[1].ID,
		"an unchanged saved response keeps its sample id across imports")
}

func TestCollectionID(t *testing.T) {
	t.Parallel()
	require.Equal(t, CollectionID("a", "pm", []byte("x")), CollectionID("a", "pm", []byte("y")))
	require.NotEqual(t, CollectionID("a", "pm", nil), CollectionID("b", "pm", nil), "accounts never share a collection")
	require.NotEqual(t, CollectionID("a", "", []byte("x")), CollectionID("a", "", []byte("y")))
	require.Equal(t, CollectionID("a", "", []byte("x")), CollectionID("a", "", []byte("x")))
}
