// Package template turns request paths into endpoint templates:
// "/v1/users/42/orders/5f1d7a6c9b1e8a0012345678" becomes
// "/v1/users/{userId}/orders/{orderId}" with typed parameters.
//
// The rules are fixed and explainable, segment by segment:
//   - a segment the collection declared as a variable (":name", "{{var}}",
//     or "{name}") is a parameter named after it, whatever its value;
//   - a concrete segment is a parameter when it looks like a value: an
//     INTEGER, FLOAT, UUID, OBJECT_ID (24 hex digits), DATE, EMAIL, JWT,
//     IP_ADDRESS, or an opaque TOKEN (at least 6 characters with at least 3
//     digits and a letter);
//   - anything else stays literal: words, slugs, file names and versions
//     ("v1", "v2beta1").
//
// Endpoints are keyed by Key, which ignores parameter names and types, so
// "/users/:id", "/users/{{userId}}" and "/users/42" are one endpoint.
//
// The package is pure.
package template

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Origin says why a segment is a parameter.
type Origin string

// Parameter origins. Declared origins come from the collection and win over
// inference.
const (
	// OriginPathVariable: a Postman ":name" path variable.
	OriginPathVariable Origin = "path_variable"
	// OriginVariable: a segment holding a {{var}} reference (or written
	// "{name}", OpenAPI style).
	OriginVariable Origin = "variable"
	// OriginInferred: a concrete segment that looks like a value.
	OriginInferred Origin = "inferred"
)

// Declared reports whether the collection declared the parameter.
func (o Origin) Declared() bool { return o == OriginPathVariable || o == OriginVariable }

// Segment is one path segment of a template: a literal, or a parameter
// (Param non-empty) with optional literal text around it in the segment
// ("f_{id}.json": Prefix "f_", Suffix ".json").
type Segment struct {
	Literal string
	Param   string
	Prefix  string
	Suffix  string
	Origin  Origin
	// Type is the type of the value seen (TypeString when the value is a
	// word or unknown).
	Type Type
	// Reason explains a parameter, e.g. `Postman path variable ":id"` or
	// `"42" is an integer`.
	Reason string
}

// IsParam reports whether the segment is a parameter.
func (s Segment) IsParam() bool { return s.Param != "" }

// Template is an endpoint path template.
type Template struct {
	Segments []Segment
}

// Param is a path parameter of a template.
type Param struct {
	Name   string `bson:"name" json:"name"`
	Origin Origin `bson:"origin" json:"origin"`
	// Types are the value types seen, sorted.
	Types []Type `bson:"types" json:"types"`
}

// Infer builds the template of a path as the collection wrote it (see
// postman.URL.PathTemplate: ":name" and "{{var}}" kept) and the concrete
// path that was sent. Declared parameters take their type from the
// concrete value when both paths have the same segments; concrete may be
// empty. The query string, if any, is ignored.
func Infer(written, concrete string) Template {
	raw := splitPath(written)
	var vals []string
	if concrete != "" {
		if v := splitPath(concrete); len(v) == len(raw) {
			vals = v
		}
	}
	t := Template{Segments: make([]Segment, 0, len(raw))}
	used := map[string]int{}
	for i, seg := range raw {
		val := ""
		if vals != nil {
			val = vals[i]
		}
		s := segment(seg, val)
		if s.IsParam() {
			if s.Origin == OriginInferred {
				s.Param = inferredName(t.Segments, s.Type)
			}
			s.Param = unique(s.Param, used)
		}
		t.Segments = append(t.Segments, s)
	}
	return t
}

// segment classifies one written segment, with its concrete value when
// known.
func segment(seg, val string) Segment {
	if isPathVar(seg) {
		name := seg[1:]
		s := Segment{Param: sanitize(name), Origin: OriginPathVariable, Type: TypeString,
			Reason: `Postman path variable "` + seg + `"`}
		s.Type = valueType(val, seg)
		return s
	}
	if i := strings.Index(seg, "{{"); i >= 0 {
		if j := strings.LastIndex(seg, "}}"); j > i {
			name := seg[i+2 : j]
			if k := strings.Index(name, "}}"); k >= 0 {
				name = name[:k]
			}
			s := Segment{Param: sanitize(name), Prefix: seg[:i], Suffix: seg[j+2:], Origin: OriginVariable,
				Reason: `collection variable "{{` + name + `}}"`}
			v := ""
			if strings.HasPrefix(val, s.Prefix) && strings.HasSuffix(val[len(s.Prefix):], s.Suffix) {
				v = val[len(s.Prefix) : len(val)-len(s.Suffix)]
			}
			s.Type = valueType(v, "")
			return s
		}
	}
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' && !strings.ContainsAny(seg[1:len(seg)-1], "{}") {
		return Segment{Param: sanitize(seg[1 : len(seg)-1]), Origin: OriginVariable, Type: valueType(val, seg),
			Reason: `written "` + seg + `" in the collection`}
	}
	if typ, why, ok := Classify(seg); ok {
		return Segment{Param: "param", Origin: OriginInferred, Type: typ, Reason: why}
	}
	return Segment{Literal: seg}
}

// valueType is the type of a declared parameter's concrete value.
func valueType(val, written string) Type {
	if val == "" || val == written || isPathVar(val) || strings.Contains(val, "{{") {
		return TypeString
	}
	if typ, _, ok := Classify(val); ok {
		return typ
	}
	return TypeString
}

func isPathVar(seg string) bool { return len(seg) > 1 && seg[0] == ':' }

// splitPath splits a path into segments: query and fragment dropped, one
// trailing slash ignored, "/" and "" have none.
func splitPath(p string) []string {
	if i := strings.IndexAny(p, "?#"); i >= 0 && !strings.Contains(p[:i], "{{") {
		p = p[:i]
	}
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// sanitize makes a parameter name from a variable name: letters, digits,
// '_', '-' and '.' are kept, anything else becomes '_'; a leading '$'
// (Postman's dynamic variables) is dropped.
func sanitize(name string) string {
	name = strings.TrimPrefix(strings.TrimSpace(name), "$")
	b := []byte(name)
	for i, c := range b {
		if !(isAlnum(c) || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "param"
	}
	return string(b)
}

// inferredName names an inferred parameter after the nearest literal
// before it: "users" gives "userId"; an email "email", a JWT "token", a
// date "date"; with no literal before it, "param".
func inferredName(before []Segment, typ Type) string {
	switch typ {
	case TypeEmail:
		return "email"
	case TypeJWT:
		return "token"
	case TypeDate:
		return "date"
	case TypeIP:
		return "ip"
	}
	for i := len(before) - 1; i >= 0; i-- {
		if lit := before[i].Literal; lit != "" {
			if _, _, isVersion := classifyLiteral(lit); isVersion {
				continue
			}
			if w := camel(singular(lit)); w != "" {
				return w + "Id"
			}
		}
	}
	return "param"
}

// singular drops a plural ending from a word: "companies" -> "company",
// "addresses" -> "address", "users" -> "user".
func singular(w string) string {
	lw := strings.ToLower(w)
	switch {
	case strings.HasSuffix(lw, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(lw, "sses"), strings.HasSuffix(lw, "xes"), strings.HasSuffix(lw, "ches"), strings.HasSuffix(lw, "shes"):
		return w[:len(w)-2]
	case strings.HasSuffix(lw, "s") && !strings.HasSuffix(lw, "ss") && !strings.HasSuffix(lw, "us") && !strings.HasSuffix(lw, "is") && len(w) > 3:
		return w[:len(w)-1]
	}
	return w
}

// camel turns "merchant-account" or "merchant_account" into
// "merchantAccount", dropping anything that is not a letter or digit; the
// first letter is lower case.
func camel(w string) string {
	var b strings.Builder
	up := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !isAlnum(c) {
			up = b.Len() > 0
			continue
		}
		switch {
		case b.Len() == 0 && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case up && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		b.WriteByte(c)
	}
	s := b.String()
	if s != "" && '0' <= s[0] && s[0] <= '9' {
		return ""
	}
	return s
}

func unique(name string, used map[string]int) string {
	used[name]++
	if n := used[name]; n > 1 {
		for {
			cand := name + strconv.Itoa(n)
			if used[cand] == 0 {
				used[cand] = 1
				return cand
			}
			n++
		}
	}
	return name
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// Key is the template with parameter names and types left out ("{}"):
// two templates with the same key are the same endpoint.
func (t Template) Key() string { return t.render(false) }

// String is the template with named parameters, OpenAPI style:
// "/users/{userId}/files/f_{name}.json".
func (t Template) String() string { return t.render(true) }

func (t Template) render(names bool) string {
	if len(t.Segments) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, s := range t.Segments {
		b.WriteByte('/')
		if !s.IsParam() {
			b.WriteString(s.Literal)
			continue
		}
		b.WriteString(s.Prefix)
		b.WriteByte('{')
		if names {
			b.WriteString(s.Param)
		}
		b.WriteByte('}')
		b.WriteString(s.Suffix)
	}
	return b.String()
}

// Params returns the template's parameters in path order.
func (t Template) Params() []Param {
	var out []Param
	for _, s := range t.Segments {
		if s.IsParam() {
			typ := s.Type
			if typ == "" {
				typ = TypeString
			}
			out = append(out, Param{Name: s.Param, Origin: s.Origin, Types: []Type{typ}})
		}
	}
	return out
}

// Literals counts the literal segments.
func (t Template) Literals() int {
	n := 0
	for _, s := range t.Segments {
		if !s.IsParam() {
			n++
		}
	}
	return n
}

// Parse reads a template written by String ("/users/{id}/f_{name}.json");
// every parameter is taken as declared (OriginVariable, TypeString) —
// WithParams restores what an endpoint recorded. Segments with no "{...}"
// are literal.
func Parse(s string) Template {
	segs := splitPath(s)
	t := Template{Segments: make([]Segment, 0, len(segs))}
	for _, seg := range segs {
		i := strings.IndexByte(seg, '{')
		j := strings.LastIndexByte(seg, '}')
		if i < 0 || j < i+1 {
			t.Segments = append(t.Segments, Segment{Literal: seg})
			continue
		}
		name := seg[i+1 : j]
		if name == "" {
			name = "param"
		}
		t.Segments = append(t.Segments, Segment{Param: name, Prefix: seg[:i], Suffix: seg[j+1:], Origin: OriginVariable, Type: TypeString})
	}
	return t
}

// WithParams returns t with its parameters renamed and re-typed, in path
// order, from ps (extra or missing entries are ignored). The first type of
// a parameter becomes its segment's type.
func (t Template) WithParams(ps []Param) Template {
	out := Template{Segments: slices.Clone(t.Segments)}
	k := 0
	for i := range out.Segments {
		s := &out.Segments[i]
		if !s.IsParam() {
			continue
		}
		if k < len(ps) {
			p := ps[k]
			if p.Name != "" {
				s.Param = p.Name
			}
			if p.Origin != "" {
				s.Origin = p.Origin
			}
			if len(p.Types) > 0 {
				s.Type = p.Types[0]
			}
		}
		k++
	}
	return out
}

// MergeParams merges the parameters of two templates with the same key,
// position by position: types are united, a declared origin wins over an
// inferred one, and a's name is kept unless only b's was declared. It is
// idempotent and commutative up to names (the declared name wins, then a's).
func MergeParams(a, b []Param) []Param {
	if len(a) == 0 {
		return cloneParams(b)
	}
	out := cloneParams(a)
	for i := range out {
		if i >= len(b) {
			break
		}
		p, q := &out[i], b[i]
		if !p.Origin.Declared() && q.Origin.Declared() {
			p.Name, p.Origin = q.Name, q.Origin
		}
		for _, typ := range q.Types {
			if !slices.Contains(p.Types, typ) {
				p.Types = append(p.Types, typ)
			}
		}
		slices.Sort(p.Types)
	}
	return out
}

func cloneParams(ps []Param) []Param {
	if ps == nil {
		return nil
	}
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: p.Name, Origin: p.Origin, Types: slices.Clone(p.Types)}
		slices.Sort(out[i].Types)
	}
	return out
}

// Match reports whether a concrete path fits the template, and the
// parameter values when it does. Literals must be equal; a declared
// parameter takes any non-empty value; an inferred one only a value that
// would itself be a parameter (so "/users/me" does not fit an inferred
// "/users/{userId}", but fits a declared "/users/:id").
func (t Template) Match(path string) ([]string, bool) {
	segs := splitPath(path)
	if len(segs) != len(t.Segments) {
		return nil, false
	}
	var vals []string
	for i, s := range t.Segments {
		c := segs[i]
		if !s.IsParam() {
			if c != s.Literal {
				return nil, false
			}
			continue
		}
		if len(c) <= len(s.Prefix)+len(s.Suffix) || !strings.HasPrefix(c, s.Prefix) || !strings.HasSuffix(c, s.Suffix) {
			return nil, false
		}
		v := c[len(s.Prefix) : len(c)-len(s.Suffix)]
		if !s.Origin.Declared() {
			if _, _, ok := Classify(v); !ok {
				return nil, false
			}
		}
		vals = append(vals, v)
	}
	return vals, true
}

// Observe returns the template's parameters typed by the values of a
// concrete path that fits it: each value's type (TypeString for a word),
// no type for a placeholder value (":id", "{{id}}", "{id}"), and no types
// at all when the path does not fit.
func (t Template) Observe(path string) []Param {
	ps := t.Params()
	for i := range ps {
		ps[i].Types = nil
	}
	vals, ok := t.Match(path)
	if !ok {
		return ps
	}
	for i, v := range vals {
		if i >= len(ps) || isPathVar(v) || strings.Contains(v, "{{") || (strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}")) {
			continue
		}
		typ, _, isValue := Classify(v)
		if !isValue {
			typ = TypeString
		}
		ps[i].Types = []Type{typ}
	}
	return ps
}

// Fits reports whether a concrete path fits the template (see Match).
func (t Template) Fits(path string) bool {
	_, ok := t.Match(path)
	return ok
}

// Select returns the index of the candidate template that a concrete path
// fits best: the one with the most literal segments, then the most
// inferred (stricter) parameters, then the smallest key, then the first.
// It returns -1 when none fits.
func Select(cands []Template, path string) int {
	best := -1
	for i, c := range cands {
		if !c.Fits(path) {
			continue
		}
		if best < 0 || better(c, cands[best]) {
			best = i
		}
	}
	return best
}

func better(a, b Template) bool {
	if la, lb := a.Literals(), b.Literals(); la != lb {
		return la > lb
	}
	if ia, ib := inferred(a), inferred(b); ia != ib {
		return ia > ib
	}
	return a.Key() < b.Key()
}

func inferred(t Template) int {
	n := 0
	for _, s := range t.Segments {
		if s.IsParam() && !s.Origin.Declared() {
			n++
		}
	}
	return n
}

// unescape decodes %XX escapes for classification; a malformed escape
// leaves the segment as it is.
func unescape(seg string) string {
	if !strings.Contains(seg, "%") {
		return seg
	}
	if u, err := url.PathUnescape(seg); err == nil {
		return u
	}
	return seg
}
