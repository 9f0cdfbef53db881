package postman

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	`{"info":{"name":"x","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},"item":[{"name":"r","request":{"method":"POST","url":{"raw":"{{base}}/a/:id?q=1","host":["{{base}}"],"path":["a",":id"],"query":[{"key":"q","value":"1"}],"variable":[{"key":"id","value":"{{$guid}}"}]},"header":[{"key":"Content-Type","value":"application/json"}],"body":{"mode":"raw","raw":"{\"a\":\"{{v}}\"}","options":{"raw":{"language":"json"}}}},"response":[{"name":"ok","code":200,"body":"{}"}]}],"variable":[{"key":"base","value":"https://h"},{"key":"v","value":"{{v2}}"},{"key":"v2","value":"x"}],"auth":{"type":"bearer","bearer":[{"key":"token","value":"t"}]}}`,
	`{"info":{"name":"x","schema":"https://schema.getpostman.com/json/collection/v2.0.0/collection.json"},"item":[{"name":"f","auth":{"type":"basic","basic":{"username":"u","password":"p"}},"item":[{"name":"r","request":"httpbin.org/get"}]},{"name":"g","request":{"url":"http://x","method":"GET","body":{"mode":"formdata","formdata":[{"key":"f","type":"file","src":["a","b"]}]}},"protocolProfileBehavior":{"disableBodyPruning":true}}]}`,
	`{"collection":{"info":{},"item":[5,"x",{"request":7},{"request":{"url":9}},{"name":"g","request":{"url":"http://x","body":{"mode":"graphql","graphql":{"query":"{a}","variables":"{\"x\":1}"}}}}]}}`,
	`{"id":"c","name":"v1","order":["r1"],"folders":[{"id":"f","name":"F","order":["r2"],"folders_order":["f"]}],"folders_order":["f"],"requests":[{"id":"r1","url":"http://x/{{a}}","headers":"A: b\n// C: d","dataMode":"params","data":[{"key":"k","value":"v","type":"file"}],"responses":[{"responseCode":{"code":200},"text":"x","request":"r2"}]},{"id":"r2","url":"http://y","currentHelper":"oAuth2","helperAttributes":"{\"accessToken\":\"t\"}"}]}`,
	`{"info":{"name":"\u00e9\ud83d\ude00\ud800x"},"item":[{"name":"a\\b","request":{"url":"http://[::1]:80/\u0041"}}]}`,
	`[1, 2.5e-3, -0, true, false, null, "x"]`,
	`{"info":{},"item":[{"item":[{"item":[{"item":[]}]}]}]}`,
	`{"info":{},"item":[]} `,
	`{"info":{},"item":[]`,
	`{"info":{"name":"a\qb"},"item":[]}`,
}

// FuzzParse: no panic, no hang, and exactly the syntax errors
// encoding/json reports.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{
			Rand:         rand.New(rand.NewPCG(1, 2)),
			Now:          func() time.Time { return time.Unix(0, 0) },
			MaxExpansion: 1 << 20,
		}
		c, err := Parse(data, opts)
		var se *SyntaxError
		isSyntax := errors.As(err, &se)
		if valid := json.Valid(data); valid == isSyntax {
			t.Fatalf("json.Valid=%v but Parse error %v", valid, err)
		}
		if isSyntax && (se.Offset < 0 || se.Offset > int64(len(data)) || se.Line < 1 || se.Column < 1) {
			t.Fatalf("bad syntax error position %+v", se)
		}
		if err == nil && c == nil {
			t.Fatal("nil collection without error")
		}
		if c != nil {
			for _, r := range c.Requests {
				if r.Invalid == "" && !strings.Contains(r.Built.URL.Raw, "://") {
					t.Fatalf("built URL without a scheme: %q", r.Built.URL.Raw)
				}
			}
		}
		_, _, _ = ParseEnvironment(data)
	})
}

// FuzzResolve: the resolver never panics and never hangs, whatever the
// variables and the input; its output is bounded by the expansion limit.
func FuzzResolve(f *testing.F) {
	f.Add("{{a}}", "a", "{{b}}{{b}}", "b", "x")
	f.Add("{{a}} {{ b }} {{$guid}} {{$randomInt}} {{$nope}}", "a", "{{a}}", " b ", "{{{{a}}}}")
	f.Add("{{{a}}}}{{", "a", "}}{{", "{{", "a")
	f.Add("plain", "", "", "", "")
	f.Fuzz(func(t *testing.T, s, k1, v1, k2, v2 string) {
		const limit = 1 << 16
		r := newResolver(nil, []Variable{{Key: k1, Value: v1}, {Key: k2, Value: v2}}, nil,
			rand.New(rand.NewPCG(3, 4)), func() time.Time { return time.Unix(1, 0) }, limit)
		var un nameSet
		out := r.resolve(s, &un)
		if r.err == nil && len(out) > len(s)+limit {
			t.Fatalf("output grew by %d bytes, limit %d", len(out)-len(s), limit)
		}
		for _, n := range un.list {
			if strings.ContainsAny(n, "{}") {
				t.Fatalf("bad unresolved name %q", n)
			}
		}
	})
}
