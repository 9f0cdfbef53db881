package postman

import "strconv"

// GenerateCollection returns a synthetic, deterministic Postman v2.1
// collection for benchmarks and load tests. It has n requests (n < 1 means
// 1) in folders nested two deep, collection variables, a bearer collection
// auth, {{variables}} (some dynamic), path variables, query parameters,
// disabled headers, raw JSON and urlencoded bodies and test scripts. A share
// exampleShare (0..1) of the requests carry two saved responses, one with an
// originalRequest. When targetBytes > 0, request and response bodies are
// padded so that the output is about targetBytes long (within about 1%,
// never less than the unpadded size).
func GenerateCollection(n int, exampleShare float64, targetBytes int) []byte {
	if n < 1 {
		n = 1
	}
	exampleShare = min(max(exampleShare, 0), 1)
	g := genState{n: n, share: exampleShare}
	out := g.render(0)
	if targetBytes <= len(out) {
		return out
	}
	// Padding grows linearly with pad: measure once more to find the rate.
	units := g.padUnits
	if units == 0 {
		return out
	}
	pad := (targetBytes - len(out)) / units
	out = g.render(pad)
	if d := targetBytes - len(out); d > 0 {
		out = g.render(pad + d/units)
	}
	return out
}

type genState struct {
	n        int
	share    float64
	padUnits int
	b        []byte
}

var genMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "GET", "POST", "GET"}

var genFiller = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "

func (g *genState) render(pad int) []byte {
	g.padUnits = 0
	g.b = make([]byte, 0, 1<<16)
	g.raw(`{"info":{"_postman_id":"5e1b3a2c-0000-4000-8000-000000000001","name":"Generated collection","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},`)
	g.raw(`"auth":{"type":"bearer","bearer":[{"key":"token","value":"{{token}}","type":"string"}]},`)
	g.raw(`"variable":[{"key":"baseUrl","value":"https://api.example.com/v1"},{"key":"token","value":"secret-token"},{"key":"tenant","value":"acme"},{"id":"apiVersion","value":"2024-01-01"}],`)
	g.raw(`"event":[{"listen":"prerequest","script":{"type":"text/javascript","exec":["pm.variables.set(\"requestStart\", Date.now());"]}}],`)
	g.raw(`"item":[`)
	const perSub, subsPerFolder = 10, 5
	i := 0
	for f := 0; i < g.n; f++ {
		if f > 0 {
			g.raw(",")
		}
		g.raw(`{"name":"Folder `)
		g.int(f)
		g.raw(`","item":[`)
		for s := 0; s < subsPerFolder && i < g.n; s++ {
			if s > 0 {
				g.raw(",")
			}
			g.raw(`{"name":"Resource `)
			g.int(f*subsPerFolder + s)
			g.raw(`","item":[`)
			for k := 0; k < perSub && i < g.n; k++ {
				if k > 0 {
					g.raw(",")
				}
				g.item(i, pad)
				i++
			}
			g.raw(`]}`)
		}
		g.raw(`]}`)
	}
	g.raw(`]}`)
	return g.b
}

func (g *genState) item(i, pad int) {
	method := genMethods[i%len(genMethods)]
	res := "resource" + strconv.Itoa(i/10)
	g.raw(`{"id":"req-`)
	g.int(i)
	g.raw(`","name":"`)
	g.raw(method + " " + res + " " + strconv.Itoa(i))
	g.raw(`","event":[{"listen":"test","script":{"type":"text/javascript","exec":["pm.test(\"status\", function () { pm.response.to.have.status(200); });","pm.environment.set(\"`)
	g.raw(res)
	g.raw(`Id\", pm.response.json().id);"]}}],"request":`)
	g.request(i, method, res, pad)
	g.raw(`,"response":[`)
	if g.hasExamples(i) {
		// one example with originalRequest, one without; both usable
		g.raw(`{"name":"OK","originalRequest":`)
		g.request(i, method, res, pad)
		g.raw(`,"status":"OK","code":200,"_postman_previewlanguage":"json","header":[{"key":"Content-Type","value":"application/json"},{"key":"X-Request-Id","value":"`)
		g.int(i)
		g.raw(`"}],"cookie":[],"body":"`)
		g.jsonBody(i, pad)
		g.raw(`"},{"name":"Not found","status":"Not Found","code":404,"header":[{"key":"Content-Type","value":"application/json"}],"body":"{\"error\":\"not_found\"}"}`)
	}
	g.raw(`]}`)
}

func (g *genState) hasExamples(i int) bool {
	// spread evenly: request i has examples when the running share crosses
	return int(float64(i+1)*g.share) > int(float64(i)*g.share)
}

func (g *genState) request(i int, method, res string, pad int) {
	g.raw(`{"method":"`)
	g.raw(method)
	g.raw(`","header":[{"key":"Accept","value":"application/json"},{"key":"X-Tenant","value":"{{tenant}}"},{"key":"X-Debug","value":"1","disabled":true},{"key":"X-Request-Id","value":"{{$guid}}"}`)
	if method != "GET" && method != "DELETE" && i%3 != 2 {
		g.raw(`,{"key":"Content-Type","value":"application/json"}`)
	}
	g.raw(`],`)
	switch {
	case method == "GET" || method == "DELETE":
	case i%3 == 2:
		g.raw(`"body":{"mode":"urlencoded","urlencoded":[{"key":"name","value":"item `)
		g.int(i)
		g.raw(`"},{"key":"tenant","value":"{{tenant}}"},{"key":"note","value":"off","disabled":true}]},`)
	default:
		g.raw(`"body":{"mode":"raw","raw":"`)
		g.jsonBody(i, pad)
		g.raw(`","options":{"raw":{"language":"json"}}},`)
	}
	g.raw(`"url":{"raw":"{{baseUrl}}/`)
	g.raw(res)
	g.raw(`/:id?limit=10&offset=`)
	g.int(i)
	g.raw(`","host":["{{baseUrl}}"],"path":["`)
	g.raw(res)
	g.raw(`",":id"],"query":[{"key":"limit","value":"10"},{"key":"offset","value":"`)
	g.int(i)
	g.raw(`"},{"key":"expand","value":"all","disabled":true}],"variable":[{"key":"id","value":"`)
	g.int(1000 + i)
	g.raw(`","description":"The resource id."}]},"description":"Generated request number `)
	g.int(i)
	g.raw(`."}`)
}

// jsonBody writes a JSON document as the inside of a JSON string, padded
// with about pad bytes.
func (g *genState) jsonBody(i, pad int) {
	g.padUnits++
	g.raw(`{\n  \"id\": `)
	g.int(i)
	g.raw(`,\n  \"tenant\": \"{{tenant}}\",\n  \"note\": \"`)
	for pad > 0 {
		chunk := genFiller[:min(pad, len(genFiller))]
		g.raw(chunk)
		pad -= len(chunk)
	}
	g.raw(`\"\n}`)
}

func (g *genState) raw(s string) { g.b = append(g.b, s...) }
func (g *genState) int(i int)    { g.b = strconv.AppendInt(g.b, int64(i), 10) }
