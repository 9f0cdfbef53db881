package postman_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

func TestBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		headers string
		body    string
		want    *postman.Body
		flags   []string
	}{
		{
			name: "raw json from options.raw.language",
			body: `{"mode":"raw","raw":"{\"a\":\"{{v}}\"}","options":{"raw":{"language":"json"}}}`,
			want: &postman.Body{Mode: postman.BodyRaw, ContentType: "application/json", Raw: `{"a":"V"}`},
		},
		{
			name:    "a Content-Type header wins over the language",
			headers: `[{"key":"content-type","value":"application/vnd.api+json"}]`,
			body:    `{"mode":"raw","raw":"{}","options":{"raw":{"language":"json"}}}`,
			want:    &postman.Body{Mode: postman.BodyRaw, ContentType: "application/vnd.api+json", Raw: `{}`},
		},
		{
			name:    "a disabled Content-Type header does not count",
			headers: `[{"key":"Content-Type","value":"text/csv","disabled":true}]`,
			body:    `{"mode":"raw","raw":"<a/>","options":{"raw":{"language":"xml"}}}`,
			want:    &postman.Body{Mode: postman.BodyRaw, ContentType: "application/xml", Raw: `<a/>`},
		},
		{
			name: "raw without a language is text",
			body: `{"mode":"raw","raw":"hello"}`,
			want: &postman.Body{Mode: postman.BodyRaw, ContentType: "text/plain", Raw: "hello"},
		},
		{
			name: "empty raw is no body",
			body: `{"mode":"raw","raw":""}`,
		},
		{
			name: "urlencoded keeps duplicates, drops disabled",
			body: `{"mode":"urlencoded","urlencoded":[{"key":"a","value":"1"},{"key":"a","value":"2 3"},{"key":"b","value":"x","disabled":true},{"key":"c","value":"{{v}}"}]}`,
			want: &postman.Body{Mode: postman.BodyURLEncoded, ContentType: "application/x-www-form-urlencoded", Raw: "a=1&a=2+3&c=V",
				Form: []postman.FormField{{Key: "a", Value: "1"}, {Key: "a", Value: "2 3"}, {Key: "c", Value: "V"}}},
		},
		{
			name: "formdata with a file part",
			body: `{"mode":"formdata","formdata":[{"key":"doc","type":"file","src":"/home/me/Report.pdf"},{"key":"meta","value":"{{v}}","type":"text"},{"key":"off","value":"x","disabled":true},{"key":"many","type":"file","src":["a.png","dir\\b.png"]}]}`,
			want: &postman.Body{Mode: postman.BodyFormData, ContentType: "multipart/form-data", Raw: "doc=@Report.pdf&meta=V&many=@a.png&many=@b.png",
				Form: []postman.FormField{{Key: "doc", File: "Report.pdf"}, {Key: "meta", Value: "V"}, {Key: "many", File: "a.png"}, {Key: "many", File: "b.png"}}},
			flags: []string{postman.FlagFilePartMissing},
		},
		{
			name:  "file body without content",
			body:  `{"mode":"file","file":{"src":"C:\\data\\blob.bin"}}`,
			want:  &postman.Body{Mode: postman.BodyFile, ContentType: "application/octet-stream", Form: []postman.FormField{{File: "blob.bin"}}},
			flags: []string{postman.FlagFilePartMissing},
		},
		{
			name:  "file body with nothing (as exported by Postman)",
			body:  `{"mode":"file","file":{}}`,
			want:  &postman.Body{Mode: postman.BodyFile, ContentType: "application/octet-stream", Form: []postman.FormField{{}}},
			flags: []string{postman.FlagFilePartMissing},
		},
		{
			name: "file body with content",
			body: `{"mode":"file","file":{"content":"bytes"}}`,
			want: &postman.Body{Mode: postman.BodyFile, ContentType: "application/octet-stream", Raw: "bytes"},
		},
		{
			name: "graphql with a variables string embedded as JSON",
			body: `{"mode":"graphql","graphql":{"query":"query($id: ID!) { node(id: $id) { id } }","variables":"{\n  \"id\": \"{{v}}\"\n}"}}`,
			want: &postman.Body{Mode: postman.BodyGraphQL, ContentType: "application/json",
				Raw: `{"query":"query($id: ID!) { node(id: $id) { id } }","variables":{"id":"V"}}`},
		},
		{
			name: "graphql with invalid or empty variables leaves them out",
			body: `{"mode":"graphql","graphql":{"query":"{ a }","variables":"not json"}}`,
			want: &postman.Body{Mode: postman.BodyGraphQL, ContentType: "application/json", Raw: `{"query":"{ a }"}`},
		},
		{
			name: "graphql with variables as an object",
			body: `{"mode":"graphql","graphql":{"query":"{ a }","variables":{"x": 1}}}`,
			want: &postman.Body{Mode: postman.BodyGraphQL, ContentType: "application/json", Raw: `{"query":"{ a }","variables":{"x":1}}`},
		},
		{
			name:  "unknown mode",
			body:  `{"mode":"telepathy","telepathy":"x"}`,
			flags: []string{postman.FlagUnknownBodyMode},
		},
		{
			name: "disabled body",
			body: `{"mode":"raw","raw":"x","disabled":true}`,
		},
		{
			name:   "GET bodies are pruned",
			method: "GET",
			body:   `{"mode":"raw","raw":"x"}`,
			flags:  []string{postman.FlagBodyPruned},
		},
		{
			name:   "HEAD bodies are pruned",
			method: "head",
			body:   `{"mode":"raw","raw":"x"}`,
			flags:  []string{postman.FlagBodyPruned},
		},
		{
			name:   "DELETE bodies are kept",
			method: "DELETE",
			body:   `{"mode":"raw","raw":"x"}`,
			want:   &postman.Body{Mode: postman.BodyRaw, ContentType: "text/plain", Raw: "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method := tt.method
			if method == "" {
				method = "POST"
			}
			hdr := tt.headers
			if hdr == "" {
				hdr = "[]"
			}
			r := only(t, v21(`{"name":"r","request":{"method":"`+method+`","url":"https://h/x","header":`+hdr+`,"body":`+tt.body+`}}`,
				`,"variable":[{"key":"v","value":"V"}]`), testOptions())
			require.Empty(t, r.Invalid)
			require.Equal(t, tt.want, r.Built.Body)
			require.Equal(t, tt.flags, r.Flags)
		})
	}
}

func TestBodyPruningInheritance(t *testing.T) {
	t.Parallel()
	get := func(name, ppb string) string {
		if ppb != "" {
			ppb = `,"protocolProfileBehavior":` + ppb
		}
		return `{"name":"` + name + `","request":{"method":"GET","url":"https://h/x","body":{"mode":"raw","raw":"q"}}` + ppb + `}`
	}
	doc := v21(`
		{"name":"keep","protocolProfileBehavior":{"disableBodyPruning":true},"item":[
			`+get("inherits keep", "")+`,
			`+get("overrides to prune", `{"disableBodyPruning":false}`)+`,
			{"name":"inner","protocolProfileBehavior":{"disabledSystemHeaders":{}},"item":[`+get("deep inherits keep", "")+`]}
		]},
		`+get("default prune", "")+`,
		`+get("own keep", `{"disableBodyPruning":true}`), "")
	c := mustParse(t, doc, testOptions())
	want := map[string]bool{
		"inherits keep":      true,
		"overrides to prune": false,
		"deep inherits keep": true,
		"default prune":      false,
		"own keep":           true,
	}
	require.Len(t, c.Requests, len(want))
	for _, r := range c.Requests {
		require.Equal(t, want[r.Name], r.Built.Body != nil, r.Name)
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		url    string // JSON value
		want   postman.URL
		unres  []string
		flags  []string
		method string
	}{
		{
			name: "string with everything",
			url:  `"HTTPS://User:pw@API.Example.com:8443/v1/items/:id?limit=10&flag&empty=#frag"`,
			want: postman.URL{Raw: "https://api.example.com:8443/v1/items/:id?limit=10&flag&empty=", Scheme: "https", Host: "api.example.com", Port: "8443",
				Path: "/v1/items/:id", PathTemplate: "/v1/items/:id", Query: []postman.KV{{Key: "limit", Value: "10"}, {Key: "flag"}, {Key: "empty"}}},
		},
		{
			name: "no scheme means http",
			url:  `"httpbin.org/get"`,
			want: postman.URL{Raw: "http://httpbin.org/get", Scheme: "http", Host: "httpbin.org", Path: "/get", PathTemplate: "/get"},
		},
		{
			name: "object parts win over raw",
			url:  `{"raw":"https://wrong.example.com/old","protocol":"https","host":["api","example","com"],"port":"444","path":["v2","users",":userId"],"query":[{"key":"a","value":"1"},{"key":"b","value":"2","disabled":true},{"key":"c","value":null}],"variable":[{"key":"userId","value":"{{uid}}"}]}`,
			want: postman.URL{Raw: "https://api.example.com:444/v2/users/7?a=1&c", Scheme: "https", Host: "api.example.com", Port: "444",
				Path: "/v2/users/7", PathTemplate: "/v2/users/:userId", Query: []postman.KV{{Key: "a", Value: "1"}, {Key: "c"}}},
		},
		{
			name: "object with only raw uses raw",
			url:  `{"raw":"https://api.example.com/only/raw?x=1"}`,
			want: postman.URL{Raw: "https://api.example.com/only/raw?x=1", Scheme: "https", Host: "api.example.com", Path: "/only/raw", PathTemplate: "/only/raw", Query: []postman.KV{{Key: "x", Value: "1"}}},
		},
		{
			name: "unfilled path variables stay :name",
			url:  `{"raw":"{{base}}/m/:merchantId/c/:credId","host":["{{base}}"],"path":["m",":merchantId","c",":credId"],"variable":[{"key":"merchantId","value":"{{EMPTY}}"},{"key":"credId","value":""}]}`,
			want: postman.URL{Raw: "https://api.example.com/v3/m/:merchantId/c/:credId", Scheme: "https", Host: "api.example.com", Path: "/v3/m/:merchantId/c/:credId", PathTemplate: "/v3/m/:merchantId/c/:credId"},
		},
		{
			name:  "a path variable whose value is unresolved stays :name and is recorded",
			url:   `{"host":["api","example","com"],"path":["m",":id"],"variable":[{"key":"id","value":"{{nope}}"}]}`,
			want:  postman.URL{Raw: "http://api.example.com/m/:id", Scheme: "http", Host: "api.example.com", Path: "/m/:id", PathTemplate: "/m/:id"},
			unres: []string{"nope"},
		},
		{
			name: "a host variable holding scheme and path",
			url:  `{"host":["{{base}}"],"path":["users"]}`,
			want: postman.URL{Raw: "https://api.example.com/v3/users", Scheme: "https", Host: "api.example.com", Path: "/v3/users", PathTemplate: "/v3/users"},
		},
		{
			name: "a host variable with a trailing slash",
			url:  `{"host":["{{slash}}"],"path":["v1","charges"]}`,
			want: postman.URL{Raw: "https://api.stripe.com/v1/charges", Scheme: "https", Host: "api.stripe.com", Path: "/v1/charges", PathTemplate: "/v1/charges"},
		},
		{
			name:  "unresolved host keeps its reference and case",
			url:   `"{{ApiHost}}/Path"`,
			want:  postman.URL{Raw: "http://{{ApiHost}}/Path", Scheme: "http", Host: "{{ApiHost}}", Path: "/Path", PathTemplate: "/Path"},
			unres: []string{"ApiHost"},
		},
		{
			name: "host only",
			url:  `"https://api.example.com"`,
			want: postman.URL{Raw: "https://api.example.com/", Scheme: "https", Host: "api.example.com", Path: "/", PathTemplate: "/"},
		},
		{
			name:  "relative URL has no host",
			url:   `"/just/a/path"`,
			want:  postman.URL{Raw: "http:///just/a/path", Scheme: "http", Path: "/just/a/path", PathTemplate: "/just/a/path"},
			flags: []string{postman.FlagNoHost},
		},
		{
			name: "IPv6 literal",
			url:  `"http://[::1]:8080/x"`,
			want: postman.URL{Raw: "http://[::1]:8080/x", Scheme: "http", Host: "[::1]", Port: "8080", Path: "/x", PathTemplate: "/x"},
		},
		{
			name: "path segments holding variables keep them in the template",
			url:  `{"raw":"https://api.example.com/{{ver}}/users/{{uid}}/{{multi}}/f_{{uid}}.json/{{nope}}"}`,
			want: postman.URL{Raw: "https://api.example.com/v2/users/7/a/b/f_7.json/{{nope}}", Scheme: "https", Host: "api.example.com",
				Path: "/v2/users/7/a/b/f_7.json/{{nope}}", PathTemplate: "/{{ver}}/users/{{uid}}/a/b/f_{{uid}}.json/{{nope}}"},
			unres: []string{"nope"},
		},
		{
			name:   "request as a bare URL string is a GET",
			url:    "",
			method: "GET",
			want:   postman.URL{Raw: "https://api.example.com/bare", Scheme: "https", Host: "api.example.com", Path: "/bare", PathTemplate: "/bare"},
		},
	}
	vars := `,"variable":[{"key":"base","value":"https://api.example.com/v3"},{"key":"slash","value":"https://api.stripe.com/"},{"key":"uid","value":"7"},{"key":"EMPTY","value":""},{"key":"ver","value":"v2"},{"key":"multi","value":"a/b"}]`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			item := `{"name":"r","request":{"method":"POST","url":` + tt.url + `}}`
			if tt.url == "" {
				item = `{"name":"r","request":"https://api.example.com/bare"}`
			}
			r := only(t, v21(item, vars), testOptions())
			require.Empty(t, r.Invalid)
			require.Equal(t, tt.want, r.Built.URL)
			require.Equal(t, tt.unres, r.Unresolved)
			require.Equal(t, tt.flags, r.Flags)
			if tt.method != "" {
				require.Equal(t, tt.method, r.Built.Method)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	r := only(t, v21(`{"name":"r","request":{"url":"https://h/x","header":[
		{"key":"Accept","value":"application/json"},
		{"key":"X-Off","value":"1","disabled":true},
		{"key":"X-Dup","value":"1"},{"key":"X-Dup","value":"2"},
		{"key":"X-Var","value":"{{v}}"},
		{"key":"","value":"nameless"}]}}`, `,"variable":[{"key":"v","value":"V"}]`), testOptions())
	require.Equal(t, []postman.KV{{Key: "Accept", Value: "application/json"}, {Key: "X-Dup", Value: "1"}, {Key: "X-Dup", Value: "2"}, {Key: "X-Var", Value: "V"}}, r.Built.Headers)

	r = only(t, v21(`{"name":"r","request":{"url":"https://h/x","header":"A: 1\n// B: 2\nC: 3:4"}}`, ""), testOptions())
	require.Equal(t, []postman.KV{{Key: "A", Value: "1"}, {Key: "C", Value: "3:4"}}, r.Built.Headers)
}

func TestExamples(t *testing.T) {
	t.Parallel()
	doc := v21(`{"name":"r","request":{"method":"POST","url":"https://h/items","header":[{"key":"X-Item","value":"1"}],"auth":{"type":"bearer","bearer":[{"key":"token","value":"T"}]},"body":{"mode":"raw","raw":"item"}},
		"response":[
			{"name":"created","code":201,"header":[{"key":"Location","value":"/items/1"}],"body":"{\"id\":1}",
			 "originalRequest":{"method":"POST","url":"https://h/items?dry={{dry}}","header":[],"body":{"mode":"raw","raw":"orig"}}},
			{"name":"no status, body","body":"oops"},
			{"name":"status, no body","code":"404","header":null,"body":""},
			{"name":"stub","code":null,"body":null},
			{"name":"another stub"}
		]}`, "")
	r := only(t, doc, testOptions())
	require.Equal(t, 2, r.StubExamples)
	require.Len(t, r.Examples, 3)

	ex := r.Examples[0]
	require.Equal(t, "created", ex.Name)
	require.Equal(t, 201, ex.Status)
	require.Equal(t, `{"id":1}`, ex.Body)
	require.Equal(t, []postman.KV{{Key: "Location", Value: "/items/1"}}, ex.Headers)
	require.Equal(t, "https://h/items?dry={{dry}}", ex.Request.URL.Raw, "from originalRequest")
	require.Equal(t, "orig", ex.Request.Body.Raw)
	require.Equal(t, "Bearer T", must(header(ex.Request.Headers, "Authorization")), "the item's auth applies")
	require.Equal(t, []string{"dry"}, ex.Unresolved)

	require.Equal(t, 0, r.Examples[1].Status)
	require.Equal(t, "oops", r.Examples[1].Body)
	require.Equal(t, r.Built, r.Examples[1].Request, "no originalRequest: the item's request")

	require.Equal(t, 404, r.Examples[2].Status)
	require.Nil(t, r.Examples[2].Headers)
}
