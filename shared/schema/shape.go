package schema

import (
	"mime"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/apiscout/apiscout/shared/jsonscan"
)

// MaxFields caps the query parameters, headers, cookies or form fields one
// list keeps (the smallest names).
const MaxFields = 100

// KV is a name and value: a header or query parameter.
type KV struct {
	Name, Value string
}

// FormField is a urlencoded or multipart field; File marks a file part.
type FormField struct {
	Name, Value string
	File        bool
}

// HTTPRequest is what schema inference needs of a request.
type HTTPRequest struct {
	Query   []KV
	Headers []KV
	// ContentType, when empty, comes from the Content-Type header.
	ContentType string
	Body        string
	// Form holds the fields of a form body when they are known as fields
	// (a multipart body is not parsed from Body).
	Form []FormField
}

// HTTPResponse is what schema inference needs of a response.
type HTTPResponse struct {
	// Status is 0 when unknown.
	Status  int
	Headers []KV
	Body    string
}

// Field is a named value: query parameter, header, cookie or form field.
type Field struct {
	Name string `bson:"name" json:"name"`
	// Types of the values seen (boolean, integer, number, string), sorted.
	Types  []string `bson:"types" json:"types"`
	Format string   `bson:"format,omitempty" json:"format,omitempty"`
	// Required: present in every message seen.
	Required bool `bson:"required" json:"required"`
	// File: a multipart file part.
	File bool `bson:"file,omitempty" json:"file,omitempty"`
}

// Body is the shape of one media type of body.
type Body struct {
	// MediaType is the content type without parameters, lower case.
	MediaType string `bson:"media_type" json:"media_type"`
	// JSON is the shape of JSON bodies (nil when none parsed).
	JSON *Node `bson:"json,omitempty" json:"json,omitempty"`
	// Form are the fields of urlencoded and multipart bodies.
	Form []Field `bson:"form,omitempty" json:"form,omitempty"`
}

// Message is what the requests, or the responses of one status, looked
// like.
type Message struct {
	Headers []Field `bson:"headers,omitempty" json:"headers,omitempty"`
	Cookies []Field `bson:"cookies,omitempty" json:"cookies,omitempty"`
	// Bodies by media type, sorted.
	Bodies []Body `bson:"bodies,omitempty" json:"bodies,omitempty"`
	// BodyOptional: some message had no body.
	BodyOptional bool `bson:"body_optional,omitempty" json:"body_optional,omitempty"`
}

// Request is the shape of an endpoint's requests.
type Request struct {
	Message `bson:",inline"`
	Query   []Field `bson:"query,omitempty" json:"query,omitempty"`
}

// Response is the shape of an endpoint's responses of one status.
type Response struct {
	// Status is 0 for responses saved without one.
	Status  int `bson:"status" json:"status"`
	Message `bson:",inline"`
}

// Shape is what an endpoint's samples looked like.
type Shape struct {
	// Request is nil until a request is seen.
	Request *Request `bson:"request,omitempty" json:"request,omitempty"`
	// Responses by status, sorted.
	Responses []Response `bson:"responses,omitempty" json:"responses,omitempty"`
}

// noiseRequest and noiseResponse are headers that say nothing about an
// API: set by clients, proxies and servers for every request. Content-Type
// is the body's media type and cookies are listed apart.
var (
	noiseCommon = []string{
		"content-length", "content-type", "connection", "keep-alive", "transfer-encoding", "content-encoding",
		"cache-control", "pragma", "via", "date",
	}
	noiseRequest = setOf(append([]string{
		"host", "user-agent", "postman-token", "accept", "accept-encoding", "accept-language", "cookie",
		"origin", "referer", "upgrade-insecure-requests", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest",
		"sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "dnt", "te", "expect",
	}, noiseCommon...))
	noiseResponse = setOf(append([]string{
		"set-cookie", "server", "age", "vary", "accept-ranges", "alt-svc", "expires", "x-powered-by",
		"cf-ray", "cf-cache-status", "report-to", "nel", "strict-transport-security", "x-content-type-options",
		"x-frame-options", "x-xss-protection", "content-security-policy", "referrer-policy", "permissions-policy",
		"access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-headers",
		"access-control-allow-methods", "access-control-expose-headers", "access-control-max-age",
		"x-cache", "x-served-by", "x-timer",
	}, noiseCommon...))
)

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// IsNoiseHeader reports whether a request (or response) header says
// nothing about the API.
func IsNoiseHeader(name string, response bool) bool {
	n := strings.ToLower(name)
	if response {
		return noiseResponse[n]
	}
	return noiseRequest[n]
}

// ObserveRequest returns the shape of one request.
func ObserveRequest(r HTTPRequest) Request {
	out := Request{Query: fieldsOf(r.Query, nil)}
	out.Headers = fieldsOf(r.Headers, func(n string) (string, bool) {
		if noiseRequest[strings.ToLower(n)] {
			return "", false
		}
		return textproto.CanonicalMIMEHeaderKey(n), true
	})
	var cookies []KV
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "Cookie") {
			cookies = append(cookies, parseCookies(h.Value)...)
		}
	}
	out.Cookies = fieldsOf(cookies, nil)
	ct := r.ContentType
	if ct == "" {
		ct = header(r.Headers, "Content-Type")
	}
	if b, ok := observeBody(ct, r.Body, r.Form); ok {
		out.Bodies = []Body{b}
	} else {
		out.BodyOptional = true
	}
	return out
}

// ObserveResponse returns the shape of one response.
func ObserveResponse(r HTTPResponse) Response {
	out := Response{Status: r.Status}
	out.Headers = fieldsOf(r.Headers, func(n string) (string, bool) {
		if noiseResponse[strings.ToLower(n)] {
			return "", false
		}
		return textproto.CanonicalMIMEHeaderKey(n), true
	})
	var cookies []KV
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "Set-Cookie") {
			if name, _, ok := strings.Cut(h.Value, "="); ok && strings.TrimSpace(name) != "" {
				cookies = append(cookies, KV{Name: strings.TrimSpace(name)})
			}
		}
	}
	out.Cookies = fieldsOf(cookies, nil)
	if b, ok := observeBody(header(r.Headers, "Content-Type"), r.Body, nil); ok {
		out.Bodies = []Body{b}
	} else {
		out.BodyOptional = true
	}
	return out
}

// Observe returns the shape of one request and its response (nil when
// there is none).
func Observe(req HTTPRequest, resp *HTTPResponse) Shape {
	r := ObserveRequest(req)
	s := Shape{Request: &r}
	if resp != nil {
		s.Responses = []Response{ObserveResponse(*resp)}
	}
	return s
}

func header(h []KV, name string) string {
	for _, kv := range h {
		if strings.EqualFold(kv.Name, name) {
			return kv.Value
		}
	}
	return ""
}

// MediaType normalises a Content-Type: no parameters, lower case; "" when
// empty or malformed.
func MediaType(ct string) string {
	ct = strings.TrimSpace(ct)
	if ct == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// IsJSON reports whether a media type carries JSON.
func IsJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.Contains(mt, "/json")
}

// observeBody returns the shape of a body; false when there is none.
func observeBody(ct, body string, form []FormField) (Body, bool) {
	mt := MediaType(ct)
	if body == "" && len(form) == 0 {
		return Body{}, false
	}
	if mt == "" {
		switch {
		case jsonscan.LooksLikeJSON([]byte(body[:min(len(body), 64)])):
			mt = "application/json"
		default:
			mt = "text/plain"
		}
	}
	b := Body{MediaType: mt}
	switch {
	case IsJSON(mt):
		if n, err := InferJSON([]byte(body)); err == nil {
			b.JSON = n
		}
	case mt == "application/x-www-form-urlencoded":
		if len(form) == 0 {
			form = parseForm(body)
		}
		b.Form = formFields(form)
	case mt == "multipart/form-data":
		b.Form = formFields(form)
	}
	return b, true
}

func parseForm(body string) []FormField {
	var out []FormField
	for part := range strings.SplitSeq(body, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, FormField{Name: k, Value: v})
	}
	return out
}

func formFields(form []FormField) []Field {
	kvs := make([]KV, 0, len(form))
	files := map[string]bool{}
	for _, f := range form {
		kvs = append(kvs, KV{Name: f.Name, Value: f.Value})
		if f.File {
			files[f.Name] = true
		}
	}
	fs := fieldsOf(kvs, nil)
	for i := range fs {
		if files[fs[i].Name] {
			fs[i].File, fs[i].Types, fs[i].Format = true, []string{TypeString}, "binary"
		}
	}
	return fs
}

// parseCookies splits a Cookie header value.
func parseCookies(v string) []KV {
	var out []KV
	for part := range strings.SplitSeq(v, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, KV{Name: name, Value: val})
		}
	}
	return out
}

// fieldsOf makes the fields of one message: every name present is
// required; rename (nil: keep) normalises names or drops them.
func fieldsOf(kvs []KV, rename func(string) (string, bool)) []Field {
	if len(kvs) == 0 {
		return nil
	}
	var out []Field
	for _, kv := range kvs {
		name := kv.Name
		if rename != nil {
			var ok bool
			if name, ok = rename(name); !ok {
				continue
			}
		}
		if name == "" {
			continue
		}
		typ, format := ScalarType(kv.Value)
		f := Field{Name: name, Types: []string{typ}, Format: format, Required: true}
		i, found := slices.BinarySearchFunc(out, name, cmpField)
		if found {
			out[i] = mergeField(out[i], f)
			continue
		}
		out = slices.Insert(out, i, f)
	}
	if len(out) > MaxFields {
		out = out[:MaxFields]
	}
	return out
}

func cmpField(f Field, name string) int { return strings.Compare(f.Name, name) }

func mergeField(a, b Field) Field {
	out := Field{Name: a.Name, Required: a.Required && b.Required, File: a.File || b.File}
	out.Types = normTypes(append(slices.Clone(a.Types), b.Types...))
	if a.Format == b.Format {
		out.Format = a.Format
	}
	return out
}

// MergeFields joins two lists of fields (both from messages that were
// seen): a field missing from one side is not required.
func MergeFields(a, b []Field) []Field {
	var out []Field
	i, j := 0, 0
	for (i < len(a) || j < len(b)) && len(out) < MaxFields {
		switch {
		case j >= len(b) || i < len(a) && a[i].Name < b[j].Name:
			f := cloneField(a[i])
			f.Required = false
			out = append(out, f)
			i++
		case i >= len(a) || b[j].Name < a[i].Name:
			f := cloneField(b[j])
			f.Required = false
			out = append(out, f)
			j++
		default:
			out = append(out, mergeField(a[i], b[j]))
			i++
			j++
		}
	}
	return out
}

func cloneField(f Field) Field {
	f.Types = slices.Clone(f.Types)
	return f
}

func cloneFields(fs []Field) []Field {
	if fs == nil {
		return nil
	}
	out := make([]Field, len(fs))
	for i, f := range fs {
		out[i] = cloneField(f)
	}
	return out
}

func mergeBodies(a, b []Body) []Body {
	var out []Body
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || i < len(a) && a[i].MediaType < b[j].MediaType:
			out = append(out, cloneBody(a[i]))
			i++
		case i >= len(a) || b[j].MediaType < a[i].MediaType:
			out = append(out, cloneBody(b[j]))
			j++
		default:
			x, y := a[i], b[j]
			m := Body{MediaType: x.MediaType, JSON: Merge(x.JSON, y.JSON)}
			switch {
			case x.Form == nil:
				m.Form = cloneFields(y.Form)
			case y.Form == nil:
				m.Form = cloneFields(x.Form)
			default:
				m.Form = MergeFields(x.Form, y.Form)
			}
			out = append(out, m)
			i++
			j++
		}
	}
	return out
}

func cloneBody(b Body) Body {
	return Body{MediaType: b.MediaType, JSON: b.JSON.Clone(), Form: cloneFields(b.Form)}
}

func mergeMessage(a, b Message) Message {
	return Message{
		Headers:      MergeFields(a.Headers, b.Headers),
		Cookies:      MergeFields(a.Cookies, b.Cookies),
		Bodies:       mergeBodies(a.Bodies, b.Bodies),
		BodyOptional: a.BodyOptional || b.BodyOptional,
	}
}

// MergeShapes joins two shapes: Merge for every part, responses matched by
// status. Its inputs are not modified.
func MergeShapes(a, b Shape) Shape {
	var out Shape
	switch {
	case a.Request == nil && b.Request != nil:
		r := cloneRequest(*b.Request)
		out.Request = &r
	case b.Request == nil && a.Request != nil:
		r := cloneRequest(*a.Request)
		out.Request = &r
	case a.Request != nil:
		out.Request = &Request{
			Message: mergeMessage(a.Request.Message, b.Request.Message),
			Query:   MergeFields(a.Request.Query, b.Request.Query),
		}
	}
	i, j := 0, 0
	for i < len(a.Responses) || j < len(b.Responses) {
		switch {
		case j >= len(b.Responses) || i < len(a.Responses) && a.Responses[i].Status < b.Responses[j].Status:
			out.Responses = append(out.Responses, Response{Status: a.Responses[i].Status, Message: mergeMessage(a.Responses[i].Message, a.Responses[i].Message)})
			i++
		case i >= len(a.Responses) || b.Responses[j].Status < a.Responses[i].Status:
			out.Responses = append(out.Responses, Response{Status: b.Responses[j].Status, Message: mergeMessage(b.Responses[j].Message, b.Responses[j].Message)})
			j++
		default:
			out.Responses = append(out.Responses, Response{Status: a.Responses[i].Status, Message: mergeMessage(a.Responses[i].Message, b.Responses[j].Message)})
			i++
			j++
		}
	}
	return out
}

func cloneRequest(r Request) Request {
	return Request{Message: mergeMessage(r.Message, r.Message), Query: cloneFields(r.Query)}
}

// Response returns the shape of the responses of one status, nil when
// none was seen.
func (s Shape) Response(status int) *Response {
	for i := range s.Responses {
		if s.Responses[i].Status == status {
			return &s.Responses[i]
		}
	}
	return nil
}

// Statuses lists the statuses with a response shape, sorted.
func (s Shape) Statuses() []int {
	out := make([]int, len(s.Responses))
	for i, r := range s.Responses {
		out[i] = r.Status
	}
	return out
}
