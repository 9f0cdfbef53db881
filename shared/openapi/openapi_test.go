package openapi_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/openapi"
	"github.com/apiscout/apiscout/shared/postman"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// validate checks a document against the OpenAPI 3.1 schema with
// libopenapi-validator, and that every templated path declares its path
// parameters.
func validate(t *testing.T, data []byte) {
	t.Helper()
	doc, err := libopenapi.NewDocument(data)
	require.NoError(t, err)
	ok, errs := schema_validation.ValidateOpenAPIDocument(doc)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
		for _, v := range e.SchemaValidationErrors {
			msgs = append(msgs, "  "+v.FieldPath+" "+v.KeywordLocation+": "+v.Reason)
		}
	}
	require.True(t, ok, strings.Join(msgs, "\n"))
	model, errs2 := doc.BuildV3Model()
	require.Empty(t, errs2)
	require.NotNil(t, model)

	var d openapi.Document
	require.NoError(t, json.Unmarshal(data, &d))
	for path, item := range d.Paths {
		for _, op := range []*openapi.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op == nil {
				continue
			}
			var inPath []string
			for _, p := range op.Parameters {
				if p.In == "path" {
					require.True(t, p.Required, "%s %s", path, p.Name)
					inPath = append(inPath, p.Name)
				}
			}
			for _, name := range inPath {
				require.Contains(t, path, "{"+name+"}")
			}
			require.Equal(t, strings.Count(path, "{"), len(inPath), path)
		}
	}
}

// plan imports a collection as the importer does and returns the
// endpoints and retained samples.
func plan(t *testing.T, c *postman.Collection) ([]inventory.Endpoint, []inventory.Sample) {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := inventory.PlanImport(c, "col", inventory.PlanOptions{AccountID: "acc", ImportID: "imp", Now: now, SampleBodyMax: 1 << 20})
	var eps []inventory.Endpoint
	var samples []inventory.Sample
	for _, obs := range p.Observations {
		ep, write, _ := inventory.Merge(nil, obs, inventory.MergeOptions{AccountID: "acc", CollectionID: "col", ImportID: "imp", Now: now, Keep: 10})
		eps = append(eps, ep)
		samples = append(samples, write...)
	}
	return eps, samples
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./shared/openapi -update")
	require.Equal(t, string(want), string(got))
}

const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

func fixture() *postman.Collection {
	r := func(method, host, written, path string, headers ...postman.KV) postman.BuiltRequest {
		return postman.BuiltRequest{Method: method, Headers: headers, URL: postman.URL{Raw: "https://" + host + path, Scheme: "https", Host: host, Path: path, PathTemplate: written}}
	}
	ct := postman.KV{Key: "Content-Type", Value: "application/json"}
	get := r("GET", "api.example.com", "/v1/users/:id", "/v1/users/42", postman.KV{Key: "Authorization", Value: "Bearer " + jwt})
	get.URL.Query = []postman.KV{{Key: "expand", Value: "true"}}
	create := r("POST", "api.example.com", "/v1/users", "/v1/users", ct, postman.KV{Key: "X-Api-Key", Value: "k-123456"})
	create.Body = &postman.Body{Mode: postman.BodyRaw, ContentType: "application/json", Raw: `{"name":"Jane","email":"jane@example.com","tags":["a"]}`}
	upload := r("POST", "files.example.com", "/v1/users/{{userId}}", "/v1/users/7")
	upload.Body = &postman.Body{Mode: postman.BodyFormData, ContentType: "multipart/form-data", Form: []postman.FormField{{Key: "file", File: "a.png"}, {Key: "title", Value: "x"}}}
	legacy := r("PROPFIND", "api.example.com", "/dav", "/dav")
	return &postman.Collection{Name: "Fixture", Requests: []postman.Request{
		{ID: "1", Name: "Get user", Built: get, Auth: &postman.Auth{Type: "bearer"}, Examples: []postman.Example{
			{Name: "ok", Request: get, Status: 200, Headers: []postman.KV{ct, {Key: "X-Rate-Limit", Value: "10"}}, Body: `{"id":42,"email":"jane@example.com","created":"2024-01-02T03:04:05Z"}`},
			{Name: "missing", Request: get, Status: 404, Headers: []postman.KV{ct}, Body: `{"error":"not found"}`},
			{Name: "no status", Request: get, Body: `plain`},
		}},
		{ID: "2", Name: "Create user", Built: create, Examples: []postman.Example{
			{Name: "created", Request: create, Status: 201, Headers: []postman.KV{ct}, Body: `{"id":43}`},
		}},
		{ID: "3", Name: "Upload", Built: upload, Examples: []postman.Example{{Name: "ok", Request: upload, Status: 204}}},
		{ID: "4", Name: "Legacy", Built: legacy, Examples: []postman.Example{{Name: "ok", Request: legacy, Status: 207, Body: "<x/>"}}},
	}}
}

func TestBuildFixture(t *testing.T) {
	t.Parallel()
	eps, samples := plan(t, fixture())
	doc := openapi.Build(openapi.Input{Title: "Fixture", Endpoints: eps, Samples: samples})
	data, err := doc.JSON()
	require.NoError(t, err)
	validate(t, data)
	golden(t, "fixture.json", data)
	y, err := doc.YAML()
	require.NoError(t, err)
	golden(t, "fixture.yaml", y)
	yd, err := libopenapi.NewDocument(y)
	require.NoError(t, err)
	ok, errs := schema_validation.ValidateOpenAPIDocument(yd)
	require.True(t, ok, "%v", errs)

	// Deterministic whatever the input order.
	rev := slices.Clone(eps)
	slices.Reverse(rev)
	again, err := openapi.Build(openapi.Input{Title: "Fixture", Endpoints: rev, Samples: samples}).JSON()
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))
}

func TestBuildEdges(t *testing.T) {
	t.Parallel()
	empty, err := openapi.Build(openapi.Input{}).JSON()
	require.NoError(t, err)
	validate(t, empty)
	require.Contains(t, string(empty), `"title": "API"`)

	removed := inventory.Endpoint{ID: "ep", Method: "GET", Host: "h", Path: "/x", Removed: true}
	d := openapi.Build(openapi.Input{Endpoints: []inventory.Endpoint{removed}})
	require.Empty(t, d.Paths, "removed endpoints are left out")

	noHost := inventory.Endpoint{ID: "ep", Method: "GET", Path: "/x"}
	d = openapi.Build(openapi.Input{Endpoints: []inventory.Endpoint{noHost}})
	require.Equal(t, "/", d.Servers[0].URL)
	data, err := d.JSON()
	require.NoError(t, err)
	validate(t, data)
}

func TestBuildCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "INDEX.tsv")); err != nil {
		t.Skipf("corpus not found at %s (../shared/corpus next to the repository): %v", dir, err)
	}
	for _, name := range []string{"plaid", "paypal-partner", "adyen-management-v3"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(dir, name+".json"))
			require.NoError(t, err)
			c, err := postman.Parse(data, postman.Options{
				Rand: rand.New(rand.NewPCG(1, 2)),
				Now:  func() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) },
			})
			require.NoError(t, err)
			eps, samples := plan(t, c)
			out, err := openapi.Build(openapi.Input{Title: c.Name, Endpoints: eps, Samples: samples}).JSON()
			require.NoError(t, err)
			validate(t, out)
			golden(t, name+".openapi.json", out)

			var d openapi.Document
			require.NoError(t, json.Unmarshal(out, &d))
			ops := 0
			for _, item := range d.Paths {
				for _, op := range []*openapi.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
					if op != nil {
						ops++
					}
				}
			}
			require.Equal(t, len(eps), ops, fmt.Sprintf("one operation per endpoint in %s", name))
		})
	}
}

// The validator used above does reject broken documents.
func TestValidatorRejects(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`{"openapi":"3.1.0","info":{"title":"x"},"paths":{}}`,
		`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{}}}}}}`,
		`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"parameters":[{"name":"q","in":"nowhere","schema":{}}],"responses":{}}}}}`,
	} {
		doc, err := libopenapi.NewDocument([]byte(bad))
		require.NoError(t, err)
		ok, _ := schema_validation.ValidateOpenAPIDocument(doc)
		require.False(t, ok, bad)
	}
}
