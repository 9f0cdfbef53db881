package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// savedItem is a request item with one saved response.
func savedItem(name, url string, responses ...map[string]any) map[string]any {
	it := item(name, "GET", url, nil)
	it["response"] = responses
	return it
}

func savedResponse(url string, code int, body string) map[string]any {
	return map[string]any{
		"name": "saved", "code": code, "body": body, "originalRequest": map[string]any{"method": "GET", "url": url},
		"header": []map[string]any{{"key": "Content-Type", "value": "application/json"}},
	}
}

// changeSetDoc is the part of a change set the test reads.
type changeSetDoc struct {
	ImportID string         `json:"import_id"`
	Source   string         `json:"source"`
	Counts   map[string]int `json:"counts"`
	Changes  []struct {
		Kind    string `json:"kind"`
		Path    string `json:"path"`
		Details []struct {
			Facet, Op, Value string
		} `json:"details"`
	} `json:"changes"`
	Summary struct {
		SensitiveTypesAdded []string `json:"sensitive_types_added"`
		AuthTypesAdded      []string `json:"auth_types_added"`
	} `json:"summary"`
}

// TestChangeFeedAPI imports three versions of a collection, the first with
// a replayed request, and reads the change feed and the import views.
func TestChangeFeedAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, strictEgress)
	tg := newTarget(t)
	v := openAPIValidator(t)
	bearer := map[string]string{"Authorization": "Bearer " + b.tokenA}
	saved := savedItem("saved", tg.srv.URL+"/ok/saved", savedResponse(tg.srv.URL+"/ok/saved", 200, `{"id": 1}`))
	v1 := collectionJSON(t, "feed", []map[string]any{saved, item("replayed", "GET", tg.srv.URL+"/ok/replayed", nil)})

	first := b.waitImport(t, b.tokenA, b.submitWith(t, v1, `{"allow_replay": true}`, nil))
	require.Equal(t, "completed", first.Status, first.Error)
	require.Equal(t, 1, tg.count("/ok/replayed"))
	second := b.waitImport(t, b.tokenA, b.submitWith(t, v1, `{"allow_replay": false}`, nil))
	require.Equal(t, "completed", second.Status, second.Error)
	v3 := collectionJSON(t, "feed", []map[string]any{
		savedItem("saved", tg.srv.URL+"/ok/saved", savedResponse(tg.srv.URL+"/ok/saved", 200, `{"id": 1}`),
			savedResponse(tg.srv.URL+"/ok/saved", 404, `{"error": "gone"}`)),
		savedItem("new", tg.srv.URL+"/ok/new", savedResponse(tg.srv.URL+"/ok/new", 200, `{}`)),
	})
	third := b.waitImport(t, b.tokenA, b.submitWith(t, v3, `{}`, nil))
	require.Equal(t, "completed", third.Status, third.Error)
	require.Len(t, b.listAll(t, "/v1/collections/"+first.CollectionID+"/endpoints", b.tokenA, 100), 3,
		"re-imports keep the endpoint count; an upload removes nothing")

	// The feed, newest first, a page at a time.
	path := "/v1/collections/" + first.CollectionID + "/changes"
	var sets []changeSetDoc
	for _, item := range b.listAll(t, path, b.tokenA, 2) {
		raw, err := json.Marshal(item)
		require.NoError(t, err)
		var s changeSetDoc
		require.NoError(t, json.Unmarshal(raw, &s))
		sets = append(sets, s)
	}
	require.Len(t, sets, 3)
	require.Equal(t, []string{third.ID, second.ID, first.ID}, []string{sets[0].ImportID, sets[1].ImportID, sets[2].ImportID})

	require.Equal(t, map[string]int{"added": 2, "changed": 0, "removed": 0}, sets[2].Counts, "the saved and the replayed request")
	require.Equal(t, "upload", sets[2].Source)
	require.Equal(t, []string{"EMAIL"}, sets[2].Summary.SensitiveTypesAdded, "the replayed answer carries an email")
	require.Equal(t, []string{"BEARER"}, sets[2].Summary.AuthTypesAdded)
	require.Equal(t, map[string]int{"added": 0, "changed": 0, "removed": 0}, sets[1].Counts, "the same collection again changes nothing")
	require.Equal(t, map[string]int{"added": 1, "changed": 1, "removed": 0}, sets[0].Counts)
	for _, c := range sets[0].Changes {
		switch c.Kind {
		case "added":
			require.Equal(t, "/ok/new", c.Path)
		case "changed":
			require.Equal(t, "/ok/saved", c.Path)
			var got []string
			for _, d := range c.Details {
				got = append(got, d.Facet+" "+d.Op+" "+d.Value)
			}
			require.Equal(t, []string{"response_field added 404 $.error", "status_code added 404"}, got)
		}
	}

	// Validated against our OpenAPI document: the feed and the import view
	// with its summary.
	page := b.validate(t, v, exchange{name: "changes page", method: "GET", path: path + "?limit=1", header: bearer, status: 200})
	require.NotNil(t, page.json(t)["next_cursor"])
	imp := b.validate(t, v, exchange{name: "import with changes", method: "GET", path: "/v1/imports/" + third.ID, header: bearer, status: 200})
	require.Equal(t, map[string]any{
		"added": 1.0, "changed": 1.0, "removed": 0.0,
		"sensitive_types_added": []any{}, "auth_types_added": []any{"BEARER"}, "auth_types_removed": []any{},
	}, imp.json(t)["changes"])

	r := b.get(t, path, b.tokenB)
	require.Equal(t, http.StatusNotFound, r.Status, "another account's collection")
	r = b.get(t, path+"?cursor=*", b.tokenA)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.True(t, strings.Contains(string(r.Body), "invalid_cursor"))
}
