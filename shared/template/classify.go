package template

import (
	"net/netip"
	"strconv"
	"strings"
)

// Type is the type of a path parameter's value.
type Type string

// Value types of path parameters.
const (
	TypeInteger  Type = "INTEGER"
	TypeFloat    Type = "FLOAT"
	TypeUUID     Type = "UUID"
	TypeObjectID Type = "OBJECT_ID"
	TypeDate     Type = "DATE"
	TypeEmail    Type = "EMAIL"
	TypeJWT      Type = "JWT"
	TypeIP       Type = "IP_ADDRESS"
	TypeToken    Type = "TOKEN"
	// TypeString: a declared parameter whose value is a word or unknown.
	TypeString Type = "STRING"
)

// MinTokenLen, MinTokenDigits: an opaque token is at least this long and has
// at least this many digits (and a letter).
const (
	MinTokenLen    = 6
	MinTokenDigits = 3
)

// Classify says whether a concrete path segment is a parameter value, of
// which type, and why. %XX escapes are decoded first.
func Classify(seg string) (Type, string, bool) {
	s := unescape(seg)
	if s == "" {
		return "", "", false
	}
	if _, why, _ := classifyLiteral(s); why != "" {
		return "", why, false
	}
	q := strconv.Quote(seg)
	switch {
	case isInteger(s):
		return TypeInteger, q + " is an integer", true
	case isFloat(s):
		return TypeFloat, q + " is a decimal number", true
	case isUUID(s):
		return TypeUUID, q + " is a UUID", true
	case len(s) == 24 && allHex(s):
		return TypeObjectID, q + " is 24 hex digits (an object id)", true
	case isDate(s):
		return TypeDate, q + " is a date", true
	case isEmail(s):
		return TypeEmail, q + " is an email address", true
	case isJWT(s):
		return TypeJWT, q + " is a JWT", true
	case isIP(s):
		return TypeIP, q + " is an IP address", true
	}
	if letters, digits := count(s); len(s) >= MinTokenLen && digits >= MinTokenDigits && letters >= 1 {
		return TypeToken, q + " is an opaque token (" + strconv.Itoa(len(s)) + " characters, " +
			strconv.Itoa(digits) + " digits)", true
	}
	return "", "", false
}

// Explain says why a concrete segment is a literal or a parameter.
func Explain(seg string) string {
	if _, why, ok := Classify(seg); ok || why != "" {
		return why
	}
	s := unescape(seg)
	letters, digits := count(s)
	switch {
	case s == "":
		return "empty segment"
	case digits == 0 && letters > 0 && strings.Contains(s, "."):
		return strconv.Quote(seg) + " is a word or file name"
	case digits == 0:
		return strconv.Quote(seg) + " is a word"
	}
	return strconv.Quote(seg) + " is too short or has too few digits to be a token"
}

// classifyLiteral recognises segments that stay literal even though they
// have digits: versions ("v1", "V2", "v1beta1", "v2.1", "1.2.3").
func classifyLiteral(s string) (Type, string, bool) {
	if isVersion(s) {
		return "", strconv.Quote(s) + " is a version", true
	}
	return "", "", false
}

// isVersion: "v" or "V", digits, then optionally ".digits" or an
// alpha/beta/rc suffix with digits; or three or more dotted numbers.
func isVersion(s string) bool {
	if len(s) >= 2 && (s[0] == 'v' || s[0] == 'V') && isDigit(s[1]) {
		rest := strings.TrimLeft(s[1:], "0123456789")
		for rest != "" {
			switch {
			case rest[0] == '.' && len(rest) > 1 && isDigit(rest[1]):
				rest = strings.TrimLeft(rest[1:], "0123456789")
			case strings.HasPrefix(rest, "alpha"), strings.HasPrefix(rest, "beta"), strings.HasPrefix(rest, "rc"):
				rest = strings.TrimLeft(strings.TrimLeft(rest, "alphbetrc"), "0123456789")
			default:
				return false
			}
		}
		return true
	}
	parts := strings.Split(s, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || !isInteger(p) || p[0] == '-' {
			return false
		}
	}
	// Four dotted numbers are an IP address.
	return len(parts) == 3
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func count(s string) (letters, digits int) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80:
			letters++
		}
	}
	return letters, digits
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isFloat(s string) bool {
	i := strings.IndexByte(s, '.')
	return i > 0 && isInteger(s[:i]) && i+1 < len(s) && isInteger(s[i+1:]) && s[i+1] != '-'
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// isDate: YYYY-MM-DD, optionally followed by "T" and a time.
func isDate(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, m, d := s[:4], s[5:7], s[8:10]
	if !isInteger(y) || !isInteger(m) || !isInteger(d) || y[0] == '-' || m[0] == '-' || d[0] == '-' {
		return false
	}
	mm, _ := strconv.Atoi(m)
	dd, _ := strconv.Atoi(d)
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return false
	}
	return len(s) == 10 || s[10] == 'T' || s[10] == 't'
}

// isEmail: a local part and a dotted domain with a top-level label of at
// least two letters.
func isEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.IndexByte(s, '@') != at {
		return false
	}
	dom := s[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	if dot <= 0 || len(dom)-dot-1 < 2 {
		return false
	}
	for i := dot + 1; i < len(dom); i++ {
		c := dom[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return !strings.ContainsAny(s, " \t<>()[],;:\"")
}

// isJWT: three base64url parts, the first starting with "eyJ" (a JSON
// object).
func isJWT(s string) bool {
	if !strings.HasPrefix(s, "eyJ") || strings.Count(s, ".") != 2 {
		return false
	}
	for _, p := range strings.Split(s, ".")[:2] {
		if len(p) < 4 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '=') {
			return false
		}
	}
	return true
}

func isIP(s string) bool {
	if !strings.ContainsAny(s, ".:") {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}
