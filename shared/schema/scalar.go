package schema

import (
	"bytes"
	"net/netip"
	"strings"
	"time"
)

// String formats recognised in values.
const (
	FormatDateTime = "date-time"
	FormatDate     = "date"
	FormatEmail    = "email"
	FormatUUID     = "uuid"
	FormatURI      = "uri"
	FormatIPv4     = "ipv4"
	FormatIPv6     = "ipv6"
)

// formatOf returns the format of a string value (raw JSON string content
// is fine: these formats hold no escapes), "" when none. It allocates only
// for date and IP candidates.
func formatOf(b []byte) string {
	n := len(b)
	if n < 3 || n > 2048 {
		return ""
	}
	switch c := b[0]; {
	case c >= '0' && c <= '9':
		switch {
		case n == 10 && b[4] == '-' && b[7] == '-':
			if _, err := time.Parse(time.DateOnly, string(b)); err == nil {
				return FormatDate
			}
		case n >= 20 && n <= 40 && b[4] == '-' && (b[10] == 'T' || b[10] == 't'):
			if _, err := time.Parse(time.RFC3339Nano, string(b)); err == nil {
				return FormatDateTime
			}
		}
	case c == 'h' || c == 'H':
		if isURI(b) {
			return FormatURI
		}
	}
	if n > 254 {
		return ""
	}
	if n == 36 && b[8] == '-' && b[13] == '-' && b[18] == '-' && b[23] == '-' && isHexDash(b) {
		return FormatUUID
	}
	if at := bytes.IndexByte(b, '@'); at > 0 && isEmail(b, at) {
		return FormatEmail
	}
	if n <= 45 && (isHexDash(b) || b[0] >= '0' && b[0] <= '9' || b[0] == ':') && bytes.ContainsAny(b, ".:") {
		if a, err := netip.ParseAddr(string(b)); err == nil {
			if a.Is4() {
				return FormatIPv4
			}
			return FormatIPv6
		}
	}
	return ""
}

func isHexDash(s []byte) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isURI(b []byte) bool {
	l := b[:min(len(b), 8)]
	return (hasPrefixFold(l, "http://") || hasPrefixFold(l, "https://")) && bytes.IndexAny(b, " \t\n") < 0
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && strings.EqualFold(string(b[:len(p)]), p)
}

func isEmail(s []byte, at int) bool {
	if bytes.IndexByte(s[at+1:], '@') >= 0 || bytes.ContainsAny(s, " \t<>()[],;:\"") {
		return false
	}
	dom := s[at+1:]
	dot := bytes.LastIndexByte(dom, '.')
	if dot <= 0 || len(dom)-dot-1 < 2 {
		return false
	}
	for i := dot + 1; i < len(dom); i++ {
		if c := dom[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// ScalarType is the JSON Schema type of a text value (a query parameter,
// header or form field): "boolean" for true/false, "integer", "number",
// else "string" with its format.
func ScalarType(v string) (typ, format string) {
	switch v {
	case "true", "false", "TRUE", "FALSE", "True", "False":
		return TypeBoolean, ""
	}
	if isNumber(v) {
		if strings.ContainsAny(v, ".eE") {
			return TypeNumber, ""
		}
		// Leading zeros ("007") are identifiers, not numbers.
		if d := strings.TrimPrefix(v, "-"); len(d) > 1 && d[0] == '0' {
			return TypeString, ""
		}
		return TypeInteger, ""
	}
	return TypeString, formatOf([]byte(v))
}

func isNumber(v string) bool {
	if v == "" || len(v) > 32 {
		return false
	}
	dot := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case '0' <= c && c <= '9':
		case c == '-' && i == 0:
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return v != "-" && v[len(v)-1] != '.'
}
