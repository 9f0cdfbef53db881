package postman

import (
	"strings"
)

// urlParts is a URL split the way Postman's Url does it, before variables
// are resolved.
type urlParts struct {
	protocol string
	host     string
	port     string
	path     []string
	query    []queryPart
}

type queryPart struct {
	key, value string
	noValue    bool // "key" without "="
	disabled   bool
}

// indexOutside returns the index of the first byte of s in set that is not
// inside a {{...}} reference, or -1.
func indexOutside(s, set string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '{' && i+1 < len(s) && s[i+1] == '{' {
			depth++
			i++
			continue
		}
		if c == '}' && depth > 0 && i+1 < len(s) && s[i+1] == '}' {
			depth--
			i++
			continue
		}
		if depth == 0 && strings.IndexByte(set, c) >= 0 {
			return i
		}
	}
	return -1
}

// lastIndexOutside is indexOutside from the end, for a single byte.
func lastIndexOutside(s string, c byte) int {
	last := -1
	for {
		i := indexOutside(s[last+1:], string(c))
		if i < 0 {
			return last
		}
		last += i + 1
	}
}

// parseRawURL splits a URL string into Postman's parts. It is tolerant: any
// string gives some parts.
func parseRawURL(raw string) urlParts {
	var p urlParts
	s := strings.TrimSpace(raw)
	if i := indexOutside(s, "#"); i >= 0 {
		s = s[:i]
	}
	if i := indexOutside(s, "?"); i >= 0 {
		p.query = parseQuery(s[i+1:])
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i > 0 && indexOutside(s[:i], "/") < 0 {
		p.protocol = s[:i]
		s = s[i+3:]
	}
	hostport := s
	if i := indexOutside(s, "/"); i >= 0 {
		hostport = s[:i]
		p.path = strings.Split(s[i+1:], "/")
	}
	if i := lastIndexOutside(hostport, '@'); i >= 0 {
		hostport = hostport[i+1:] // userinfo is dropped
	}
	p.host, p.port = splitHostPort(hostport)
	return p
}

// splitHostPort splits "host:port" (port digits or a {{reference}}),
// leaving anything else in the host.
func splitHostPort(hp string) (host, port string) {
	if strings.HasPrefix(hp, "[") { // IPv6 literal
		if i := strings.IndexByte(hp, ']'); i > 0 {
			host, rest := hp[:i+1], hp[i+1:]
			if strings.HasPrefix(rest, ":") {
				return host, rest[1:]
			}
			return host, ""
		}
	}
	i := lastIndexOutside(hp, ':')
	if i < 0 {
		return hp, ""
	}
	cand := hp[i+1:]
	if isPort(cand) {
		return hp[:i], cand
	}
	return hp, ""
}

func isPort(s string) bool {
	if s == "" {
		return false
	}
	if strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseQuery(q string) []queryPart {
	if q == "" {
		return nil
	}
	var out []queryPart
	for q != "" {
		var seg string
		if i := indexOutside(q, "&"); i >= 0 {
			seg, q = q[:i], q[i+1:]
		} else {
			seg, q = q, ""
		}
		if seg == "" {
			continue
		}
		if i := strings.IndexByte(seg, '='); i >= 0 {
			out = append(out, queryPart{key: seg[:i], value: seg[i+1:]})
		} else {
			out = append(out, queryPart{key: seg, noValue: true})
		}
	}
	return out
}

// parts returns the URL's parts: an object's parts win over its raw; an
// object with only raw (or a string) is parsed from raw.
func (u *urlJSON) parts() urlParts {
	var p urlParts
	if u.object && u.hasParts {
		p.protocol = u.Protocol.S
		p.host = strings.Join(u.Host, ".")
		p.port = u.Port.S
		p.path = u.Path
		if len(p.path) == 1 && strings.Contains(p.path[0], "/") {
			p.path = strings.Split(strings.TrimPrefix(p.path[0], "/"), "/")
		}
	} else {
		p = parseRawURL(u.Raw)
	}
	if u.object && (u.hasParts || u.hasQuery) {
		p.query = p.query[:0:0]
		for i := range u.Query {
			q := &u.Query[i]
			p.query = append(p.query, queryPart{key: q.Key.S, value: q.Value.S, noValue: !q.Value.Set, disabled: q.off()})
		}
	}
	return p
}

// lowerHost lower-cases a host name, leaving {{references}} as they are.
func lowerHost(h string) string {
	hasUpper := false
	for i := 0; i < len(h); i++ {
		if 'A' <= h[i] && h[i] <= 'Z' {
			hasUpper = true
			break
		}
	}
	if !hasUpper {
		return h
	}
	if !strings.Contains(h, "{{") {
		return strings.ToLower(h)
	}
	var b strings.Builder
	for h != "" {
		i := strings.Index(h, "{{")
		if i < 0 {
			b.WriteString(strings.ToLower(h))
			break
		}
		b.WriteString(strings.ToLower(h[:i]))
		h = h[i:]
		j := strings.Index(h, "}}")
		if j < 0 {
			b.WriteString(h)
			break
		}
		b.WriteString(h[:j+2])
		h = h[j+2:]
	}
	return b.String()
}
