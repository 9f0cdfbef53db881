package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// validOpenAPI31 checks a document against the OpenAPI 3.1 schema with
// libopenapi-validator and builds its model; it returns the number of
// operations.
func validOpenAPI31(t *testing.T, data []byte) int {
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
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	require.Equal(t, "3.1.0", model.Model.Version)
	ops := 0
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for _, op := range item.GetOperations().FromOldest() {
			ops++
			var inPath int
			for _, p := range op.Parameters {
				if p.In == "path" {
					inPath++
					require.Contains(t, path, "{"+p.Name+"}")
				}
			}
			require.Equal(t, strings.Count(path, "{"), inPath, "%s declares each path parameter", path)
		}
	}
	return ops
}

// TestOpenAPIExportCorpus imports corpus collections with saved responses
// end to end and validates their export, in JSON and YAML; a re-import
// keeps the endpoint count, records no change and exports the same
// operations.
func TestOpenAPIExportCorpus(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, file := range []string{"plaid.json", "adyen-management-v3.json", "paypal-partner.json"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			imp := b.submit(t, b.tokenA, corpusFile(t, file))
			require.Equal(t, "completed", imp.Status, imp.Error)
			eps := b.listAll(t, "/v1/collections/"+imp.CollectionID+"/endpoints", b.tokenA, 1000)
			require.NotEmpty(t, eps)

			path := "/v1/collections/" + imp.CollectionID + "/openapi"
			r := b.get(t, path, b.tokenA)
			require.Equal(t, http.StatusOK, r.Status, string(r.Body))
			require.Equal(t, "application/json", strings.Split(r.Header.Get("Content-Type"), ";")[0])
			require.Equal(t, `inline; filename="`+imp.CollectionID+`.openapi.json"`, r.Header.Get("Content-Disposition"))
			require.Equal(t, len(eps), validOpenAPI31(t, r.Body), "one operation per endpoint")
			var fromJSON map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &fromJSON))
			require.NotEmpty(t, fromJSON["servers"])
			require.Equal(t, string(r.Body), string(b.get(t, path+"?format=json", b.tokenA).Body), "the export is deterministic")

			for name, y := range map[string]response{
				"format=yaml":              b.get(t, path+"?format=yaml", b.tokenA),
				"Accept: application/yaml": b.do(t, http.MethodGet, path, b.tokenA, "", nil, "Accept", "application/yaml"),
			} {
				require.Equal(t, http.StatusOK, y.Status, name)
				require.Equal(t, "application/yaml", y.Header.Get("Content-Type"), name)
				require.Equal(t, len(eps), validOpenAPI31(t, y.Body), name)
				var fromYAML map[string]any
				require.NoError(t, yaml.Unmarshal(y.Body, &fromYAML), name)
				// The same document: compare through JSON, which has no
				// integer/float distinction.
				j, err := json.Marshal(fromYAML)
				require.NoError(t, err)
				var roundTrip map[string]any
				require.NoError(t, json.Unmarshal(j, &roundTrip))
				require.Equal(t, fromJSON, roundTrip, name)
			}

			again := b.submit(t, b.tokenA, corpusFile(t, file))
			require.Equal(t, "completed", again.Status, again.Error)
			require.Equal(t, imp.CollectionID, again.CollectionID)
			require.Zero(t, again.Counts.EndpointsCreated)
			require.Len(t, b.listAll(t, "/v1/collections/"+imp.CollectionID+"/endpoints", b.tokenA, 1000), len(eps),
				"templating is stable across re-imports")
			view := b.get(t, "/v1/imports/"+again.ID, b.tokenA).json(t)
			require.Equal(t, map[string]any{"added": 0.0, "changed": 0.0, "removed": 0.0,
				"sensitive_types_added": []any{}, "auth_types_added": []any{}, "auth_types_removed": []any{}}, view["changes"])
			// The same operations. (Not the same bytes: requests using
			// Postman's dynamic variables, {{$guid}} and the like, get new
			// values on every import, so their newest sample, the example,
			// differs.)
			re := b.get(t, path, b.tokenA)
			require.Equal(t, http.StatusOK, re.Status)
			require.Equal(t, len(eps), validOpenAPI31(t, re.Body))
		})
	}
	r := b.get(t, "/v1/collections/col_nope/openapi", b.tokenA)
	require.Equal(t, http.StatusNotFound, r.Status)
}
