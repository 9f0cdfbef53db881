package template_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/template"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		seg  string
		want template.Type // "" = literal
	}{
		{"42", template.TypeInteger},
		{"-7", template.TypeInteger},
		{"0", template.TypeInteger},
		{"3.14", template.TypeFloat},
		{"1.", ""},
		{"550e8400-e29b-41d4-a716-446655440000", template.TypeUUID},
		{"550E8400-E29B-41D4-A716-446655440000", template.TypeUUID},
		{"550e8400e29b41d4a716446655440000", template.TypeToken}, // 32 hex: a token, not a UUID
		{"5f1d7a6c9b1e8a0012345678", template.TypeObjectID},
		{"2024-02-29", template.TypeDate},
		{"2024-13-01", ""}, // not a date, and no letter: not a token
		{"2024-01-01T10:00:00Z", template.TypeDate},
		{"jane.doe@example.com", template.TypeEmail},
		{"jane.doe%40example.com", template.TypeEmail},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", template.TypeJWT},
		{"192.168.1.20", template.TypeIP},
		{"2001:db8::1", template.TypeIP},
		{"acct_1Hx2y3", template.TypeToken},
		{"ORD-2024-001", template.TypeToken},
		{"report2024.pdf", template.TypeToken},
		{"ab12c3", template.TypeToken},
		{"ab12c", ""},   // too short
		{"abcde12", ""}, // two digits
		{"123abc", template.TypeToken},
		{"users", ""},
		{"me", ""},
		{"search", ""},
		{"report.pdf", ""},
		{"merchant-accounts", ""},
		{"v1", ""},
		{"v2", ""},
		{"V3", ""},
		{"v1beta1", ""},
		{"v2.1", ""},
		{"v1alpha", ""},
		{"1.2.3", ""},
		{"v12345abc", template.TypeToken},
		{"", ""},
		{"oauth2", ""},
		{"s3", ""},
		{"x509", ""},
		{"base64", ""},
	}
	for _, tt := range tests {
		t.Run(tt.seg, func(t *testing.T) {
			t.Parallel()
			typ, why, ok := template.Classify(tt.seg)
			require.Equal(t, tt.want, typ, why)
			require.Equal(t, tt.want != "", ok)
			require.NotEmpty(t, template.Explain(tt.seg))
		})
	}
}

func TestInfer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		written  string
		concrete string
		want     string
		key      string
		params   []template.Param
	}{
		{
			name: "integer and object id", written: "/v1/users/42/orders/5f1d7a6c9b1e8a0012345678",
			want: "/v1/users/{userId}/orders/{orderId}", key: "/v1/users/{}/orders/{}",
			params: []template.Param{
				{Name: "userId", Origin: template.OriginInferred, Types: []template.Type{template.TypeInteger}},
				{Name: "orderId", Origin: template.OriginInferred, Types: []template.Type{template.TypeObjectID}},
			},
		},
		{name: "a file name stays literal", written: "/files/report.pdf", want: "/files/report.pdf", key: "/files/report.pdf"},
		{name: "a word stays literal", written: "/search", want: "/search", key: "/search"},
		{name: "root", written: "/", want: "/", key: "/"},
		{name: "empty", written: "", want: "/", key: "/"},
		{name: "trailing slash ignored", written: "/users/", want: "/users", key: "/users"},
		{name: "query ignored", written: "/users?limit=1", want: "/users", key: "/users"},
		{
			name: "postman path variable typed from its value", written: "/users/:id", concrete: "/users/42",
			want: "/users/{id}", key: "/users/{}",
			params: []template.Param{{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeInteger}}},
		},
		{
			name: "postman path variable with a word value is still a parameter", written: "/users/:id", concrete: "/users/me",
			want: "/users/{id}", key: "/users/{}",
			params: []template.Param{{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeString}}},
		},
		{
			name: "unfilled path variable", written: "/users/:id", concrete: "/users/:id",
			want: "/users/{id}", key: "/users/{}",
			params: []template.Param{{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeString}}},
		},
		{
			name: "collection variable segment", written: "/{{version}}/users/{{userId}}", concrete: "/v2/users/abc",
			want: "/{version}/users/{userId}", key: "/{}/users/{}",
			params: []template.Param{
				{Name: "version", Origin: template.OriginVariable, Types: []template.Type{template.TypeString}},
				{Name: "userId", Origin: template.OriginVariable, Types: []template.Type{template.TypeString}},
			},
		},
		{
			name: "variable inside a segment", written: "/files/f_{{id}}.json", concrete: "/files/f_123.json",
			want: "/files/f_{id}.json", key: "/files/f_{}.json",
			params: []template.Param{{Name: "id", Origin: template.OriginVariable, Types: []template.Type{template.TypeInteger}}},
		},
		{
			name: "dynamic variable", written: "/things/{{$guid}}", want: "/things/{guid}", key: "/things/{}",
			params: []template.Param{{Name: "guid", Origin: template.OriginVariable, Types: []template.Type{template.TypeString}}},
		},
		{
			name: "OpenAPI-style braces", written: "/pets/{petId}", concrete: "/pets/{petId}",
			want: "/pets/{petId}", key: "/pets/{}",
			params: []template.Param{{Name: "petId", Origin: template.OriginVariable, Types: []template.Type{template.TypeString}}},
		},
		{
			name: "duplicate names get a number", written: "/a/:id/b/:id", want: "/a/{id}/b/{id2}", key: "/a/{}/b/{}",
			params: []template.Param{
				{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeString}},
				{Name: "id2", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeString}},
			},
		},
		{
			name: "names from plural words", written: "/companies/123/addresses/456/merchant-accounts/789",
			want: "/companies/{companyId}/addresses/{addressId}/merchant-accounts/{merchantAccountId}",
			key:  "/companies/{}/addresses/{}/merchant-accounts/{}",
		},
		{
			name: "two values in a row share the literal", written: "/orders/42/43",
			want: "/orders/{orderId}/{orderId2}", key: "/orders/{}/{}",
		},
		{name: "no literal before", written: "/42", want: "/{param}", key: "/{}"},
		{name: "version skipped for names", written: "/v1/42", want: "/v1/{param}", key: "/v1/{}"},
		{name: "email and jwt", written: "/users/a@b.io/sessions/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
			want: "/users/{email}/sessions/{token}", key: "/users/{}/sessions/{}"},
		{name: "dates", written: "/reports/2024-01-31", want: "/reports/{date}", key: "/reports/{}"},
		{name: "mismatched concrete is ignored", written: "/users/:id", concrete: "/users/a/b", want: "/users/{id}", key: "/users/{}"},
		{name: "double slash kept", written: "/a//b", want: "/a//b", key: "/a//b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := template.Infer(tt.written, tt.concrete)
			require.Equal(t, tt.want, tp.String())
			require.Equal(t, tt.key, tp.Key())
			if tt.params != nil {
				require.Equal(t, tt.params, tp.Params())
			}
			for _, s := range tp.Segments {
				if s.IsParam() {
					require.NotEmpty(t, s.Reason, "every parameter is explained")
				}
			}
			require.Equal(t, tp.Key(), template.Parse(tp.String()).Key(), "String parses back to the same key")
		})
	}
}

func TestSameEndpoint(t *testing.T) {
	t.Parallel()
	key := template.Infer("/users/:id", "/users/7").Key()
	for _, w := range []string{"/users/{{userId}}", "/users/42", "/users/5f1d7a6c9b1e8a0012345678", "/users/{id}", "/users/acct_9x8y7z6"} {
		require.Equal(t, key, template.Infer(w, "").Key(), w)
	}
	require.NotEqual(t, key, template.Infer("/users/me", "").Key())
}

func TestMatch(t *testing.T) {
	t.Parallel()
	declared := template.Infer("/users/:id/files/f_{{name}}.json", "")
	inferred := template.Infer("/users/42/orders", "")
	tests := []struct {
		tmpl template.Template
		path string
		vals []string
		ok   bool
	}{
		{declared, "/users/42/files/f_report.json", []string{"42", "report"}, true},
		{declared, "/users/me/files/f_x.json?x=1", []string{"me", "x"}, true},
		{declared, "/users/me/files/f_.json", nil, false},
		{declared, "/users/me/files/g_x.json", nil, false},
		{declared, "/users/me/files", nil, false},
		{inferred, "/users/7/orders", []string{"7"}, true},
		{inferred, "/users/5f1d7a6c9b1e8a0012345678/orders/", []string{"5f1d7a6c9b1e8a0012345678"}, true},
		{inferred, "/users/me/orders", nil, false},
		{inferred, "/users/7/Orders", nil, false},
	}
	for _, tt := range tests {
		vals, ok := tt.tmpl.Match(tt.path)
		require.Equal(t, tt.ok, ok, "%s ~ %s", tt.tmpl, tt.path)
		require.Equal(t, tt.vals, vals, tt.path)
		require.Equal(t, tt.ok, tt.tmpl.Fits(tt.path))
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	cands := []template.Template{
		template.Infer("/users/:id", ""),
		template.Infer("/users/me", ""),
		template.Infer("/users/42", ""),
		template.Infer("/orgs/{{org}}/users/{{user}}", ""),
		template.Infer("/orgs/acme/users/:user", ""),
	}
	tests := []struct {
		path string
		want int
	}{
		{"/users/me", 1},
		{"/users/7", 2},    // inferred beats declared at equal literals
		{"/users/jane", 0}, // a word fills only the declared parameter
		{"/orgs/acme/users/x", 4},
		{"/orgs/globex/users/x", 3},
		{"/nope", -1},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, template.Select(cands, tt.path), tt.path)
	}
	require.Equal(t, -1, template.Select(nil, "/x"))
}

func TestMergeParams(t *testing.T) {
	t.Parallel()
	inf := []template.Param{{Name: "userId", Origin: template.OriginInferred, Types: []template.Type{template.TypeInteger}}}
	dec := []template.Param{{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeString}}}
	dec2 := []template.Param{{Name: "uid", Origin: template.OriginVariable, Types: []template.Type{template.TypeUUID}}}
	tests := []struct {
		name string
		a, b []template.Param
		want []template.Param
	}{
		{"empty a", nil, inf, inf},
		{"empty b", inf, nil, inf},
		{"declared name wins", inf, dec, []template.Param{{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeInteger, template.TypeString}}}},
		{"declared name wins either way", dec, inf, []template.Param{{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeInteger, template.TypeString}}}},
		{"first declared name is kept", dec, dec2, []template.Param{{Name: "id", Origin: template.OriginPathVariable, Types: []template.Type{template.TypeString, template.TypeUUID}}}},
		{"idempotent", dec, dec, dec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := template.MergeParams(tt.a, tt.b)
			require.Equal(t, tt.want, got)
			require.Equal(t, got, template.MergeParams(got, tt.b), "merging again changes nothing")
		})
	}
	a := []template.Param{{Name: "x", Types: []template.Type{"B"}}}
	_ = template.MergeParams(a, []template.Param{{Name: "x", Types: []template.Type{"A"}}})
	require.Equal(t, []template.Type{"B"}, a[0].Types, "inputs are not modified")
}

func TestParseWithParams(t *testing.T) {
	t.Parallel()
	tp := template.Parse("/users/{id}/f_{name}.json/{}")
	require.Equal(t, "/users/{}/f_{}.json/{}", tp.Key())
	require.Equal(t, "/users/{id}/f_{name}.json/{param}", tp.String())
	re := tp.WithParams([]template.Param{{Name: "userId", Origin: template.OriginInferred, Types: []template.Type{template.TypeInteger}}})
	require.Equal(t, "/users/{userId}/f_{name}.json/{param}", re.String())
	require.Equal(t, template.OriginInferred, re.Segments[1].Origin)
	require.Equal(t, template.TypeInteger, re.Segments[1].Type)
	require.Equal(t, "/users/{id}/f_{name}.json/{param}", tp.String(), "WithParams does not modify its receiver")
	require.False(t, re.Fits("/users/me/f_a.json/x"), "the restored inferred parameter is strict again")
	require.True(t, re.Fits("/users/1/f_a.json/x"))
}

func TestObserve(t *testing.T) {
	t.Parallel()
	tp := template.Infer("/users/:id/files/{{name}}/42", "")
	p := func(name string, o template.Origin, types ...template.Type) template.Param {
		return template.Param{Name: name, Origin: o, Types: types}
	}
	require.Equal(t, []template.Param{
		p("id", template.OriginPathVariable, template.TypeUUID),
		p("name", template.OriginVariable, template.TypeString),
		p("fileId", template.OriginInferred, template.TypeInteger),
	}, tp.Observe("/users/550e8400-e29b-41d4-a716-446655440000/files/report/7"))
	require.Equal(t, []template.Param{
		p("id", template.OriginPathVariable),
		p("name", template.OriginVariable),
		p("fileId", template.OriginInferred, template.TypeInteger),
	}, tp.Observe("/users/:id/files/{{name}}/42"), "placeholders say nothing of the type")
	require.Equal(t, []template.Param{
		p("id", template.OriginPathVariable), p("name", template.OriginVariable), p("fileId", template.OriginInferred),
	}, tp.Observe("/other"))
}

func ExampleInfer() {
	t := template.Infer("/v1/users/42/orders/5f1d7a6c9b1e8a0012345678", "")
	fmt.Println(t)
	fmt.Println(t.Key())
	for _, s := range t.Segments {
		if s.IsParam() {
			fmt.Println(s.Param, s.Type, "-", s.Reason)
		}
	}
	// Output:
	// /v1/users/{userId}/orders/{orderId}
	// /v1/users/{}/orders/{}
	// userId INTEGER - "42" is an integer
	// orderId OBJECT_ID - "5f1d7a6c9b1e8a0012345678" is 24 hex digits (an object id)
}
