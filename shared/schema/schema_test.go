package schema_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/schema"
)

func infer(t *testing.T, s string) *schema.Node {
	t.Helper()
	n, err := schema.InferJSON([]byte(s))
	require.NoError(t, err, s)
	return n
}

// compact renders a node as a one-line summary for table tests:
// types[format]{name*:..., opt:...} and arrays as [items].
func compact(n *schema.Node) string {
	if n == nil {
		return "-"
	}
	var b strings.Builder
	b.WriteString(strings.Join(n.Types, "|"))
	if n.Format != "" {
		b.WriteString("(" + n.Format + ")")
	}
	if n.Truncated {
		b.WriteString("!")
	}
	if len(n.Properties) > 0 {
		b.WriteByte('{')
		for i, p := range n.Properties {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(p.Name)
			if p.Required {
				b.WriteByte('*')
			}
			b.WriteByte(':')
			b.WriteString(compact(p.Node))
		}
		b.WriteByte('}')
	}
	if n.Items != nil {
		b.WriteString("[" + compact(n.Items) + "]")
	}
	return b.String()
}

func TestInferJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"scalar", `42`, "integer"},
		{"number", `4.2`, "number"},
		{"exponent is a number", `1e3`, "number"},
		{"string", `"x"`, "string"},
		{"null", `null`, "null"},
		{"bool", `true`, "boolean"},
		{"object", `{"a":1,"b":"x","c":null}`, "object{a*:integer,b*:string,c*:null}"},
		{"nested", `{"a":{"b":{"c":[1,2]}}}`, "object{a*:object{b*:object{c*:array[integer]}}}"},
		{"empty array", `{"a":[]}`, "object{a*:array}"},
		{"array of objects: optional fields", `[{"id":1,"n":"a"},{"id":2},{"id":3,"x":true}]`, "array[object{id*:integer,n:string,x:boolean}]"},
		{"integer and number widen to number", `[1,2.5,3]`, "array[number]"},
		{"mixed types", `[1,"a",null,{"k":1},[true]]`, "array[array|integer|null|object|string{k*:integer}[boolean]]"},
		{"formats", `{"t":"2024-01-02T03:04:05Z","d":"2024-01-02","e":"a@b.io","u":"550e8400-e29b-41d4-a716-446655440000","w":"https://x.io/a","i":"10.0.0.1","six":"::1"}`,
			"object{d*:string(date),e*:string(email),i*:string(ipv4),six*:string(ipv6),t*:string(date-time),u*:string(uuid),w*:string(uri)}"},
		{"mixed formats are dropped", `["a@b.io","2024-01-02"]`, "array[string]"},
		{"format with non-strings kept", `["a@b.io",1]`, "array[integer|string(email)]"},
		{"repeated member counts once", `[{"a":1,"a":2},{"b":1}]`, "array[object{a:integer,b:integer}]"},
		{"escaped member names", `{"a\"b":1,"\u00e9":2}`, "object{a\"b*:integer,é*:integer}"},
		{"object or null", `[{"a":1},null]`, "array[null|object{a*:integer}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, compact(infer(t, tt.in)))
		})
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `[1] [2]`, `<html>`} {
		_, err := schema.InferJSON([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestInferLimits(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"a":`, schema.MaxDepth+5) + "1" + strings.Repeat("}", schema.MaxDepth+5)
	n := infer(t, deep)
	depth := 0
	for n != nil && len(n.Properties) > 0 {
		n = n.Properties[0].Node
		depth++
	}
	require.Equal(t, schema.MaxDepth, depth)
	require.True(t, n.Truncated)
	require.Equal(t, []string{"object"}, n.Types)

	var b strings.Builder
	b.WriteString("{")
	for i := range schema.MaxProperties + 50 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%04d":%d`, i, i)
	}
	b.WriteString("}")
	wide := infer(t, b.String())
	require.Len(t, wide.Properties, schema.MaxProperties)
	require.True(t, wide.Truncated)
	require.Equal(t, "k0000", wide.Properties[0].Name, "the smallest names are kept")
}

func TestMergeLaws(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{"id":1,"name":"a","tags":["x"]}`,
		`{"id":2.5,"email":"a@b.io","tags":[],"meta":{"k":1}}`,
		`{"id":null,"meta":{"k":"v","j":true}}`,
		`[{"id":1}]`,
		`"2024-01-02"`,
		`null`,
		`{"meta":null}`,
	}
	nodes := []*schema.Node{nil}
	for _, d := range docs {
		nodes = append(nodes, infer(t, d))
	}
	for _, a := range nodes {
		require.Equal(t, compact(a), compact(schema.Merge(a, a)), "idempotent")
		for _, b := range nodes {
			ab := schema.Merge(a, b)
			require.Equal(t, compact(ab), compact(schema.Merge(b, a)), "commutative")
			require.Equal(t, compact(ab), compact(schema.Merge(ab, b)), "merging again changes nothing")
			for _, c := range nodes {
				require.Equal(t, compact(schema.Merge(schema.Merge(a, b), c)), compact(schema.Merge(a, schema.Merge(b, c))), "associative")
			}
		}
	}
}

func TestMergeEqualsInferringTogether(t *testing.T) {
	t.Parallel()
	a := `{"id":1,"name":"a","o":{"x":1}}`
	b := `{"id":2,"o":{"y":"2024-01-02"},"extra":[1]}`
	together := infer(t, "["+a+","+b+"]").Items
	require.Equal(t, compact(together), compact(schema.Merge(infer(t, a), infer(t, b))))
	require.Equal(t, "object{extra:array[integer],id*:integer,name:string,o*:object{x:integer,y:string(date)}}", compact(together))
}

func TestMergeDoesNotAlias(t *testing.T) {
	t.Parallel()
	a := infer(t, `{"a":{"b":1}}`)
	before := compact(a)
	m := schema.Merge(a, nil)
	m.Properties[0].Node.Types[0] = "changed"
	m2 := schema.Merge(a, infer(t, `{"a":{"c":1}}`))
	m2.Properties[0].Node.Properties[0].Required = true
	require.Equal(t, before, compact(a))
}

func TestMergeCapsProperties(t *testing.T) {
	t.Parallel()
	var x, y strings.Builder
	x.WriteString("{")
	y.WriteString("{")
	for i := range schema.MaxProperties {
		if i > 0 {
			x.WriteByte(',')
			y.WriteByte(',')
		}
		fmt.Fprintf(&x, `"a%04d":1`, i)
		fmt.Fprintf(&y, `"b%04d":1`, i)
	}
	x.WriteString("}")
	y.WriteString("}")
	m := schema.Merge(infer(t, x.String()), infer(t, y.String()))
	require.Len(t, m.Properties, schema.MaxProperties)
	require.True(t, m.Truncated)
	require.Equal(t, "a0199", m.Properties[len(m.Properties)-1].Name)
}

func TestScalarType(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, typ, format string }{
		{"42", "integer", ""},
		{"-3", "integer", ""},
		{"007", "string", ""},
		{"0", "integer", ""},
		{"2.5", "number", ""},
		{"1.", "string", ""},
		{"true", "boolean", ""},
		{"False", "boolean", ""},
		{"abc", "string", ""},
		{"", "string", ""},
		{"-", "string", ""},
		{"2024-01-02", "string", "date"},
		{"a@b.io", "string", "email"},
		{"https://x.io", "string", "uri"},
		{"123456789012345678901234567890123", "string", ""},
	}
	for _, tt := range tests {
		typ, f := schema.ScalarType(tt.in)
		require.Equal(t, tt.typ, typ, tt.in)
		require.Equal(t, tt.format, f, tt.in)
	}
}

func TestObserveRequest(t *testing.T) {
	t.Parallel()
	r := schema.ObserveRequest(schema.HTTPRequest{
		Query: []schema.KV{{"limit", "10"}, {"q", "x"}, {"limit", "20"}},
		Headers: []schema.KV{
			{"Content-Type", "application/json; charset=utf-8"}, {"x-api-key", "k"}, {"User-Agent", "PostmanRuntime"},
			{"Postman-Token", "t"}, {"Host", "h"}, {"Content-Length", "9"}, {"Cookie", "sid=abc; theme=dark"},
			{"Accept", "*/*"}, {"Authorization", "Bearer x"}, {"X-Request-Id", "550e8400-e29b-41d4-a716-446655440000"},
		},
		Body: `{"name":"a","age":3}`,
	})
	require.Equal(t, []schema.Field{
		{Name: "limit", Types: []string{"integer"}, Required: true},
		{Name: "q", Types: []string{"string"}, Required: true},
	}, r.Query)
	require.Equal(t, []string{"Authorization", "X-Api-Key", "X-Request-Id"}, names(r.Headers))
	require.Equal(t, "uuid", r.Headers[2].Format)
	require.Equal(t, []string{"sid", "theme"}, names(r.Cookies))
	require.Len(t, r.Bodies, 1)
	require.Equal(t, "application/json", r.Bodies[0].MediaType)
	require.Equal(t, "object{age*:integer,name*:string}", compact(r.Bodies[0].JSON))
	require.False(t, r.BodyOptional)
}

func names(fs []schema.Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func TestObserveBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       schema.HTTPRequest
		mediaType string
		json      string
		form      []schema.Field
		none      bool
	}{
		{name: "no body", req: schema.HTTPRequest{}, none: true},
		{name: "json without content type", req: schema.HTTPRequest{Body: ` [1]`}, mediaType: "application/json", json: "array[integer]"},
		{name: "text without content type", req: schema.HTTPRequest{Body: `hello`}, mediaType: "text/plain"},
		{name: "vendor json", req: schema.HTTPRequest{ContentType: "application/vnd.api+json", Body: `{"a":1}`}, mediaType: "application/vnd.api+json", json: "object{a*:integer}"},
		{name: "broken json keeps the media type", req: schema.HTTPRequest{ContentType: "application/json", Body: `{"a":`}, mediaType: "application/json"},
		{name: "xml", req: schema.HTTPRequest{ContentType: "text/xml", Body: `<a/>`}, mediaType: "text/xml"},
		{
			name: "urlencoded from the body", req: schema.HTTPRequest{ContentType: "application/x-www-form-urlencoded", Body: "a=1&b=x%40y.io&c"},
			mediaType: "application/x-www-form-urlencoded",
			form: []schema.Field{
				{Name: "a", Types: []string{"integer"}, Required: true},
				{Name: "b", Types: []string{"string"}, Format: "email", Required: true},
				{Name: "c", Types: []string{"string"}, Required: true},
			},
		},
		{
			name: "multipart fields and files", req: schema.HTTPRequest{ContentType: "multipart/form-data; boundary=x", Body: "(multipart)",
				Form: []schema.FormField{{Name: "file", Value: "a.png", File: true}, {Name: "title", Value: "x"}}},
			mediaType: "multipart/form-data",
			form: []schema.Field{
				{Name: "file", Types: []string{"string"}, Format: "binary", Required: true, File: true},
				{Name: "title", Types: []string{"string"}, Required: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := schema.ObserveRequest(tt.req)
			if tt.none {
				require.Empty(t, r.Bodies)
				require.True(t, r.BodyOptional)
				return
			}
			require.Len(t, r.Bodies, 1)
			b := r.Bodies[0]
			require.Equal(t, tt.mediaType, b.MediaType)
			if tt.json == "" {
				require.Nil(t, b.JSON)
			} else {
				require.Equal(t, tt.json, compact(b.JSON))
			}
			require.Equal(t, tt.form, b.Form)
		})
	}
}

func TestObserveResponse(t *testing.T) {
	t.Parallel()
	r := schema.ObserveResponse(schema.HTTPResponse{Status: 201, Headers: []schema.KV{
		{"Content-Type", "application/json"}, {"Date", "x"}, {"Server", "nginx"}, {"Location", "/x/1"},
		{"Set-Cookie", "sid=1; Path=/; HttpOnly"}, {"set-cookie", "bad"}, {"X-RateLimit-Remaining", "9"},
	}, Body: `{"id":1}`})
	require.Equal(t, 201, r.Status)
	require.Equal(t, []string{"Location", "X-Ratelimit-Remaining"}, names(r.Headers))
	require.Equal(t, []string{"sid"}, names(r.Cookies))
	require.Equal(t, "object{id*:integer}", compact(r.Bodies[0].JSON))
	require.True(t, schema.IsNoiseHeader("postman-token", false))
	require.False(t, schema.IsNoiseHeader("X-Api-Key", false))
	require.True(t, schema.IsNoiseHeader("Date", true))
}

func TestMergeShapes(t *testing.T) {
	t.Parallel()
	s1 := schema.Observe(schema.HTTPRequest{Query: []schema.KV{{"a", "1"}}, Headers: []schema.KV{{"X-A", "1"}}, Body: `{"x":1}`},
		&schema.HTTPResponse{Status: 200, Body: `{"ok":true}`})
	s2 := schema.Observe(schema.HTTPRequest{Query: []schema.KV{{"a", "x"}, {"b", "2"}}},
		&schema.HTTPResponse{Status: 404, Body: `{"error":"nope"}`})
	s3 := schema.Observe(schema.HTTPRequest{Query: []schema.KV{{"a", "1"}}, Headers: []schema.KV{{"x-a", "2"}}, ContentType: "application/x-www-form-urlencoded", Body: "f=1"},
		&schema.HTTPResponse{Status: 200, Body: `{"ok":false,"n":1}`})

	m := schema.MergeShapes(schema.MergeShapes(s1, s2), s3)
	require.Equal(t, []schema.Field{
		{Name: "a", Types: []string{"integer", "string"}, Required: true},
		{Name: "b", Types: []string{"integer"}, Required: false},
	}, m.Request.Query)
	require.Equal(t, []schema.Field{{Name: "X-A", Types: []string{"integer"}, Required: false}}, m.Request.Headers)
	require.True(t, m.Request.BodyOptional)
	require.Len(t, m.Request.Bodies, 2)
	require.Equal(t, "application/json", m.Request.Bodies[0].MediaType)
	require.Equal(t, "application/x-www-form-urlencoded", m.Request.Bodies[1].MediaType)
	require.Equal(t, []int{200, 404}, m.Statuses())
	require.Equal(t, "object{n:integer,ok*:boolean}", compact(m.Response(200).Bodies[0].JSON))
	require.Nil(t, m.Response(500))

	// Laws on whole shapes.
	shapes := []schema.Shape{{}, s1, s2, s3}
	enc := func(s schema.Shape) string { b, _ := json.Marshal(s); return string(b) }
	for _, a := range shapes {
		require.Equal(t, enc(a), enc(schema.MergeShapes(a, a)), "idempotent")
		for _, b := range shapes {
			require.Equal(t, enc(schema.MergeShapes(a, b)), enc(schema.MergeShapes(b, a)), "commutative")
			for _, c := range shapes {
				require.Equal(t, enc(schema.MergeShapes(schema.MergeShapes(a, b), c)), enc(schema.MergeShapes(a, schema.MergeShapes(b, c))), "associative")
			}
		}
	}
}

func TestMediaType(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "Application/JSON; charset=UTF-8": "application/json", "text/plain": "text/plain", "bad;;=": "bad",
	} {
		require.Equal(t, want, schema.MediaType(in), in)
	}
	require.True(t, schema.IsJSON("application/problem+json"))
	require.False(t, schema.IsJSON("text/plain"))
}

func BenchmarkInferJSON1MiB(b *testing.B) {
	body := bigJSON(1 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schema.InferJSON(body); err != nil {
			b.Fatal(err)
		}
	}
}

// bigJSON is an array of records of about n bytes.
func bigJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"user %d","email":"user%d@example.com","active":%t,"score":%d.5,"tags":["a","b"],"address":{"city":"Paris","zip":"750%02d"}}`, i, i, i, i%2 == 0, i, i%100)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}
