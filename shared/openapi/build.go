// Package openapi exports the endpoints of one API collection as an
// OpenAPI 3.1 document: servers from the hosts, paths from the endpoint
// templates with their path parameters, operations with query, header and
// cookie parameters, request bodies and responses per status with the
// inferred schemas and one example each, and security schemes from the
// detected auth types. Output is deterministic: the same endpoints give
// the same bytes.
//
// The package is pure.
package openapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/jsonscan"
	"github.com/apiscout/apiscout/shared/schema"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/template"
)

// MaxExampleBytes: bodies larger than this are not used as examples.
const MaxExampleBytes = 64 << 10

// Input is what a document is built from.
type Input struct {
	// Title is info.title ("API" when empty).
	Title       string
	Description string
	// Version is info.version ("1.0.0" when empty).
	Version string
	// Endpoints of the collection; removed ones are left out.
	Endpoints []inventory.Endpoint
	// Samples are the endpoints' retained samples (any order, optional):
	// the newest with a usable JSON body becomes each body's example.
	Samples []inventory.Sample
}

// Build builds the document.
func Build(in Input) *Document {
	doc := &Document{
		OpenAPI: Version,
		Info:    Info{Title: in.Title, Description: in.Description, Version: in.Version},
		Paths:   map[string]*PathItem{},
	}
	if doc.Info.Title == "" {
		doc.Info.Title = "API"
	}
	if doc.Info.Version == "" {
		doc.Info.Version = "1.0.0"
	}
	eps := make([]inventory.Endpoint, 0, len(in.Endpoints))
	for _, ep := range in.Endpoints {
		if !ep.Removed {
			eps = append(eps, ep)
		}
	}
	slices.SortFunc(eps, func(a, b inventory.Endpoint) int {
		return strings.Compare(a.Host+" "+a.Path+" "+a.Method+" "+a.Scheme, b.Host+" "+b.Path+" "+b.Method+" "+b.Scheme)
	})
	samples := make(map[string]*inventory.Sample, len(in.Samples))
	for i := range in.Samples {
		samples[in.Samples[i].ID] = &in.Samples[i]
	}

	// Servers: one per scheme and host.
	serverOf := map[string]Server{}
	var serverKeys []string
	for _, ep := range eps {
		s := server(ep)
		if _, ok := serverOf[s.URL]; !ok {
			serverOf[s.URL] = s
			serverKeys = append(serverKeys, s.URL)
		}
	}
	slices.Sort(serverKeys)
	for _, k := range serverKeys {
		doc.Servers = append(doc.Servers, serverOf[k])
	}

	// Paths: endpoints with the same template key are one path (whatever
	// their parameter names); the same method on several hosts is one
	// operation.
	type group struct {
		name   template.Template
		byVerb map[string][]inventory.Endpoint
	}
	groups := map[string]*group{}
	var keys []string
	for _, ep := range eps {
		t := template.Parse(ep.Path).WithParams(ep.PathParams)
		k := t.Key()
		g := groups[k]
		if g == nil {
			g = &group{name: t, byVerb: map[string][]inventory.Endpoint{}}
			groups[k] = g
			keys = append(keys, k)
		}
		g.byVerb[ep.Method] = append(g.byVerb[ep.Method], ep)
	}
	slices.Sort(keys)
	schemes := map[string]*SecurityScheme{}
	opIDs := map[string]int{}
	for _, k := range keys {
		g := groups[k]
		pathName := g.name.String()
		item := doc.Paths[pathName]
		if item == nil {
			item = &PathItem{}
		}
		verbs := make([]string, 0, len(g.byVerb))
		for v := range g.byVerb {
			verbs = append(verbs, v)
		}
		slices.Sort(verbs)
		for _, verb := range verbs {
			slot := item.slot(verb)
			if slot == nil {
				continue // OpenAPI 3.1 has no place for this method
			}
			op := operation(g.name, g.byVerb[verb], samples, schemes)
			op.OperationID = uniqueID(strings.ToLower(verb)+"_"+idOf(pathName), opIDs)
			var urls []string
			for _, ep := range g.byVerb[verb] {
				if u := server(ep).URL; !slices.Contains(urls, u) {
					urls = append(urls, u)
				}
			}
			if len(urls) < len(serverKeys) {
				slices.Sort(urls)
				for _, u := range urls {
					op.Servers = append(op.Servers, serverOf[u])
				}
			}
			*slot = op
			doc.Paths[pathName] = item
		}
	}
	if len(schemes) > 0 {
		doc.Components = &Components{SecuritySchemes: schemes}
	}
	return doc
}

func (p *PathItem) slot(method string) **Operation {
	switch strings.ToUpper(method) {
	case http.MethodGet:
		return &p.Get
	case http.MethodPut:
		return &p.Put
	case http.MethodPost:
		return &p.Post
	case http.MethodDelete:
		return &p.Delete
	case http.MethodOptions:
		return &p.Options
	case http.MethodHead:
		return &p.Head
	case http.MethodPatch:
		return &p.Patch
	case http.MethodTrace:
		return &p.Trace
	}
	return nil
}

// server is the server of an endpoint; a host holding {{vars}} becomes a
// server variable whose default is the unresolved reference.
func server(ep inventory.Endpoint) Server {
	scheme := ep.Scheme
	if scheme == "" || strings.Contains(scheme, "{{") {
		scheme = "https"
	}
	host := ep.Host
	if host == "" {
		return Server{URL: "/", Description: "requests without a host"}
	}
	s := Server{}
	for strings.Contains(host, "{{") {
		i := strings.Index(host, "{{")
		j := strings.Index(host[i:], "}}")
		if j < 0 {
			break
		}
		name := idOf(host[i+2 : i+j])
		if s.Variables == nil {
			s.Variables = map[string]ServerVariable{}
		}
		s.Variables[name] = ServerVariable{Default: host[i : i+j+2], Description: "unresolved Postman variable"}
		host = host[:i] + "{" + name + "}" + host[i+j+2:]
	}
	s.URL = scheme + "://" + host
	return s
}

// idOf keeps letters, digits, '-', '.' and '_' (others become '_').
func idOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

func uniqueID(id string, used map[string]int) string {
	if id == "" {
		id = "op"
	}
	used[id]++
	if n := used[id]; n > 1 {
		return id + "_" + strconv.Itoa(n)
	}
	return id
}

// operation builds the operation of endpoints that share a method and a
// template key (several hosts), named after the path's template.
func operation(name template.Template, eps []inventory.Endpoint, samples map[string]*inventory.Sample, schemes map[string]*SecurityScheme) *Operation {
	var shape schema.Shape
	var params []template.Param
	var auth []authtype.Evidence
	var found []sensitive.Finding
	op := &Operation{Responses: map[string]*Response{}}
	for _, ep := range eps {
		shape = schema.MergeShapes(shape, ep.Shape)
		params = template.MergeParams(params, ep.PathParams)
		auth = authtype.Merge(auth, ep.Auth)
		found = append(found, ep.Sensitive...)
		op.EndpointIDs = append(op.EndpointIDs, ep.ID)
		if op.Summary == "" && len(ep.Sources) > 0 {
			op.Summary = ep.Sources[0].Name
		}
	}

	// Path parameters, named as the path is.
	k := 0
	for _, s := range name.Segments {
		if !s.IsParam() {
			continue
		}
		var types []template.Type
		if k < len(params) {
			types = params[k].Types
		}
		k++
		op.Parameters = append(op.Parameters, Parameter{Name: s.Param, In: "path", Required: true, Schema: pathSchema(types)})
	}
	if r := shape.Request; r != nil {
		for _, f := range r.Query {
			op.Parameters = append(op.Parameters, Parameter{Name: f.Name, In: "query", Required: f.Required, Schema: fieldSchema(f)})
		}
		for _, f := range r.Headers {
			switch strings.ToLower(f.Name) {
			case "accept", "content-type", "authorization":
				continue // ignored by OpenAPI: described elsewhere
			}
			op.Parameters = append(op.Parameters, Parameter{Name: f.Name, In: "header", Required: f.Required, Schema: fieldSchema(f)})
		}
		for _, f := range r.Cookies {
			op.Parameters = append(op.Parameters, Parameter{Name: f.Name, In: "cookie", Required: f.Required, Schema: fieldSchema(f)})
		}
		if len(r.Bodies) > 0 {
			op.RequestBody = &RequestBody{Required: !r.BodyOptional, Content: content(r.Bodies)}
			if ex := requestExample(eps, samples); ex != nil {
				setExample(op.RequestBody.Content, ex.mediaType, ex.body)
			}
		}
	}

	for _, r := range shape.Responses {
		code := "default"
		desc := "Saved response without a status"
		if r.Status != 0 {
			if r.Status < 100 || r.Status > 599 {
				continue
			}
			code = strconv.Itoa(r.Status)
			desc = http.StatusText(r.Status)
			if desc == "" {
				desc = "Status " + code
			}
		}
		resp := &Response{Description: desc}
		for _, h := range r.Headers {
			if resp.Headers == nil {
				resp.Headers = map[string]*Header{}
			}
			resp.Headers[h.Name] = &Header{Required: h.Required, Schema: fieldSchema(h)}
		}
		if len(r.Bodies) > 0 {
			resp.Content = content(r.Bodies)
			if ex := responseExample(eps, samples, r.Status); ex != nil {
				setExample(resp.Content, ex.mediaType, ex.body)
			}
		}
		op.Responses[code] = resp
	}
	if len(op.Responses) == 0 {
		op.Responses["default"] = &Response{Description: "No response seen"}
	}

	op.Security = security(auth, schemes)
	sensitive.SortFindings(found)
	for _, f := range found {
		sf := SensitiveField{Type: string(f.Type), Severity: string(f.Severity), Side: string(f.Side), Part: string(f.Part), Name: f.Name, Path: f.Path}
		if !slices.Contains(op.Sensitive, sf) {
			op.Sensitive = append(op.Sensitive, sf)
		}
	}
	return op
}

// pathSchema types a path parameter from the value types seen: integer
// when every value was, number when every value was numeric, else string
// (with a format or pattern when every value shares one).
func pathSchema(types []template.Type) *Schema {
	allIn := func(set ...template.Type) bool {
		if len(types) == 0 {
			return false
		}
		for _, t := range types {
			if !slices.Contains(set, t) {
				return false
			}
		}
		return true
	}
	switch {
	case allIn(template.TypeInteger):
		return &Schema{Type: "integer"}
	case allIn(template.TypeInteger, template.TypeFloat):
		return &Schema{Type: "number"}
	case allIn(template.TypeUUID):
		return &Schema{Type: "string", Format: "uuid"}
	case allIn(template.TypeEmail):
		return &Schema{Type: "string", Format: "email"}
	case allIn(template.TypeObjectID):
		return &Schema{Type: "string", Pattern: "^[0-9a-fA-F]{24}$"}
	}
	return &Schema{Type: "string"}
}

func fieldSchema(f schema.Field) *Schema {
	s := &Schema{Type: typeOf(f.Types), Format: f.Format}
	if s.Type == nil {
		s.Type = "string"
	}
	return s
}

func typeOf(types []string) any {
	switch len(types) {
	case 0:
		return nil
	case 1:
		return types[0]
	}
	return slices.Clone(types)
}

// nodeSchema converts an inferred JSON shape.
func nodeSchema(n *schema.Node) *Schema {
	if n == nil {
		return nil
	}
	s := &Schema{Type: typeOf(n.Types), Format: n.Format, Items: nodeSchema(n.Items)}
	if n.Truncated {
		s.Description = "members or nesting beyond apiscout's limits left out"
	}
	for _, p := range n.Properties {
		if s.Properties == nil {
			s.Properties = map[string]*Schema{}
		}
		s.Properties[p.Name] = nodeSchema(p.Node)
		if p.Required {
			s.Required = append(s.Required, p.Name)
		}
	}
	return s
}

// content describes bodies by media type.
func content(bodies []schema.Body) map[string]*MediaType {
	out := map[string]*MediaType{}
	for _, b := range bodies {
		mt := &MediaType{Schema: nodeSchema(b.JSON)}
		if b.Form != nil {
			s := &Schema{Type: "object", Properties: map[string]*Schema{}}
			for _, f := range b.Form {
				fs := fieldSchema(f)
				if f.File {
					fs = &Schema{Type: "string", Format: "binary"}
				}
				s.Properties[f.Name] = fs
				if f.Required {
					s.Required = append(s.Required, f.Name)
				}
			}
			mt.Schema = s
		}
		out[b.MediaType] = mt
	}
	return out
}

type example struct {
	mediaType string
	body      []byte
}

// usableExample: a whole JSON body of bounded size.
func usableExample(headers []inventory.Header, body string, truncated bool) *example {
	if body == "" || truncated || len(body) > MaxExampleBytes {
		return nil
	}
	ct := ""
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Content-Type") {
			ct = h.Value
		}
	}
	mt := schema.MediaType(ct)
	if mt == "" && jsonscan.LooksLikeJSON([]byte(body)) {
		mt = "application/json"
	}
	if !schema.IsJSON(mt) || !jsonscan.Valid([]byte(body)) {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(body)) != nil {
		return nil
	}
	return &example{mediaType: mt, body: buf.Bytes()}
}

// newest walks the endpoints' retained samples, newest first.
func newest(eps []inventory.Endpoint, samples map[string]*inventory.Sample, fn func(*inventory.Sample) bool) {
	for _, ep := range eps {
		for i := len(ep.SampleIDs) - 1; i >= 0; i-- {
			if s := samples[ep.SampleIDs[i]]; s != nil && fn(s) {
				return
			}
		}
	}
}

func requestExample(eps []inventory.Endpoint, samples map[string]*inventory.Sample) *example {
	var ex *example
	newest(eps, samples, func(s *inventory.Sample) bool {
		ex = usableExample(s.Request.Headers, s.Request.Body, s.Request.BodyTruncated)
		return ex != nil
	})
	return ex
}

func responseExample(eps []inventory.Endpoint, samples map[string]*inventory.Sample, status int) *example {
	var ex *example
	newest(eps, samples, func(s *inventory.Sample) bool {
		if s.Response.Status != status {
			return false
		}
		ex = usableExample(s.Response.Headers, s.Response.Body, s.Response.BodyTruncated)
		return ex != nil
	})
	return ex
}

func setExample(c map[string]*MediaType, mt string, body []byte) {
	if m := c[mt]; m != nil {
		m.Example = body
	}
}

// security turns auth evidence into security requirements (alternatives)
// and registers their schemes.
func security(ev []authtype.Evidence, schemes map[string]*SecurityScheme) []map[string][]string {
	var names []string
	hasKey := slices.ContainsFunc(ev, func(e authtype.Evidence) bool { return e.Type == authtype.APIKey && e.In != authtype.InPostman })
	open := false
	for _, e := range ev {
		name, s := schemeOf(e, hasKey)
		if e.Type == authtype.Unauthenticated {
			open = true
			continue
		}
		if s == nil {
			continue
		}
		if _, ok := schemes[name]; !ok {
			schemes[name] = s
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []map[string][]string
	for _, n := range names {
		out = append(out, map[string][]string{n: {}})
	}
	if open && len(out) > 0 {
		out = append(out, map[string][]string{})
	}
	return out
}

// schemeOf names and describes the security scheme of one evidence.
func schemeOf(e authtype.Evidence, hasKey bool) (string, *SecurityScheme) {
	apiKey := func(prefix, in, name string) (string, *SecurityScheme) {
		return prefix + "_" + idOf(name), &SecurityScheme{Type: "apiKey", In: in, Name: name}
	}
	switch e.Type {
	case authtype.Bearer:
		if e.In == authtype.InQuery {
			return apiKey("accessTokenQuery", "query", e.Name)
		}
		return "bearerAuth", &SecurityScheme{Type: "http", Scheme: "bearer"}
	case authtype.JWT:
		switch e.In {
		case authtype.InQuery:
			return apiKey("jwtQuery", "query", e.Name)
		case authtype.InHeader:
			if !strings.EqualFold(e.Name, "Authorization") {
				return apiKey("jwtHeader", "header", e.Name)
			}
		}
		return "bearerJWT", &SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT"}
	case authtype.Basic:
		return "basicAuth", &SecurityScheme{Type: "http", Scheme: "basic"}
	case authtype.Digest:
		return "digestAuth", &SecurityScheme{Type: "http", Scheme: "digest"}
	case authtype.OAuth1:
		return "oauth1", &SecurityScheme{Type: "http", Scheme: "OAuth", Description: "OAuth 1.0 signature"}
	case authtype.AWSSigV4:
		return "awsSigV4", &SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization", Description: "AWS Signature Version 4"}
	case authtype.Cookie:
		return apiKey("cookie", "cookie", e.Name)
	case authtype.APIKey:
		switch e.In {
		case authtype.InHeader:
			if strings.EqualFold(e.Name, "Authorization") {
				return "apiKeyAuthorization", &SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization"}
			}
			return apiKey("apiKeyHeader", "header", e.Name)
		case authtype.InQuery:
			return apiKey("apiKeyQuery", "query", e.Name)
		}
		if hasKey {
			return "", nil // the key itself was seen
		}
		return "apiKey", &SecurityScheme{Type: "apiKey", In: "header", Name: "X-API-Key", Description: "declared in Postman; where the key goes was not seen"}
	case authtype.Other:
		scheme := e.Scheme
		if scheme == "" {
			scheme = e.Name
		}
		if scheme == "" {
			return "", nil
		}
		return "http_" + idOf(strings.ToLower(scheme)), &SecurityScheme{Type: "http", Scheme: scheme}
	}
	return "", nil
}
