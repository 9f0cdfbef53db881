package postman

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Flags set on requests.
const (
	// FlagFilePartMissing: a multipart file part or a file body whose
	// content is not in the collection; it is sent empty, with its name.
	FlagFilePartMissing = "file_part_missing"
	// FlagBodyPruned: a GET or HEAD body was dropped, as Postman does unless
	// protocolProfileBehavior.disableBodyPruning is set.
	FlagBodyPruned = "body_pruned"
	// FlagUnknownBodyMode: the body mode is not one Postman knows; no body.
	FlagUnknownBodyMode = "unknown_body_mode"
	// FlagInvalidExample: a saved response was malformed and skipped.
	FlagInvalidExample = "invalid_example"
	// FlagInvalidScript: an event was malformed and ignored.
	FlagInvalidScript = "invalid_event"
	// FlagInvalidProfile: protocolProfileBehavior was malformed and ignored.
	FlagInvalidProfile = "invalid_protocol_profile_behavior"
	// FlagNoHost: the URL has no host once resolved (e.g. a relative URL, or
	// a host variable that is defined but empty).
	FlagNoHost = "no_host"
	// FlagOrphan: a v1 request no folder or order lists (Postman's converter
	// drops it; it is kept here so that nothing disappears silently).
	FlagOrphan = "v1_unlisted_request"
)

// buildItem turns a request item into a Request.
func (p *parser) buildItem(it *itemJSON, folders []string, in inherit) Request {
	r := Request{ID: it.ID.S, Name: it.Name.S, Folders: folders}
	if r.ID == "" {
		r.ID = it.PostmanID.S
	}
	flags := slices.Clone(it.flags)
	switch {
	case it.invalid != "":
		r.Invalid = it.invalid
	case it.Request == nil:
		r.Invalid = `item has neither "request" nor "item"`
	}
	if r.Invalid != "" {
		r.Flags = sortedUnique(flags)
		return r
	}
	in = in.with(it.Auth, it.ProtocolProfileBehavior)

	var un, hostUn nameSet
	built, auth, invalid := p.build(it.Request, in, &un, &hostUn, &flags)
	if invalid != "" {
		r.Invalid = invalid
		r.Flags = sortedUnique(flags)
		return r
	}
	r.Built, r.Auth = built, auth
	r.Unresolved = un.sorted()
	r.HostUnresolved = hostUn.sorted()

	// Saved responses. An example's own request inherits the item request's
	// auth when it declares none.
	exIn := in.with(it.Request.Auth, nil)
	for i := range it.Response {
		resp := &it.Response[i]
		body := ""
		if resp.Body != nil {
			body = *resp.Body
		}
		if resp.Code.N == 0 && body == "" {
			r.StubExamples++
			continue
		}
		ex := Example{Name: resp.Name.S, Status: resp.Code.N, Body: body, Request: r.Built}
		for _, h := range resp.Header {
			if h.Key.S != "" {
				ex.Headers = append(ex.Headers, KV{Key: h.Key.S, Value: h.Value.S})
			}
		}
		if resp.OriginalRequest != nil {
			var exUn, exHost nameSet
			exFlags := []string{}
			eb, _, bad := p.build(resp.OriginalRequest, exIn, &exUn, &exHost, &exFlags)
			if bad == "" {
				ex.Request = eb
				ex.Unresolved = exUn.sorted()
			} else {
				flags = append(flags, FlagInvalidExample)
			}
		} else {
			ex.Unresolved = r.Unresolved
		}
		r.Examples = append(r.Examples, ex)
	}
	r.Flags = sortedUnique(flags)
	return r
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// build resolves and builds one request. It returns a non-empty invalid
// reason when the request cannot be built at all.
func (p *parser) build(q *requestJSON, in inherit, un, hostUn *nameSet, flags *[]string) (BuiltRequest, *Auth, string) {
	var b BuiltRequest
	if !q.URL.set || (strings.TrimSpace(q.URL.Raw) == "" && !q.URL.hasParts) {
		return b, nil, "request has no url"
	}
	res := p.res

	b.Method = strings.ToUpper(strings.TrimSpace(res.resolve(q.Method.S, un)))
	if b.Method == "" {
		b.Method = "GET"
	}

	u := p.resolveURL(&q.URL, un, hostUn)
	if u.host == "" {
		*flags = append(*flags, FlagNoHost)
	}

	for i := range q.Header {
		h := &q.Header[i]
		if h.off() {
			continue
		}
		k := strings.TrimSpace(res.resolve(h.Key.S, un))
		if k == "" {
			continue
		}
		b.Headers = append(b.Headers, KV{Key: k, Value: res.resolve(h.Value.S, un)})
	}

	if q.Body != nil {
		b.Body = p.buildBody(q.Body, b.Headers, in, un, flags)
		if b.Body != nil && (b.Method == "GET" || b.Method == "HEAD") && (in.noPruning == nil || !*in.noPruning) {
			b.Body = nil
			*flags = append(*flags, FlagBodyPruned)
		}
	}

	auth := in.auth
	if declared(q.Auth) {
		auth = q.Auth
	} else if in.authErr != "" {
		return b, nil, in.authErr
	}
	var a *Auth
	if auth != nil {
		a = p.resolveAuth(auth, un)
		if a != nil {
			b.Headers, u.query = applyAuth(a, b.Headers, u.query)
		}
	}
	b.URL = u.finish()
	return b, a, ""
}

// resolvedURL is a URL whose parts are resolved, before auth adds to its
// query.
type resolvedURL struct {
	scheme, host, port, path string
	pathTemplate             string
	query                    []queryPart
}

func (p *parser) resolveURL(uj *urlJSON, un, hostUn *nameSet) resolvedURL {
	res := p.res
	parts := uj.parts()
	var out resolvedURL

	// Scheme, host and port: unresolved names here make the request
	// unreplayable, so they are collected separately too.
	var hn nameSet
	proto := res.resolve(parts.protocol, &hn)
	host := res.resolve(parts.host, &hn)
	port := res.resolve(parts.port, &hn)
	for _, n := range hn.list {
		un.add(n)
		hostUn.add(n)
	}

	host = strings.TrimSpace(host)
	if i := strings.Index(host, "://"); i > 0 && indexOutside(host[:i], "/?") < 0 {
		proto, host = host[:i], host[i+3:]
	}
	proto = strings.TrimRight(strings.TrimSpace(proto), ":/")
	var hostPath string
	if i := indexOutside(host, "/?"); i >= 0 {
		host, hostPath = host[:i], host[i:]
	}
	if i := indexOutside(hostPath, "?"); i >= 0 {
		out.query = append(out.query, parseQuery(hostPath[i+1:])...)
		hostPath = hostPath[:i]
	}
	if i := lastIndexOutside(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	h, hp := splitHostPort(host)
	if port == "" {
		port = hp
	}
	out.host = lowerHost(h)
	out.port = port
	out.scheme = strings.ToLower(proto)
	if out.scheme == "" {
		out.scheme = "http"
	} else if hasRef(proto) {
		out.scheme = proto
	}

	// Path, with :name path variables filled from url.variable.
	// The template keeps each segment as written when it is a path
	// variable or holds references that resolve within the segment.
	var sb, tb strings.Builder
	sb.WriteString(strings.TrimRight(hostPath, "/"))
	tb.WriteString(strings.TrimRight(hostPath, "/"))
	pv := pathVars(uj.Variable)
	for _, seg := range parts.path {
		val := p.pathSegment(seg, pv, un)
		sb.WriteByte('/')
		sb.WriteString(val)
		tb.WriteByte('/')
		if isPathVar(seg) || (strings.Contains(seg, "{{") && !strings.Contains(val, "/")) {
			tb.WriteString(seg)
		} else {
			tb.WriteString(val)
		}
	}
	out.path, out.pathTemplate = sb.String(), tb.String()
	if out.path == "" {
		out.path, out.pathTemplate = "/", "/"
	}
	if len(parts.path) == 0 && strings.HasSuffix(hostPath, "/") && out.path != "/" {
		out.path += "/"
		out.pathTemplate += "/"
	}

	for _, q := range parts.query {
		if q.disabled {
			continue
		}
		q.key = res.resolve(q.key, un)
		q.value = res.resolve(q.value, un)
		out.query = append(out.query, q)
	}
	return out
}

// pathVars indexes the enabled url variables by name (id when there is no
// key); later declarations win.
func pathVars(vars []kvJSON) map[string]*kvJSON {
	if len(vars) == 0 {
		return nil
	}
	m := make(map[string]*kvJSON, len(vars))
	for i := range vars {
		v := &vars[i]
		key := v.Key.S
		if !v.Key.Set {
			key = v.ID.S
		}
		if !v.off() {
			m[key] = v
		}
	}
	return m
}

// pathSegment resolves one path segment; a ":name" segment takes the value
// of the url variable "name" when it resolves to a non-empty value, and
// stays ":name" otherwise.
func (p *parser) pathSegment(seg string, vars map[string]*kvJSON, un *nameSet) string {
	if isPathVar(seg) {
		v, ok := vars[seg[1:]]
		if !ok {
			return seg
		}
		var vn nameSet
		val := p.res.resolve(v.Value.S, &vn)
		for _, n := range vn.list {
			un.add(n)
		}
		if val != "" && vn.len() == 0 {
			return val
		}
		return seg
	}
	return p.res.resolve(seg, un)
}

// isPathVar reports whether a path segment is a ":name" path variable.
func isPathVar(seg string) bool { return len(seg) > 1 && seg[0] == ':' }

func (u resolvedURL) finish() URL {
	out := URL{Scheme: u.scheme, Host: u.host, Port: u.port, Path: u.path, PathTemplate: u.pathTemplate}
	n := len(u.scheme) + 3 + len(u.host) + len(u.path) + len(u.port) + 1
	for _, q := range u.query {
		n += len(q.key) + len(q.value) + 2
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(u.scheme)
	b.WriteString("://")
	b.WriteString(u.host)
	if u.port != "" {
		b.WriteByte(':')
		b.WriteString(u.port)
	}
	b.WriteString(u.path)
	if len(u.query) > 0 {
		out.Query = make([]KV, 0, len(u.query))
		for i, q := range u.query {
			if i == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(q.key)
			if !q.noValue {
				b.WriteByte('=')
				b.WriteString(q.value)
			}
			out.Query = append(out.Query, KV{Key: q.key, Value: q.value})
		}
	}
	out.Raw = b.String()
	return out
}

// headerValue returns the value of the first header named key (any case).
func headerValue(h []KV, key string) (string, bool) {
	for _, kv := range h {
		if strings.EqualFold(kv.Key, key) {
			return kv.Value, true
		}
	}
	return "", false
}

// setHeader replaces every header named key (any case) with one header.
func setHeader(h []KV, key, value string) []KV {
	h = slices.DeleteFunc(slices.Clone(h), func(kv KV) bool { return strings.EqualFold(kv.Key, key) })
	return append(h, KV{Key: key, Value: value})
}

func setQuery(q []queryPart, key, value string) []queryPart {
	q = slices.DeleteFunc(slices.Clone(q), func(p queryPart) bool { return p.key == key })
	return append(q, queryPart{key: key, value: value})
}

var rawLanguageTypes = map[string]string{
	"json":       "application/json",
	"javascript": "application/javascript",
	"html":       "text/html",
	"xml":        "application/xml",
	"text":       "text/plain",
	"graphql":    "application/graphql",
}

func (p *parser) buildBody(bj *bodyJSON, headers []KV, in inherit, un *nameSet, flags *[]string) *Body {
	if bj.Disabled.B {
		return nil
	}
	res := p.res
	mode := bj.Mode.S
	ct, hasCT := headerValue(headers, "Content-Type")
	derived := func(def string) string {
		if hasCT {
			return ct
		}
		if in.noCT != nil && *in.noCT {
			return ""
		}
		return def
	}
	switch mode {
	case "":
		return nil
	case BodyRaw:
		if bj.Raw == "" {
			return nil
		}
		def := "text/plain"
		if t, ok := rawLanguageTypes[strings.ToLower(bj.Language.S)]; ok {
			def = t
		}
		return &Body{Mode: BodyRaw, ContentType: derived(def), Raw: res.resolve(bj.Raw, un)}
	case BodyURLEncoded:
		var form []FormField
		var enc strings.Builder
		for i := range bj.URLEncoded {
			f := &bj.URLEncoded[i]
			if f.off() {
				continue
			}
			k, v := res.resolve(f.Key.S, un), res.resolve(f.Value.S, un)
			form = append(form, FormField{Key: k, Value: v})
			if enc.Len() > 0 {
				enc.WriteByte('&')
			}
			enc.WriteString(url.QueryEscape(k))
			enc.WriteByte('=')
			enc.WriteString(url.QueryEscape(v))
		}
		if len(form) == 0 {
			return nil
		}
		return &Body{Mode: BodyURLEncoded, ContentType: derived("application/x-www-form-urlencoded"), Raw: enc.String(), Form: form}
	case BodyFormData:
		var form []FormField
		var desc strings.Builder
		for i := range bj.FormData {
			f := &bj.FormData[i]
			if f.Disabled.B {
				continue
			}
			k := res.resolve(f.Key.S, un)
			if f.Type.S == "file" {
				srcs := []string(f.Src)
				if len(srcs) == 0 && f.Value.S != "" {
					srcs = []string{f.Value.S} // v1 keeps the file name in value
				}
				if len(srcs) == 0 {
					srcs = []string{""}
				}
				for _, src := range srcs {
					name := baseName(res.resolve(src, un))
					form = append(form, FormField{Key: k, File: name})
					writeDesc(&desc, k, "@"+name)
				}
				*flags = append(*flags, FlagFilePartMissing)
				continue
			}
			v := res.resolve(f.Value.S, un)
			form = append(form, FormField{Key: k, Value: v})
			writeDesc(&desc, k, v)
		}
		if len(form) == 0 {
			return nil
		}
		return &Body{Mode: BodyFormData, ContentType: derived("multipart/form-data"), Raw: desc.String(), Form: form}
	case BodyFile:
		if bj.File == nil {
			return nil
		}
		if bj.File.Content.Set {
			return &Body{Mode: BodyFile, ContentType: derived("application/octet-stream"), Raw: res.resolve(bj.File.Content.S, un)}
		}
		*flags = append(*flags, FlagFilePartMissing)
		return &Body{Mode: BodyFile, ContentType: derived("application/octet-stream"),
			Form: []FormField{{File: baseName(res.resolve(bj.File.Src.S, un))}}}
	case BodyGraphQL:
		if bj.GraphQL == nil {
			return nil
		}
		query := res.resolve(bj.GraphQL.Query.S, un)
		vars := bj.GraphQL.Variables
		vars.S = res.resolve(vars.S, un)
		if query == "" && strings.TrimSpace(vars.S) == "" {
			return nil
		}
		return &Body{Mode: BodyGraphQL, ContentType: derived("application/json"), Raw: graphqlPayload(query, vars)}
	}
	*flags = append(*flags, FlagUnknownBodyMode)
	return nil
}

func writeDesc(b *strings.Builder, k, v string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(k)
	b.WriteByte('=')
	b.WriteString(v)
}

// graphqlPayload is the JSON Postman sends for a graphql body: the
// variables string is embedded as JSON when it parses, left out otherwise.
func graphqlPayload(query string, vars rawOrText) string {
	payload := struct {
		Query     string          `json:"query"`
		Variables json.RawMessage `json:"variables,omitempty"`
	}{Query: query}
	v := strings.TrimSpace(vars.S)
	if v != "" && json.Valid([]byte(v)) {
		payload.Variables = json.RawMessage(v)
	}
	out, err := json.Marshal(payload)
	if err != nil { // cannot happen: both fields are valid
		return ""
	}
	return string(out)
}

func baseName(src string) string {
	src = strings.TrimRight(src, `/\`)
	if i := strings.LastIndexAny(src, `/\`); i >= 0 {
		return src[i+1:]
	}
	return src
}

// authParamsUsed lists, for auth types applied here, the parameters that
// take part in the request; unresolved names elsewhere (e.g. an OAuth 2
// client secret, only used to fetch a token) are not reported.
var authParamsUsed = map[string][]string{
	"bearer": {"token"},
	"basic":  {"username", "password"},
	"apikey": {"key", "value", "in"},
	"oauth2": {"accessToken", "addTokenTo", "headerPrefix"},
}

// resolveAuth resolves the parameters of an auth block; nil for "noauth".
func (p *parser) resolveAuth(a *authJSON, un *nameSet) *Auth {
	if a.Type == "noauth" {
		return nil
	}
	out := &Auth{Type: a.Type, Params: make(map[string]string, len(a.Params))}
	used, limited := authParamsUsed[a.Type]
	for _, kv := range a.Params {
		if kv.Key == "" {
			continue
		}
		var set *nameSet
		if !limited || slices.Contains(used, kv.Key) {
			set = un
		}
		out.Params[kv.Key] = p.res.resolve(kv.Value, set)
	}
	return out
}

// applyAuth applies the auth types that need no network round trip nor
// signature: bearer, basic, apikey and oauth2 (a stored access token).
func applyAuth(a *Auth, h []KV, q []queryPart) ([]KV, []queryPart) {
	switch a.Type {
	case "bearer":
		if tok := a.Params["token"]; tok != "" {
			h = setHeader(h, "Authorization", "Bearer "+tok)
		}
	case "basic":
		cred := a.Params["username"] + ":" + a.Params["password"]
		h = setHeader(h, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	case "apikey":
		key := a.Params["key"]
		if key == "" {
			break
		}
		if a.Params["in"] == "query" {
			q = setQuery(q, key, a.Params["value"])
		} else {
			h = setHeader(h, key, a.Params["value"])
		}
	case "oauth2":
		tok := a.Params["accessToken"]
		if tok == "" {
			break
		}
		switch a.Params["addTokenTo"] {
		case "queryParams", "query":
			q = setQuery(q, "access_token", tok)
		default:
			prefix, ok := a.Params["headerPrefix"]
			if !ok {
				prefix = "Bearer"
			}
			prefix = strings.TrimSpace(prefix)
			if prefix != "" {
				tok = prefix + " " + tok
			}
			h = setHeader(h, "Authorization", tok)
		}
	}
	return h, q
}
