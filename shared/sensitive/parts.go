package sensitive

import (
	"net/url"
	"slices"
	"strings"

	"github.com/apiscout/apiscout/shared/jsonscan"
)

// secretWords make a name a secret's; secretEnds, at the end of such a
// name, make it metadata about the secret instead ("token_type").
var (
	secretWords = []string{"password", "passwd", "secret", "token", "apikey", "privatekey", "accesskey",
		"sessionid", "signature", "credential", "authorization", "cookie", "jwt", "bearer"}
	secretExact = map[string]bool{"pwd": true, "pass": true, "auth": true, "sid": true}
	// secretQuery are more names that are secrets in a query string only.
	secretQuery = map[string]bool{"key": true, "sig": true, "code": true, "xamzsignature": true, "xamzcredential": true, "xamzsecuritytoken": true}
	secretEnds  = []string{"type", "types", "expiresin", "expires", "expiry", "expiration", "expiresat", "url", "uri", "count", "length", "endpoint", "limit", "ttl"}
)

// IsSecretName reports whether a header, query parameter, JSON member or
// form field of that name holds a credential. inQuery adds the short names
// used in query strings (key, sig, code).
func IsSecretName(name string, inQuery bool) bool {
	n := normName(name)
	if n == "" {
		return false
	}
	if secretExact[n] || (inQuery && secretQuery[n]) {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			for _, e := range secretEnds {
				if strings.HasSuffix(n, e) && !strings.HasSuffix(n, w) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// isPlaceholder: a value that is not a real secret ("", a {{var}}, a
// :name, already redacted).
func isPlaceholder(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || strings.HasPrefix(v, "{{") || strings.HasPrefix(v, "<") ||
		(len(v) > 1 && v[0] == ':') || strings.HasPrefix(v, "[REDACTED")
}

// edit is a replacement of s[start:end].
type edit struct {
	start, end int
	with       string
}

// apply makes the edits (sorted, non-overlapping after this) to s.
func apply(s string, es []edit) string {
	if len(es) == 0 {
		return s
	}
	slices.SortFunc(es, func(a, b edit) int { return a.start - b.start })
	var b strings.Builder
	b.Grow(len(s))
	pos := 0
	for _, e := range es {
		if e.start < pos {
			continue // overlaps an earlier edit
		}
		b.WriteString(s[pos:e.start])
		b.WriteString(e.with)
		pos = e.end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// url scans a URL's path segments and query, returning its redacted copy.
func (c *collector) url(raw string, o Options) string {
	rest := raw
	prefix := ""
	if i := strings.Index(rest, "://"); i >= 0 {
		prefix, rest = rest[:i+3], rest[i+3:]
	}
	frag := ""
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, frag = rest[:i], rest[i:]
	}
	query := ""
	hasQuery := false
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query, hasQuery = rest[:i], rest[i+1:], true
	}
	host, path := rest, ""
	if prefix != "" {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			host, path = rest[:i], rest[i:]
		} else {
			path = ""
		}
	} else {
		host, path = "", rest
	}

	segs := strings.Split(path, "/")
	changed := false
	for i, seg := range segs {
		if seg == "" {
			continue
		}
		val := seg
		if u, err := url.PathUnescape(seg); err == nil {
			val = u
		}
		first := Type("")
		c.text.scan(val, HintNone, func(m Match) {
			c.add(m.Type, PartPath, "", "")
			if first == "" {
				first = m.Type
			}
		})
		if first != "" && o.RedactDetected {
			segs[i] = Placeholder(first)
			changed = true
		}
	}
	if changed {
		path = strings.Join(segs, "/")
	}
	if hasQuery {
		q, qChanged := c.query(query, o)
		if qChanged {
			query, changed = q, true
		}
	}
	if !changed {
		return raw
	}
	out := prefix + host + path
	if hasQuery {
		out += "?" + query
	}
	return out + frag
}

// query scans a query string (or a urlencoded form body, part says which)
// pair by pair.
func (c *collector) query(q string, o Options) (string, bool) {
	return c.pairs(q, PartQuery, o)
}

func (c *collector) pairs(q string, part Part, o Options) (string, bool) {
	var es []edit
	pos := 0
	for pos <= len(q) {
		end := strings.IndexByte(q[pos:], '&')
		if end < 0 {
			end = len(q)
		} else {
			end += pos
		}
		pair := q[pos:end]
		if pair != "" {
			rawName, rawVal, hasVal := strings.Cut(pair, "=")
			name, val := unescapeQuery(rawName), unescapeQuery(rawVal)
			vStart := pos + len(rawName) + 1
			secret := IsSecretName(name, part == PartQuery)
			if part == PartQuery && secret && !isPlaceholder(val) && len(val) >= 8 {
				c.add(URLToken, part, name, "")
			}
			first := Type("")
			c.text.scan(val, HintOf(name), func(m Match) {
				c.add(m.Type, part, name, "")
				if first == "" {
					first = m.Type
				}
			})
			switch {
			case !hasVal:
			case o.RedactSecrets && secret && !isPlaceholder(val):
				es = append(es, edit{vStart, end, SecretPlaceholder})
			case o.RedactDetected && first != "":
				es = append(es, edit{vStart, end, Placeholder(first)})
			}
		}
		pos = end + 1
	}
	if len(es) == 0 {
		return q, false
	}
	return apply(q, es), true
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// header scans one header and returns its redacted value.
func (c *collector) header(h KV, o Options) string {
	name := canonicalHeader(h.Name)
	lower := strings.ToLower(h.Name)
	switch lower {
	case "cookie":
		return c.cookies(h.Value, o)
	case "set-cookie":
		return c.setCookie(h.Value, o)
	}
	var es []edit
	c.text.scan(h.Value, HintOf(name), func(m Match) {
		c.add(m.Type, PartHeader, name, "")
		if o.RedactDetected {
			es = append(es, edit{m.Start, m.End, Placeholder(m.Type)})
		}
	})
	if o.RedactSecrets && IsSecretName(name, false) && !isPlaceholder(h.Value) {
		if lower == "authorization" || lower == "proxy-authorization" {
			// Keep the scheme: auth type detection and readers need it.
			if scheme, cred, ok := strings.Cut(strings.TrimSpace(h.Value), " "); ok && cred != "" {
				return scheme + " " + SecretPlaceholder
			}
		}
		return SecretPlaceholder
	}
	return apply(h.Value, es)
}

// cookies scans a Cookie header: every cookie value is scanned, and hidden
// when secrets are (cookies carry sessions).
func (c *collector) cookies(v string, o Options) string {
	parts := strings.Split(v, ";")
	changed := false
	for i, p := range parts {
		name, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		n := strings.TrimSpace(name)
		first := Type("")
		c.text.scan(val, HintOf(n), func(m Match) {
			c.add(m.Type, PartCookie, n, "")
			if first == "" {
				first = m.Type
			}
		})
		switch {
		case o.RedactSecrets && !isPlaceholder(val):
			parts[i], changed = name+"="+SecretPlaceholder, true
		case o.RedactDetected && first != "":
			parts[i], changed = name+"="+Placeholder(first), true
		}
	}
	if !changed {
		return v
	}
	return strings.Join(parts, ";")
}

// setCookie scans a Set-Cookie header's value, keeping its attributes.
func (c *collector) setCookie(v string, o Options) string {
	pair, attrs, _ := strings.Cut(v, ";")
	name, val, ok := strings.Cut(pair, "=")
	if !ok {
		return v
	}
	n := strings.TrimSpace(name)
	first := Type("")
	c.text.scan(val, HintOf(n), func(m Match) {
		c.add(m.Type, PartCookie, n, "")
		if first == "" {
			first = m.Type
		}
	})
	rest := ""
	if attrs != "" || strings.Contains(v, ";") {
		rest = ";" + attrs
	}
	switch {
	case o.RedactSecrets && !isPlaceholder(val):
		return name + "=" + SecretPlaceholder + rest
	case o.RedactDetected && first != "":
		return name + "=" + Placeholder(first) + rest
	}
	return v
}

// body scans a body by its media type: JSON member by member, urlencoded
// field by field, anything else as text.
func (c *collector) body(ct, body string, o Options) string {
	mt := strings.ToLower(strings.TrimSpace(ct))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	isJSON := strings.Contains(mt, "json") || (mt == "" && jsonscan.LooksLikeJSON([]byte(body[:min(len(body), 64)])))
	if isJSON {
		if out, ok := c.json(body, o); ok {
			return out
		}
	}
	if mt == "application/x-www-form-urlencoded" {
		out, _ := c.pairs(body, PartBody, o)
		return out
	}
	var es []edit
	c.text.scan(body, HintNone, func(m Match) {
		c.add(m.Type, PartBody, "", "")
		if o.RedactDetected {
			es = append(es, edit{m.Start, m.End, Placeholder(m.Type)})
		}
	})
	return apply(body, es)
}

// memberInfo is what a JSON member name says.
type memberInfo struct {
	hint   Hint
	secret bool
}

// member returns what a member name says, remembered: the same names come
// back in every element of an array.
func (c *collector) member(d *jsonscan.Decoder, tok jsonscan.Token) memberInfo {
	if !tok.Escaped {
		if k, ok := c.members[string(d.Bytes(tok))]; ok {
			return k
		}
	}
	key := d.Text(tok)
	k := memberInfo{hint: HintOf(key), secret: IsSecretName(key, false)}
	if c.members == nil {
		c.members = map[string]memberInfo{}
	}
	if len(c.members) < 4096 {
		c.members[key] = k
	}
	return k
}

// jsonFrame is an open object or array while scanning JSON.
type jsonFrame struct {
	inherited, hint Hint
	secret          bool // the current member's name is a secret's
}

// json scans a JSON body; false when it is not JSON (nothing is recorded
// then).
func (c *collector) json(body string, o Options) (string, bool) {
	data := []byte(body)
	d := jsonscan.NewDecoder(data)
	var frames []jsonFrame
	var found []Finding
	var es []edit
	top := func() *jsonFrame {
		if len(frames) == 0 {
			return nil
		}
		return &frames[len(frames)-1]
	}
	for {
		tok, err := d.Next()
		if err != nil {
			return body, false
		}
		if tok.Kind == 0 {
			break
		}
		f := top()
		switch tok.Kind {
		case jsonscan.BeginObject, jsonscan.BeginArray:
			h := HintNone
			if f != nil {
				h = f.hint
			}
			frames = append(frames, jsonFrame{inherited: h, hint: h})
		case jsonscan.EndObject, jsonscan.EndArray:
			frames = frames[:len(frames)-1]
		case jsonscan.Key:
			k := c.member(d, tok)
			f.hint = k.hint
			if f.hint == HintNone {
				f.hint = f.inherited
			}
			f.secret = k.secret
			c.scanJSONText(d, tok, body, HintNone, o, &found, &es)
		case jsonscan.String:
			h := HintNone
			if f != nil {
				h = f.hint
			}
			if f != nil && f.secret && o.RedactSecrets && !isPlaceholder(body[tok.Start:tok.End]) && d.Depth() > 0 {
				// Still scanned, so that the endpoint knows what it carries.
				c.scanJSONText(d, tok, body, h, Options{}, &found, nil)
				es = append(es, edit{tok.Start, tok.End, SecretPlaceholder})
				continue
			}
			c.scanJSONText(d, tok, body, h, o, &found, &es)
		case jsonscan.Number:
			h := HintNone
			if f != nil {
				h = f.hint
			}
			text := body[tok.Start:tok.End]
			if len(text) < 7 {
				continue
			}
			c.text.scan(text, h, func(m Match) {
				if m.Start != 0 || m.End != len(text) {
					return
				}
				found = append(found, Finding{Type: m.Type, Location: Location{Part: PartBody, Path: d.Path()}})
				if o.RedactDetected {
					es = append(es, edit{tok.Start, tok.End, `"` + Placeholder(m.Type) + `"`})
				}
			})
		}
	}
	for _, f := range found {
		c.add(f.Type, PartBody, "", f.Path)
	}
	return apply(body, es), true
}

func (c *collector) scanJSONText(d *jsonscan.Decoder, tok jsonscan.Token, body string, h Hint, o Options, found *[]Finding, es *[]edit) {
	text := body[tok.Start:tok.End]
	if len(text) < 5 {
		return
	}
	path := ""
	c.text.scan(text, h, func(m Match) {
		if path == "" {
			path = d.Path()
		}
		*found = append(*found, Finding{Type: m.Type, Location: Location{Part: PartBody, Path: path}})
		if o.RedactDetected && es != nil {
			*es = append(*es, edit{tok.Start + m.Start, tok.Start + m.End, Placeholder(m.Type)})
		}
	})
}
