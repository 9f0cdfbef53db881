package server_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/stretchr/testify/require"

	apiserver "github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/metrics"
)

// openAPIModel parses the embedded document.
func openAPIModel(t *testing.T) (libopenapi.Document, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(apiserver.OpenAPI())
	require.NoError(t, err)
	m, err := doc.BuildV3Model()
	require.NoError(t, err)
	return doc, &m.Model
}

func openAPIValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, _ := openAPIModel(t)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)
	return v
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc, m := openAPIModel(t)
	require.Equal(t, "3.1.0", m.Version)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)
	ok, verrs := v.ValidateDocument()
	require.True(t, ok, describe(verrs))
}

// allRoutesServer is an API with every optional route mounted. It connects
// to nothing: asynqmon dials Redis only when a request needs it.
func allRoutesServer(t *testing.T) *apiserver.Server {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"APISCOUT_ADMIN_USER": "ops", "APISCOUT_ADMIN_PASSWORD": "pw"}[k]
	})
	require.NoError(t, err)
	s := apiserver.New(cfg, nil, nil, nil, nil, metrics.New(), cfg.NewLogger(io.Discard))
	closer, err := s.MountQueueUI(asynq.RedisClientOpt{Addr: "127.0.0.1:6379"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = closer.Close() })
	return s
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPath turns Echo's "/v1/imports/:id" into "/v1/imports/{id}" and a
// trailing "*" into "{path}".
func openAPIPath(echoPath string) string {
	p := echoParam.ReplaceAllString(echoPath, "{$1}")
	if strings.HasSuffix(p, "/*") {
		p = strings.TrimSuffix(p, "*") + "{path}"
	}
	return p
}

// TestOpenAPICoversEveryRoute walks Echo's registered routes: every route
// must be documented, and every documented operation must exist.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	_, m := openAPIModel(t)
	documented := map[string]bool{}
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	var missing []string
	for _, r := range allRoutesServer(t).Routes() {
		if r.Path == apiserver.WebPath || strings.HasPrefix(r.Path, apiserver.WebPath+"/") {
			continue // the web page is HTML for people, not part of the API
		}
		key := r.Method + " " + openAPIPath(r.Path)
		registered[key] = true
		if !documented[key] {
			missing = append(missing, key+" (Echo: "+r.Path+")")
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "routes missing from api/server/openapi.yaml")
	var stale []string
	for key := range documented {
		if !registered[key] {
			stale = append(stale, key)
		}
	}
	slices.Sort(stale)
	require.Empty(t, stale, "documented operations that no route serves")
}

// TestOpenAPIErrorCodes checks that every error code the server's source
// can answer is in the document's Error.code enum, and no other.
func TestOpenAPIErrorCodes(t *testing.T) {
	t.Parallel()
	_, m := openAPIModel(t)
	errSchema := m.Components.Schemas.GetOrZero("Error").Schema()
	codeSchema := errSchema.Properties.GetOrZero("error").Schema().Properties.GetOrZero("code").Schema()
	var documented []string
	for _, n := range codeSchema.Enum {
		documented = append(documented, n.Value)
	}
	slices.Sort(documented)

	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	newErr := regexp.MustCompile(`newError\([^,]+,\s*"([a-z_]+)"`)
	httpCode := regexp.MustCompile(`return "([a-z_]+)"`)
	var inSource []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range newErr.FindAllSubmatch(src, -1) {
			inSource = append(inSource, string(m[1]))
		}
		if f == "errors.go" {
			for _, m := range httpCode.FindAllSubmatch(src, -1) {
				inSource = append(inSource, string(m[1]))
			}
		}
	}
	slices.Sort(inSource)
	inSource = slices.Compact(inSource)
	require.Equal(t, inSource, documented, "error codes in the source vs openapi.yaml's Error.code enum")
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n- %s: %s (%s)", e.Message, e.Reason, e.SpecPath)
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n    %s at %s (%s)", s.Reason, s.FieldPath, s.KeywordLocation)
		}
	}
	return b.String()
}

// exchange is one request to the running API, validated against the
// document.
type exchange struct {
	name   string
	method string
	path   string
	header map[string]string
	body   []byte
	status int
	// invalidRequest: the request breaks the document on purpose (a missing
	// token, a malformed body); only the response is validated.
	invalidRequest bool
}

func (b *testBundle) validate(t *testing.T, v validator.Validator, x exchange) response {
	t.Helper()
	newReq := func() *http.Request {
		req, err := http.NewRequest(x.method, b.base+x.path, bytes.NewReader(x.body))
		require.NoError(t, err)
		for k, val := range x.header {
			req.Header.Set(k, val)
		}
		return req
	}
	resp, err := http.DefaultClient.Do(newReq())
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, x.status, resp.StatusCode, "%s: %s", x.name, body)

	if !x.invalidRequest {
		ok, errs := v.ValidateHttpRequestSync(newReq())
		require.True(t, ok, "%s: request: %s", x.name, describe(errs))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ok, errs := v.ValidateHttpResponse(newReq(), resp)
	require.True(t, ok, "%s: response %d %s: %s", x.name, resp.StatusCode, body, describe(errs))
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// TestResponsesMatchOpenAPI sends real requests to every route of a running
// API and worker and validates requests and responses against the document.
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{
		"APISCOUT_ADMIN_USER":       "ops",
		"APISCOUT_ADMIN_PASSWORD":   "operator-pw",
		"APISCOUT_MAX_UPLOAD_BYTES": "65536",
	})
	v := openAPIValidator(t)
	example, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	bearer := map[string]string{"Authorization": "Bearer " + b.tokenA}
	jsonBody := map[string]string{"Authorization": "Bearer " + b.tokenA, "Content-Type": "application/json"}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", "example.json")
	require.NoError(t, err)
	_, _ = fw.Write(example)
	require.NoError(t, mw.WriteField("options", `{"allow_replay": false}`))
	require.NoError(t, mw.Close())
	multipartHeader := map[string]string{"Authorization": "Bearer " + b.tokenA, "Content-Type": mw.FormDataContentType()}

	r := b.validate(t, v, exchange{name: "upload JSON", method: "POST", path: "/v1/imports", header: jsonBody, body: example, status: 202})
	imp := b.waitImport(t, b.tokenA, r.json(t)["id"].(string))
	require.Equal(t, "completed", imp.Status)
	b.validate(t, v, exchange{name: "upload multipart", method: "POST", path: "/v1/imports", header: multipartHeader, body: form.Bytes(), status: 202})

	eps := b.listAll(t, "/v1/collections/"+imp.CollectionID+"/endpoints", b.tokenA, 100)
	require.NotEmpty(t, eps)
	list := b.validate(t, v, exchange{name: "imports page 1", method: "GET", path: "/v1/imports?limit=1", header: bearer, status: 200})
	cursor := list.json(t)["next_cursor"].(string)

	ops := map[string]string{"Authorization": "Basic " + basic("ops", "operator-pw")}
	for _, x := range []exchange{
		{name: "imports page 2", method: "GET", path: "/v1/imports?limit=1&cursor=" + cursor, header: bearer, status: 200},
		{name: "import", method: "GET", path: "/v1/imports/" + imp.ID, header: bearer, status: 200},
		{name: "collections", method: "GET", path: "/v1/collections", header: bearer, status: 200},
		{name: "collection", method: "GET", path: "/v1/collections/" + imp.CollectionID, header: bearer, status: 200},
		{name: "endpoints", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/endpoints", header: bearer, status: 200},
		{name: "endpoints filtered and sorted", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/endpoints?method=get,post&removed=false&sort=-last_seen&limit=1", header: bearer, status: 200},
		{name: "endpoint", method: "GET", path: "/v1/endpoints/" + eps[0]["id"].(string), header: bearer, status: 200},
		{name: "changes", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/changes", header: bearer, status: 200},
		{name: "changes, unknown collection", method: "GET", path: "/v1/collections/col_nope/changes", header: bearer, status: 404},
		{name: "export OpenAPI", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/openapi", header: bearer, status: 200},
		{name: "export OpenAPI as YAML", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/openapi?format=yaml", header: bearer, status: 200},
		{name: "export OpenAPI, bad format", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/openapi?format=xml", header: bearer, status: 400, invalidRequest: true},
		{name: "export OpenAPI, unknown collection", method: "GET", path: "/v1/collections/col_nope/openapi", header: bearer, status: 404},
		{name: "livez", method: "GET", path: "/livez", status: 200},
		{name: "readyz", method: "GET", path: "/readyz", status: 200},
		{name: "metrics", method: "GET", path: "/metrics", status: 200},
		{name: "openapi", method: "GET", path: "/openapi.yaml", status: 200},
		{name: "queue dashboard", method: "GET", path: "/monitoring/queues", header: ops, status: 200},
		{name: "queue dashboard file", method: "GET", path: "/monitoring/queues/favicon.ico", header: ops, status: 200},

		{name: "no token", method: "GET", path: "/v1/imports", status: 401, invalidRequest: true},
		{name: "wrong token", method: "GET", path: "/v1/collections", header: map[string]string{"Authorization": "Bearer aps_nope"}, status: 401},
		{name: "bad limit", method: "GET", path: "/v1/collections?limit=0", header: bearer, status: 400, invalidRequest: true},
		{name: "bad cursor", method: "GET", path: "/v1/collections?cursor=*", header: bearer, status: 400},
		{name: "unknown import", method: "GET", path: "/v1/imports/imp_nope", header: bearer, status: 404},
		{name: "unknown collection", method: "GET", path: "/v1/collections/col_nope/endpoints", header: bearer, status: 404},
		{name: "bad endpoint filter", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/endpoints?status=abc", header: bearer, status: 400, invalidRequest: true},
		{name: "bad endpoint sort", method: "GET", path: "/v1/collections/" + imp.CollectionID + "/endpoints?sort=size", header: bearer, status: 400, invalidRequest: true},
		{name: "unknown endpoint", method: "GET", path: "/v1/endpoints/ep_nope", header: bearer, status: 404},
		{name: "not JSON", method: "POST", path: "/v1/imports", header: jsonBody, body: []byte("{,"), status: 400, invalidRequest: true},
		{name: "not a collection", method: "POST", path: "/v1/imports", header: jsonBody, body: []byte(`{"a": 1}`), status: 422},
		{name: "too large", method: "POST", path: "/v1/imports", header: jsonBody, body: []byte(`{"pad":"` + strings.Repeat("x", 70000) + `"}`), status: 413},
		{name: "wrong media type", method: "POST", path: "/v1/imports", header: map[string]string{"Authorization": "Bearer " + b.tokenA, "Content-Type": "text/plain"}, body: []byte("hi"), status: 415, invalidRequest: true},
		{name: "queue dashboard without credentials", method: "GET", path: "/monitoring/queues", status: 401, invalidRequest: true},
		{name: "queue dashboard, wrong password", method: "GET", path: "/monitoring/queues", header: map[string]string{"Authorization": "Basic " + basic("ops", "guess")}, status: 401},
		{name: "queue dashboard is read-only", method: "POST", path: "/monitoring/queues/pause", header: ops, status: 403},
	} {
		b.validate(t, v, x)
	}
}
