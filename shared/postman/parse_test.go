package postman_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

func TestParseFormats(t *testing.T) {
	t.Parallel()
	item := `{"name":"r","request":{"method":"GET","url":"https://api.example.com/x"}}`
	tests := []struct {
		name, doc, schema, id, collName string
	}{
		{"v2.1 plain schema URL", v21(item, ""), postman.SchemaV21, "", "test"},
		{"v2.0 schema", `{"info":{"name":"n","schema":"https://schema.getpostman.com/json/collection/v2.0.0/collection.json"},"item":[` + item + `]}`, postman.SchemaV20, "", "n"},
		{"draft-07 URL, http, trailing slash", `{"info":{"name":"n","schema":"http://schema.postman.com/json/draft-07/collection/v2.0.0/"},"item":[` + item + `]}`, postman.SchemaV20, "", "n"},
		{"draft-07 v2.1", `{"info":{"name":"n","schema":"https://schema.getpostman.com/json/draft-07/collection/v2.1.0/collection.json"},"item":[` + item + `]}`, postman.SchemaV21, "", "n"},
		{"missing schema is 2.1", `{"info":{"name":"n","_postman_id":"abc"},"item":[` + item + `]}`, postman.SchemaV21, "abc", "n"},
		{"API wrapper", `{"collection":{"info":{"_postman_id":"id1","name":"w","schema":"` + schema21 + `"},"item":[` + item + `]}}`, postman.SchemaV21, "id1", "w"},
		{"v1", `{"id":"c1","name":"old","order":["r1"],"folders":[],"requests":[{"id":"r1","name":"r","method":"GET","url":"https://api.example.com/x","headers":""}]}`, postman.SchemaV1, "c1", "old"},
		{"v1 in the API wrapper", `{"collection":{"id":"c1","name":"old","order":["r1"],"requests":[{"id":"r1","name":"r","url":"https://api.example.com/x"}]}}`, postman.SchemaV1, "c1", "old"},
		{"unknown fields are ignored", `{"info":{"name":"n","x":{"y":[1,2]}},"zzz":true,"item":[{"name":"r","foo":null,"request":{"url":"https://api.example.com/x","bar":[{}]}}]}`, postman.SchemaV21, "", "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, tt.doc, testOptions())
			require.Equal(t, tt.schema, c.Schema)
			require.Equal(t, tt.id, c.PostmanID)
			require.Equal(t, tt.collName, c.Name)
			require.Len(t, c.Requests, 1)
			r := c.Requests[0]
			require.Empty(t, r.Invalid)
			require.Equal(t, "GET", r.Built.Method)
			require.Equal(t, "https://api.example.com/x", r.Built.URL.Raw)
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		wantErr any // pointer to the error type
		line    int
		col     int
		offset  int64
		msgPart string
	}{
		{name: "not JSON", doc: "hello", wantErr: new(*postman.SyntaxError), line: 1, col: 1, offset: 0},
		{name: "empty", doc: "", wantErr: new(*postman.SyntaxError), line: 1, col: 1, offset: 0},
		{name: "error on line 3", doc: "{\n  \"info\": {},\n  \"item\": [,]\n}", wantErr: new(*postman.SyntaxError), line: 3, col: 12, offset: 27},
		{name: "truncated", doc: `{"info":{"name":"x"},"item":[`, wantErr: new(*postman.SyntaxError), line: 1, col: 30, offset: 29, msgPart: "unexpected end"},
		{name: "trailing garbage", doc: `{"info":{},"item":[]} x`, wantErr: new(*postman.SyntaxError), line: 1, col: 23, offset: 22},
		{name: "bad escape", doc: `{"info":{"name":"a\qb"},"item":[]}`, wantErr: new(*postman.SyntaxError), line: 1, col: 20, offset: 19},
		{name: "control char in string", doc: "{\"info\":{\"name\":\"a\tb\"},\"item\":[]}", wantErr: new(*postman.SyntaxError), line: 1, col: 19, offset: 18},
		{name: "array", doc: `[1,2]`, wantErr: new(*postman.FormatError), msgPart: "top-level value is an array"},
		{name: "no info", doc: `{"item":[]}`, wantErr: new(*postman.FormatError), msgPart: `"item" without "info"`},
		{name: "no item", doc: `{"info":{"name":"x"}}`, wantErr: new(*postman.FormatError), msgPart: `"info" without "item"`},
		{name: "neither", doc: `{"name":"x"}`, wantErr: new(*postman.FormatError), msgPart: "not a Postman collection"},
		{name: "item not an array", doc: `{"info":{},"item":{}}`, wantErr: new(*postman.FormatError), msgPart: "item is an object"},
		{name: "info not an object", doc: `{"info":"x","item":[]}`, wantErr: new(*postman.FormatError), msgPart: "info is a string"},
		{name: "unsupported version", doc: `{"info":{"schema":"https://schema.getpostman.com/json/collection/v3.0.0/collection.json"},"item":[]}`, wantErr: new(*postman.FormatError), msgPart: "3.0.0"},
		{name: "v1 requests not an array", doc: `{"id":"x","requests":5}`, wantErr: new(*postman.FormatError), msgPart: "requests is a number"},
		{name: "wrapper holding a string", doc: `{"collection":"x"}`, wantErr: new(*postman.FormatError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := postman.Parse([]byte(tt.doc), testOptions())
			require.Nil(t, c)
			require.Error(t, err)
			require.True(t, errors.As(err, tt.wantErr), "got %T: %v", err, err)
			if tt.msgPart != "" {
				require.Contains(t, err.Error(), tt.msgPart)
			}
			var se *postman.SyntaxError
			if errors.As(err, &se) {
				require.Equal(t, tt.line, se.Line, se.Error())
				require.Equal(t, tt.col, se.Column, se.Error())
				require.Equal(t, tt.offset, se.Offset, se.Error())
			}
		})
	}
}

func TestParseInvalidItems(t *testing.T) {
	t.Parallel()
	good := `{"name":"good","request":{"url":"https://api.example.com/ok"}}`
	tests := []struct {
		name, item, want string
	}{
		{"item is a number", `5`, "item is a number, want an object"},
		{"item is a string", `"x"`, "item is a string, want an object"},
		{"request is a number", `{"name":"bad","request":42}`, "request is a number, want an object or a URL string"},
		{"url is a number", `{"name":"bad","request":{"url":7}}`, "request.url is a number, want a string or an object"},
		{"header is a number", `{"name":"bad","request":{"url":"http://x","header":1}}`, "request.header is a number, want an array"},
		{"header entry is a string", `{"name":"bad","request":{"url":"http://x","header":["a"]}}`, "request.header[0] is a string, want an object"},
		{"body is an array", `{"name":"bad","request":{"url":"http://x","body":[]}}`, "request.body is an array, want an object"},
		{"query is an object", `{"name":"bad","request":{"url":{"raw":"http://x","query":{}}}}`, "request.url.query is an object, want an array"},
		{"auth is a string", `{"name":"bad","request":{"url":"http://x","auth":"bearer"}}`, "request.auth is a string, want an object"},
		{"no request", `{"name":"bad"}`, `item has neither "request" nor "item"`},
		{"request null", `{"name":"bad","request":null}`, `item has neither "request" nor "item"`},
		{"no url", `{"name":"bad","request":{"method":"GET"}}`, "request has no url"},
		{"folder item list is a string", `{"name":"bad","item":"x"}`, "folder item list is a string, want an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, v21(good+","+tt.item+","+good, ""), testOptions())
			require.Len(t, c.Requests, 3)
			require.Empty(t, c.Requests[0].Invalid)
			require.Empty(t, c.Requests[2].Invalid)
			require.Equal(t, "https://api.example.com/ok", c.Requests[2].Built.URL.Raw)
			bad := c.Requests[1]
			require.Equal(t, tt.want, bad.Invalid)
			require.Zero(t, bad.Built)
		})
	}
}

func TestParseToleratesNonEssentialDamage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, item, flag string
	}{
		{"event not an array", `{"name":"r","event":5,"request":"http://x"}`, postman.FlagInvalidScript},
		{"response not an array", `{"name":"r","response":"x","request":"http://x"}`, postman.FlagInvalidExample},
		{"response entry a number", `{"name":"r","response":[1],"request":"http://x"}`, postman.FlagInvalidExample},
		{"example request broken", `{"name":"r","response":[{"code":200,"originalRequest":{"url":5}}],"request":"http://x"}`, postman.FlagInvalidExample},
		{"protocolProfileBehavior a string", `{"name":"r","protocolProfileBehavior":"x","request":"http://x"}`, postman.FlagInvalidProfile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := only(t, v21(tt.item, ""), testOptions())
			require.Empty(t, r.Invalid)
			require.Equal(t, "http://x/", r.Built.URL.Raw)
			require.Contains(t, r.Flags, tt.flag)
		})
	}
}

func TestParseFolders(t *testing.T) {
	t.Parallel()
	doc := v21(`
		{"name":"A","item":[
			{"name":"A1","request":"http://x/a1"},
			{"name":"B","item":[{"name":"B1","request":"http://x/b1"}]},
			{"name":"Empty","item":[]},
			{"name":"A2","request":"http://x/a2"}
		]},
		{"name":"top","request":"http://x/top"}`, "")
	c := mustParse(t, doc, testOptions())
	var got [][]string
	for _, r := range c.Requests {
		got = append(got, append(append([]string{}, r.Folders...), r.Name))
	}
	require.Equal(t, [][]string{{"A", "A1"}, {"A", "B", "B1"}, {"A", "A2"}, {"top"}}, got)
}

func TestParseV1(t *testing.T) {
	t.Parallel()
	doc := `{
	"id":"c","name":"v1",
	"order":["r3"],
	"folders_order":["f1"],
	"folders":[
		{"id":"f1","name":"F1","order":["r1"],"folders_order":["f2"],"auth":{"type":"bearer","bearer":[{"key":"token","value":"T"}]}},
		{"id":"f2","name":"F2","order":["r2"]}
	],
	"requests":[
		{"id":"r1","name":"one","method":"POST","url":"https://api.example.com/one?a=1",
		 "headers":"Content-Type: application/json\n// X-Off: 1\nX-On: yes\n",
		 "headerData":[{"key":"Content-Type","value":"application/json"}],
		 "dataMode":"raw","rawModeData":"{\"a\":1}",
		 "queryParams":[{"key":"a","value":"1","equals":true},{"key":"b","value":"2","enabled":false}],
		 "responses":[{"name":"ok","responseCode":{"code":201,"name":"Created"},"text":"{}","headers":[{"key":"X","value":"y"}]},
		              {"name":"stub","responseCode":null,"text":""}]},
		{"id":"r2","name":"two","method":"POST","url":"https://api.example.com/users/:id","pathVariables":{"id":"42"},
		 "dataMode":"urlencoded","data":[{"key":"k","value":"v","type":"text"},{"key":"off","value":"x","enabled":false}]},
		{"id":"r3","name":"three","method":"POST","url":"https://api.example.com/upload",
		 "dataMode":"params","data":[{"key":"f","value":"report.pdf","type":"file"},{"key":"t","value":"x","type":"text"}],
		 "currentHelper":"basicAuth","helperAttributes":{"id":"basic","username":"u","password":"p"}},
		{"id":"r4","name":"unlisted","url":"https://api.example.com/unlisted"}
	]}`
	c := mustParse(t, doc, testOptions())
	require.Equal(t, postman.SchemaV1, c.Schema)
	require.Len(t, c.Requests, 4)
	var names []string
	for _, r := range c.Requests {
		names = append(names, r.Name)
	}
	// Postman's converter: folders (subfolders, then their requests), then
	// the root requests; unlisted requests come last here.
	require.Equal(t, []string{"two", "one", "three", "unlisted"}, names)

	one := c.Requests[1]
	require.Equal(t, []string{"F1"}, one.Folders)
	require.Equal(t, "https://api.example.com/one?a=1", one.Built.URL.Raw)
	require.Equal(t, []string{"Content-Type", "X-On", "Authorization"}, headerNames(one.Built.Headers))
	require.Equal(t, "Bearer T", must(header(one.Built.Headers, "Authorization")))
	require.Equal(t, postman.BodyRaw, one.Built.Body.Mode)
	require.Equal(t, "application/json", one.Built.Body.ContentType)
	require.Len(t, one.Examples, 1)
	require.Equal(t, 201, one.Examples[0].Status)
	require.Equal(t, 1, one.StubExamples)

	two := c.Requests[0]
	require.Equal(t, []string{"F1", "F2"}, two.Folders)
	require.Equal(t, "/users/42", two.Built.URL.Path)
	require.Equal(t, []postman.FormField{{Key: "k", Value: "v"}}, two.Built.Body.Form)
	require.Equal(t, "bearer", two.Auth.Type, "inherited from F1")

	three := c.Requests[2]
	require.Empty(t, three.Folders)
	require.Equal(t, "basic", three.Auth.Type)
	require.Equal(t, []postman.FormField{{Key: "f", File: "report.pdf"}, {Key: "t", Value: "x"}}, three.Built.Body.Form)
	require.Contains(t, three.Flags, postman.FlagFilePartMissing)

	four := c.Requests[3]
	require.Equal(t, "unlisted", four.Name)
	require.Contains(t, four.Flags, postman.FlagOrphan)
}

func must(v string, ok bool) string {
	if !ok {
		panic("missing")
	}
	return v
}

func TestParseEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		doc      string
		wantName string
		want     []postman.Variable
		wantErr  any
	}{
		{
			name:     "export",
			doc:      `{"id":"e","name":"Prod","values":[{"key":"host","value":"api.example.com","enabled":true,"type":"text"},{"key":"off","value":"1","enabled":false},{"key":"n","value":5},{"value":"no key"}],"_postman_variable_scope":"environment"}`,
			wantName: "Prod",
			want:     []postman.Variable{{Key: "host", Value: "api.example.com"}, {Key: "off", Value: "1", Disabled: true}, {Key: "n", Value: "5"}},
		},
		{
			name:     "API wrapper",
			doc:      `{"environment":{"name":"W","values":[{"key":"a","value":"b"}]}}`,
			wantName: "W",
			want:     []postman.Variable{{Key: "a", Value: "b"}},
		},
		{name: "not JSON", doc: `{"values":[`, wantErr: new(*postman.SyntaxError)},
		{name: "no values", doc: `{"name":"x"}`, wantErr: new(*postman.FormatError)},
		{name: "values not an array", doc: `{"values":{}}`, wantErr: new(*postman.FormatError)},
		{name: "a collection", doc: v21("", ""), wantErr: new(*postman.FormatError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name, vars, err := postman.ParseEnvironment([]byte(tt.doc))
			if tt.wantErr != nil {
				require.True(t, errors.As(err, tt.wantErr), "got %T: %v", err, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantName, name)
			require.Equal(t, tt.want, vars)
		})
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	nested := `{"name":"r","request":"http://x"}`
	for range 5 {
		nested = `{"name":"f","item":[` + nested + `]}`
	}
	many := `{"name":"r","request":"http://x"}`
	for range 9 {
		many += `,{"name":"r","request":"http://x"}`
	}
	bomb := `,"variable":[{"key":"a","value":"{{b}}{{b}}{{b}}{{b}}"},{"key":"b","value":"{{c}}{{c}}{{c}}{{c}}"},{"key":"c","value":"{{d}}{{d}}{{d}}{{d}}"},{"key":"d","value":"{{e}}{{e}}{{e}}{{e}}"},{"key":"e","value":"0123456789"}]`
	tests := []struct {
		name  string
		doc   string
		opts  func(*postman.Options)
		limit string
		ok    bool
	}{
		{name: "depth within", doc: v21(nested, ""), opts: func(o *postman.Options) { o.MaxDepth = 6 }, ok: true},
		{name: "depth over", doc: v21(nested, ""), opts: func(o *postman.Options) { o.MaxDepth = 5 }, limit: "nesting depth"},
		{name: "items within", doc: v21(many, ""), opts: func(o *postman.Options) { o.MaxItems = 10 }, ok: true},
		{name: "items over", doc: v21(many, ""), opts: func(o *postman.Options) { o.MaxItems = 9 }, limit: "item count"},
		{name: "folders count as items", doc: v21(nested, ""), opts: func(o *postman.Options) { o.MaxItems = 5 }, limit: "item count"},
		{name: "expansion within", doc: v21(`{"name":"r","request":"http://x/{{a}}"}`, bomb), opts: func(o *postman.Options) { o.MaxExpansion = 4096 }, ok: true},
		{name: "expansion over", doc: v21(`{"name":"r","request":"http://x/{{a}}"}`, bomb), opts: func(o *postman.Options) { o.MaxExpansion = 1000 }, limit: "variable expansion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			tt.opts(&opts)
			c, err := postman.Parse([]byte(tt.doc), opts)
			if tt.ok {
				require.NoError(t, err)
				require.NotEmpty(t, c.Requests)
				return
			}
			var le *postman.LimitError
			require.True(t, errors.As(err, &le), "got %T: %v", err, err)
			require.Equal(t, tt.limit, le.Limit)
			require.Contains(t, err.Error(), tt.limit)
		})
	}
}

func TestParseDefaultLimitsAreDocumented(t *testing.T) {
	t.Parallel()
	// A cyclic exponential reference stops on the default expansion limit
	// instead of eating memory.
	doc := v21(`{"name":"r","request":"http://x/{{a}}"}`, `,"variable":[{"key":"a","value":"{{a}}{{a}}{{a}}{{a}}"}]`)
	_, err := postman.Parse([]byte(doc), testOptions())
	var le *postman.LimitError
	require.True(t, errors.As(err, &le), "got %v", err)
	require.Equal(t, postman.DefaultMaxExpansion, le.Max)
}

// TestPathologicalInputsAreBounded: inputs built to amplify work finish
// quickly, with a limit error where one applies.
func TestPathologicalInputsAreBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("b", 1<<20)
	var resps, order []string
	for range 50 {
		resps = append(resps, `{"responseCode":{"code":200},"text":"x","request":"big"}`)
		order = append(order, `"big"`)
	}
	deep := `{"name":"r","request":{"url":"http://x","method":"POST","body":{"mode":"raw","raw":"` + big + `"}}}`
	for range 60 {
		deep = `{"name":"f","item":[` + deep + `]}`
	}
	tests := []struct {
		name  string
		doc   string
		limit string // "" when the parse succeeds
	}{
		{"v1 saved requests naming a big request", `{"id":"c","order":["small"],"requests":[{"id":"big","url":"http://x","dataMode":"raw","rawModeData":"` + big + `"},{"id":"small","url":"http://y","responses":[` + strings.Join(resps, ",") + `]}]}`, "request references"},
		{"v1 order repeating a big request", `{"id":"c","order":[` + strings.Join(order, ",") + `],"requests":[{"id":"big","url":"http://x","dataMode":"raw","rawModeData":"` + big + `"}]}`, "request references"},
		{"deep folders over a big request", v21(deep, ""), ""},
		{"dynamic variable bomb", v21(`{"name":"r","request":{"url":"http://x","method":"POST","body":{"mode":"raw","raw":"`+strings.Repeat("{{$guid}}", 1<<17)+`"}}}`, ""), "variable expansion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			opts.MaxExpansion = 1 << 20
			c, err := postman.Parse([]byte(tt.doc), opts)
			if tt.limit == "" {
				require.NoError(t, err)
				require.Len(t, c.Requests, 1)
				return
			}
			var le *postman.LimitError
			require.True(t, errors.As(err, &le), "got %v", err)
			require.Equal(t, tt.limit, le.Limit)
		})
	}
}

func TestParseKeepsNoReferenceToInput(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		string(postman.GenerateCollection(20, 0.5, 0)),
		`{"id":"c","order":["r"],"requests":[{"id":"r","name":"n","url":"https://h/p?q=1","headers":"A: b","dataMode":"raw","rawModeData":"body \u00e9","responses":[{"responseCode":{"code":200},"text":"ok"}]}]}`,
	} {
		data := []byte(doc)
		c := mustParse(t, doc, testOptions())
		c2, err := postman.Parse(data, testOptions())
		require.NoError(t, err)
		for i := range data {
			data[i] = 'X'
		}
		require.Equal(t, c, c2)
	}
}
