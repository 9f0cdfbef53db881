package inventory

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/schema"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/template"
)

// req builds a request whose path was written as written and sent as path.
func req(method, host, written, path string) postman.BuiltRequest {
	return postman.BuiltRequest{Method: method, URL: postman.URL{
		Raw: "https://" + host + path, Scheme: "https", Host: host, Path: path, PathTemplate: written,
	}}
}

func ex(name string, r postman.BuiltRequest, status int, body string) postman.Example {
	return postman.Example{Name: name, Request: r, Status: status, Body: body}
}

type intelBundle struct {
	now  time.Time
	opts PlanOptions
}

func setup(t *testing.T) intelBundle {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return intelBundle{now: now, opts: PlanOptions{AccountID: "acc", ImportID: "imp1", Now: now}}
}

func byTemplate(p Plan) map[string]Observation {
	out := map[string]Observation{}
	for _, o := range p.Observations {
		out[o.Key.Method+" "+o.Key.Host+" "+o.Template] = o
	}
	return out
}

func TestPlanTemplating(t *testing.T) {
	t.Parallel()
	b := setup(t)
	item := req("GET", "api.example.com", "/users/:id", "/users/:id")
	coll := &postman.Collection{Name: "c", Requests: []postman.Request{
		{ID: "r1", Name: "Get user", Built: item, Examples: []postman.Example{
			ex("by id", req("GET", "api.example.com", "/users/42", "/users/42"), 200, `{"id":42}`),
			ex("by word", req("GET", "api.example.com", "/users/jane", "/users/jane"), 200, `{"id":43}`),
			ex("unfilled", item, 404, `{"error":"x"}`),
		}},
		{ID: "r2", Name: "Get user by var", Built: req("GET", "api.example.com", "/users/{{uid}}", "/users/5f1d7a6c9b1e8a0012345678"),
			Examples: []postman.Example{ex("ok", req("GET", "api.example.com", "/users/{{uid}}", "/users/5f1d7a6c9b1e8a0012345678"), 200, `{"id":44}`)}},
		{ID: "r3", Name: "Me", Built: req("GET", "api.example.com", "/users/me", "/users/me"),
			Examples: []postman.Example{ex("ok", req("GET", "api.example.com", "/users/me", "/users/me"), 200, `{}`)}},
		{ID: "r4", Name: "Orders", Built: req("GET", "api.example.com", "/v1/users/42/orders/5f1d7a6c9b1e8a0012345678", "/v1/users/42/orders/5f1d7a6c9b1e8a0012345678"),
			Examples: []postman.Example{
				ex("a", req("GET", "api.example.com", "/v1/users/42/orders/5f1d7a6c9b1e8a0012345678", "/v1/users/42/orders/5f1d7a6c9b1e8a0012345678"), 200, `[]`),
				ex("b", req("GET", "api.example.com", "/v1/users/7/orders/5f1d7a6c9b1e8a0087654321", "/v1/users/7/orders/5f1d7a6c9b1e8a0087654321"), 200, `[]`),
			}},
		{ID: "r5", Name: "Other host", Built: req("GET", "eu.example.com", "/users/:id", "/users/1"),
			Examples: []postman.Example{ex("ok", req("GET", "eu.example.com", "/users/:id", "/users/1"), 200, `{}`)}},
		{ID: "r6", Name: "Report", Built: req("GET", "api.example.com", "/files/report.pdf", "/files/report.pdf"),
			Examples: []postman.Example{ex("ok", req("GET", "api.example.com", "/files/report.pdf", "/files/report.pdf"), 200, `x`)}},
	}}
	p := PlanImport(coll, "col", b.opts)
	obs := byTemplate(p)
	require.Len(t, p.Observations, 5, "templates: %v", keys(obs))

	users := obs["GET api.example.com /users/{id}"]
	require.Equal(t, "/users/{}", users.Key.Path)
	require.Len(t, users.Samples, 4, "42, jane (fits the declared :id), unfilled, and the {{uid}} request")
	require.Equal(t, []template.Param{{Name: "id", Origin: template.OriginPathVariable,
		Types: []template.Type{template.TypeInteger, template.TypeObjectID, template.TypeString}}}, users.PathParams)
	require.Equal(t, []string{"/users/42", "/users/jane", "/users/5f1d7a6c9b1e8a0012345678"}, users.Paths, "unfilled paths are not concrete")
	require.Equal(t, []Source{{RequestID: "r1", Name: "Get user"}, {RequestID: "r2", Name: "Get user by var"}}, users.Sources)

	require.Len(t, obs["GET api.example.com /users/me"].Samples, 1, "a literal request keeps its own endpoint")
	orders := obs["GET api.example.com /v1/users/{userId}/orders/{orderId}"]
	require.Len(t, orders.Samples, 2)
	require.Equal(t, []template.Param{
		{Name: "userId", Origin: template.OriginInferred, Types: []template.Type{template.TypeInteger}},
		{Name: "orderId", Origin: template.OriginInferred, Types: []template.Type{template.TypeObjectID}},
	}, orders.PathParams)
	require.Contains(t, obs, "GET eu.example.com /users/{id}", "hosts are part of the key")
	require.Contains(t, obs, "GET api.example.com /files/report.pdf")

	again := PlanImport(coll, "col", b.opts)
	require.Equal(t, p, again, "planning is deterministic")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPlanKnownTemplates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stored := Endpoint{Method: "GET", Host: "api.example.com", Path: "/orders/{orderId}",
		PathParams: []template.Param{{Name: "orderId", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeToken}}}}
	inferred := Endpoint{Method: "GET", Host: "api.example.com", Path: "/items/{itemId}",
		PathParams: []template.Param{{Name: "itemId", Origin: template.OriginInferred, Types: []template.Type{template.TypeInteger}}}}
	lit := req("GET", "api.example.com", "/orders/ABCDEF", "/orders/ABCDEF")
	coll := &postman.Collection{Requests: []postman.Request{
		{ID: "a", Name: "literal request", Built: lit, Examples: []postman.Example{
			ex("own path", lit, 200, `{}`),
			ex("another order", req("GET", "api.example.com", "/orders/XYZABC", "/orders/XYZABC"), 200, `{}`),
		}},
		{ID: "b", Name: "declared request", Built: req("GET", "api.example.com", "/orders/{{ref}}", "/orders/QWERTY"),
			Examples: []postman.Example{ex("ok", req("GET", "api.example.com", "/orders/{{ref}}", "/orders/QWERTY"), 200, `{}`)}},
		{ID: "c", Name: "word item", Built: req("GET", "api.example.com", "/items/list", "/items/list"),
			Examples: []postman.Example{ex("other word", req("GET", "api.example.com", "/items/special", "/items/special"), 200, `{}`)}},
	}}
	b.opts.Known = []Endpoint{stored, inferred}
	p := PlanImport(coll, "col", b.opts)
	obs := byTemplate(p)
	require.Len(t, obs["GET api.example.com /orders/ABCDEF"].Samples, 1, "a path the collection writes literally is its own endpoint")
	orders := obs["GET api.example.com /orders/{orderId}"]
	require.Len(t, orders.Samples, 2, "a sample with no template of its own joins a stored template it fits; a declared one with the same key joins it")
	require.Equal(t, EndpointKey{Method: "GET", Host: "api.example.com", Path: "/orders/{}"}, orders.Key)
	require.Contains(t, obs, "GET api.example.com /items/special", "a word does not fill an inferred parameter")
	require.Equal(t, []string{"/orders/XYZABC", "/orders/QWERTY"}, orders.Paths)
}

const jwtToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

func TestPlanKnowledge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := req("POST", "api.example.com", "/v1/customers", "/v1/customers")
	r.URL.Query = []postman.KV{{Key: "expand", Value: "true"}, {Key: "api_key", Value: "sk_live_abcdef123"}}
	r.URL.Raw += "?expand=true&api_key=sk_live_abcdef123"
	r.Headers = []postman.KV{{Key: "Authorization", Value: "Bearer " + jwtToken}, {Key: "Content-Type", Value: "application/json"}, {Key: "Postman-Token", Value: "x"}}
	r.Body = &postman.Body{Mode: postman.BodyRaw, ContentType: "application/json", Raw: `{"email":"jane@example.com","card":"4111111111111111","name":"Jane"}`}
	coll := &postman.Collection{Requests: []postman.Request{{ID: "c", Name: "Create customer", Built: r,
		Auth: &postman.Auth{Type: "bearer", Params: map[string]string{"token": jwtToken}},
		Examples: []postman.Example{
			{Name: "created", Request: r, Status: 201, Headers: []postman.KV{{Key: "Content-Type", Value: "application/json"}, {Key: "Date", Value: "x"}},
				Body: `{"id":"cus_123456","email":"jane@example.com","phone":"+14155552671"}`},
			{Name: "invalid", Request: r, Status: 400, Body: `{"error":{"message":"bad"}}`},
		}}}}
	p := PlanImport(coll, "col", b.opts)
	require.Len(t, p.Observations, 1)
	o := p.Observations[0]

	// Shape.
	require.Equal(t, []string{"api_key", "expand"}, fieldNames(o.Shape.Request.Query))
	require.Equal(t, []string{"Authorization"}, fieldNames(o.Shape.Request.Headers), "noise headers left out")
	require.Equal(t, "application/json", o.Shape.Request.Bodies[0].MediaType)
	require.NotNil(t, o.Shape.Request.Bodies[0].JSON.Property("email"))
	require.Equal(t, []int{201, 400}, o.Shape.Statuses())
	require.True(t, o.Shape.Response(201).Bodies[0].JSON.Property("phone").Required)

	// Auth.
	require.Equal(t, []authtype.Type{authtype.APIKey, authtype.JWT}, authtype.Types(o.Auth))
	require.Equal(t, []string{"bearer"}, o.PostmanAuth)

	// Sensitive data, found in whole bodies.
	var got []string
	for _, f := range o.Sensitive {
		got = append(got, string(f.Side)+" "+string(f.Part)+" "+f.Name+f.Path+" "+string(f.Type))
	}
	require.Equal(t, []string{
		"request body $.card CREDIT_CARD",
		"request body $.email EMAIL",
		"request header Authorization JWT",
		"request query api_key BEARER_TOKEN_IN_URL",
		"response body $.email EMAIL",
		"response body $.phone PHONE_NUMBER",
	}, got)
	for _, f := range o.Sensitive {
		require.Zero(t, f.Count, "counts are per message, not per endpoint")
	}

	// Samples are stored redacted by default.
	s := o.Samples[0]
	require.Equal(t, "https://api.example.com/v1/customers?expand=true&api_key=[REDACTED]", s.Request.URL)
	require.Equal(t, Header{Name: "Authorization", Value: "Bearer [REDACTED]"}, s.Request.Headers[0])
	require.Equal(t, `{"email":"[REDACTED:EMAIL]","card":"[REDACTED:CREDIT_CARD]","name":"Jane"}`, s.Request.Body)
	require.Equal(t, `{"id":"cus_123456","email":"[REDACTED:EMAIL]","phone":"[REDACTED:PHONE_NUMBER]"}`, s.Response.Body)
	require.NotContains(t, s.Request.URL+s.Request.Body+s.Response.Body, "jane@")

	b.opts.NoRedaction = true
	clear := PlanImport(coll, "col", b.opts).Observations[0]
	require.Equal(t, r.Body.Raw, clear.Samples[0].Request.Body)
	require.Equal(t, o.Sensitive, clear.Sensitive, "findings do not depend on redaction")
	require.NotEqual(t, s.ID, clear.Samples[0].ID, "a redacted sample is another content")

	// Truncation happens after detection.
	b.opts.NoRedaction, b.opts.SampleBodyMax = false, 10
	short := PlanImport(coll, "col", b.opts).Observations[0]
	require.Equal(t, o.Sensitive, short.Sensitive)
	require.True(t, short.Samples[0].Response.BodyTruncated)
}

func fieldNames(fs []schema.Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func TestMergeKnowledgeIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := req("GET", "api.example.com", "/users/:id", "/users/42")
	r.Headers = []postman.KV{{Key: "X-Api-Key", Value: "k"}}
	coll := &postman.Collection{Requests: []postman.Request{{ID: "r", Name: "r", Built: r, Examples: []postman.Example{
		ex("a", r, 200, `{"id":42,"email":"a@example.com"}`),
	}}}}
	other := req("GET", "api.example.com", "/users/7", "/users/7")
	coll2 := &postman.Collection{Requests: []postman.Request{{ID: "s", Name: "s", Built: other, Examples: []postman.Example{
		ex("b", other, 404, `{"error":"nope","extra":[1]}`),
	}}}}
	o1 := PlanImport(coll, "col", b.opts).Observations[0]
	o2 := PlanImport(coll2, "col", b.opts).Observations[0]
	require.Equal(t, o1.Key, o2.Key)
	mo := MergeOptions{AccountID: "acc", CollectionID: "col", ImportID: "imp1", Now: b.now, Keep: 10}

	e1, _, _ := Merge(nil, o1, mo)
	e1again, _, _ := Merge(&e1, o1, mo)
	e1.Version, e1again.Version = 0, 0
	require.Equal(t, e1, e1again, "merging the same observation twice gives the same endpoint")

	ab, _, _ := Merge(&e1, o2, mo)
	abb, _, _ := Merge(&ab, o2, mo)
	aba, _, _ := Merge(&abb, o1, mo)
	ab.Version, abb.Version, aba.Version = 0, 0, 0
	require.Equal(t, ab, abb)
	aba.SampleIDs = ab.SampleIDs // a merged observation's samples move to the newest end
	require.Equal(t, ab, aba, "merging an older observation again adds no knowledge")

	e2, _, _ := Merge(nil, o2, mo)
	ba, _, _ := Merge(&e2, o1, mo)
	require.Equal(t, ab.Shape, ba.Shape, "shapes merge in any order")
	require.Equal(t, ab.Sensitive, ba.Sensitive)
	require.Equal(t, ab.Auth, ba.Auth)
	require.Equal(t, ab.PathParams, ba.PathParams)
	require.Equal(t, "/users/{id}", ba.Path, "a declared name met later renames the inferred one")
	require.Equal(t, "/users/{id}", ab.Path)
	require.Equal(t, []string{"/users/42", "/users/7"}, ab.Paths)
	require.Equal(t, []string{"/users/7", "/users/42"}, ba.Paths, "paths are listed first seen first")
	require.Equal(t, []sensitive.Type{sensitive.Email}, ab.SensitiveTypes)
	require.Equal(t, []authtype.Type{authtype.APIKey, authtype.Unauthenticated}, ab.AuthTypes)
	require.Equal(t, []int{200, 404}, ab.Shape.Statuses())
}

func TestMarkRemoved(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := EndpointKey{Method: "GET", Host: "h", Path: "/x"}
	e, _, _ := Merge(nil, Observation{Key: key}, MergeOptions{CollectionID: "col", ImportID: "imp1", Now: b.now, Keep: 1})
	r := MarkRemoved(e, "imp2", b.now.Add(time.Hour))
	require.True(t, r.Removed)
	require.Equal(t, "imp2", r.RemovedByImport)
	require.Equal(t, b.now.Add(time.Hour), *r.RemovedAt)
	require.Equal(t, r, MarkRemoved(r, "imp3", b.now.Add(2*time.Hour)), "marking again keeps the first removal")
	back, _, _ := Merge(&r, Observation{Key: key}, MergeOptions{CollectionID: "col", ImportID: "imp4", Now: b.now.Add(3 * time.Hour), Keep: 1})
	require.False(t, back.Removed)
	require.Nil(t, back.RemovedAt)
	require.False(t, e.Removed, "MarkRemoved does not modify its argument")
}

func TestMergeWithoutTemplate(t *testing.T) {
	t.Parallel()
	// Observations built by hand (as the store tests do) keep Key.Path.
	e, _, _ := Merge(nil, Observation{Key: EndpointKey{Method: "GET", Host: "h", Path: "/p/0"}}, MergeOptions{CollectionID: "c", Now: time.Now(), Keep: 1})
	require.Equal(t, "/p/0", e.Path)
	e2, _, _ := Merge(&e, Observation{Key: EndpointKey{Method: "GET", Host: "h", Path: "/p/0"}}, MergeOptions{CollectionID: "c", Now: time.Now(), Keep: 1})
	require.Equal(t, "/p/0", e2.Path)
	require.True(t, strings.HasPrefix(e.ID, "ep_"))
}
