// Package authtype says how requests authenticate, from what they send
// (Authorization schemes, API-key headers and query parameters, session
// cookies, signed URLs) together with the auth the Postman collection
// declares. Every detected type carries its evidence, so a reader can see
// why an endpoint is BEARER or API_KEY.
//
// The package is pure.
package authtype

import (
	"encoding/base64"
	"slices"
	"strings"
)

// Type is an authentication type.
type Type string

// Authentication types.
const (
	Bearer   Type = "BEARER"
	Basic    Type = "BASIC"
	APIKey   Type = "API_KEY"
	JWT      Type = "JWT"
	OAuth1   Type = "OAUTH1"
	AWSSigV4 Type = "AWS_SIGV4"
	Digest   Type = "DIGEST"
	Cookie   Type = "COOKIE"
	// Other: an Authorization scheme not listed above (Hawk, NTLM,
	// Negotiate, EdgeGrid, ...); Evidence.Scheme names it.
	Other Type = "OTHER"
	// Unauthenticated: the request sends no credential and the collection
	// declares none.
	Unauthenticated Type = "UNAUTHENTICATED"
)

// All lists every type, in a fixed order.
var All = []Type{Bearer, Basic, APIKey, JWT, OAuth1, AWSSigV4, Digest, Cookie, Other, Unauthenticated}

// Where evidence was found.
const (
	InHeader  = "header"
	InQuery   = "query"
	InCookie  = "cookie"
	InPostman = "postman" // the collection's declared auth only
	InNone    = "none"
)

// Evidence is one reason for an auth type.
type Evidence struct {
	Type Type `bson:"type" json:"type"`
	// In is InHeader, InQuery, InCookie, InPostman or InNone.
	In string `bson:"in" json:"in"`
	// Name is the header, query parameter or cookie name, or the Postman
	// auth type when In is InPostman.
	Name string `bson:"name,omitempty" json:"name,omitempty"`
	// Scheme is the Authorization scheme as sent ("Bearer", "Hawk").
	Scheme string `bson:"scheme,omitempty" json:"scheme,omitempty"`
}

// KV is a header or query parameter.
type KV struct {
	Name, Value string
}

// Request is what detection looks at.
type Request struct {
	Headers []KV
	Query   []KV
	// Declared is the Postman auth type in effect ("bearer", "apikey",
	// "oauth2", ...); "" or "noauth" for none.
	Declared string
	// DeclaredParams are its parameters (for apikey: "key", "in").
	DeclaredParams map[string]string
}

// MaxEvidence caps the evidence an endpoint keeps.
const MaxEvidence = 20

// postmanTypes maps Postman auth types to ours.
var postmanTypes = map[string]Type{
	"bearer": Bearer, "basic": Basic, "apikey": APIKey, "oauth1": OAuth1, "oauth2": Bearer, "digest": Digest,
	"awsv4": AWSSigV4, "jwt": JWT, "asap": JWT, "hawk": Other, "ntlm": Other, "edgegrid": Other, "akamai": Other,
}

// Detect returns the evidence of how a request authenticates, sorted; a
// single Unauthenticated evidence when there is none.
func Detect(r Request) []Evidence {
	var ev []Evidence
	add := func(e Evidence) {
		if !slices.Contains(ev, e) {
			ev = append(ev, e)
		}
	}
	for _, h := range r.Headers {
		name := strings.TrimSpace(h.Name)
		n := norm(name)
		switch {
		case n == "authorization" || n == "proxyauthorization":
			if e, ok := authorization(name, h.Value); ok {
				add(e)
			}
		case n == "cookie":
			for _, c := range strings.Split(h.Value, ";") {
				cn, _, _ := strings.Cut(c, "=")
				if cn = strings.TrimSpace(cn); isSessionCookie(cn) {
					add(Evidence{Type: Cookie, In: InCookie, Name: cn})
				}
			}
		case isKeyHeader(n):
			t := APIKey
			if isJWT(h.Value) {
				t = JWT
			}
			add(Evidence{Type: t, In: InHeader, Name: name})
		}
	}
	for _, q := range r.Query {
		if t, ok := queryAuth(norm(q.Name), q.Value); ok {
			add(Evidence{Type: t, In: InQuery, Name: q.Name})
		}
	}
	declared := strings.ToLower(strings.TrimSpace(r.Declared))
	if t, ok := postmanTypes[declared]; ok {
		// A bearer token that is a JWT is a JWT.
		if t == Bearer && isJWT(r.DeclaredParams["token"]) {
			t = JWT
		}
		// Declared auth that the request visibly sends needs no evidence of
		// its own (a bearer token that is a JWT counts as the bearer).
		if !slices.ContainsFunc(ev, func(e Evidence) bool { return e.Type == t || (t == Bearer && e.Type == JWT) }) {
			add(Evidence{Type: t, In: InPostman, Name: declared})
		}
	} else if declared != "" && declared != "noauth" {
		add(Evidence{Type: Other, In: InPostman, Name: declared})
	}
	if len(ev) == 0 {
		return []Evidence{{Type: Unauthenticated, In: InNone}}
	}
	sortEvidence(ev)
	return ev
}

// authorization reads an Authorization header.
func authorization(name, v string) (Evidence, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Evidence{}, false
	}
	scheme, cred, hasCred := strings.Cut(v, " ")
	e := Evidence{In: InHeader, Name: name, Scheme: scheme}
	switch strings.ToLower(scheme) {
	case "bearer":
		e.Type = Bearer
		if isJWT(strings.TrimSpace(cred)) {
			e.Type = JWT
		}
	case "basic":
		e.Type = Basic
	case "digest":
		e.Type = Digest
	case "oauth":
		e.Type = OAuth1
	case "aws4-hmac-sha256":
		e.Type = AWSSigV4
	default:
		if !hasCred {
			// A bare credential with no scheme: a key (or a JWT).
			e.Scheme = ""
			e.Type = APIKey
			if isJWT(v) {
				e.Type = JWT
			}
			return e, true
		}
		e.Type = Other
	}
	return e, true
}

// keyHeaderWords make a header an API-key header.
var keyHeaderWords = []string{"apikey", "apitoken", "authtoken", "accesstoken", "subscriptionkey", "functionskey", "apisecret", "clientsecret", "apikeyid"}

func isKeyHeader(n string) bool {
	if strings.Contains(n, "csrf") || strings.Contains(n, "xsrf") {
		return false
	}
	for _, w := range keyHeaderWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "xtoken" || n == "token" || n == "xkey" || n == "xauth" || n == "xauthkey" || n == "xaccesskey" || n == "xapiauth"
}

// queryAuth reads a query parameter.
func queryAuth(n, v string) (Type, bool) {
	switch n {
	case "apikey", "key", "apitoken", "apisecret", "appkey", "appid", "clientsecret", "subscriptionkey", "authtoken":
		if isJWT(v) {
			return JWT, true
		}
		return APIKey, true
	case "accesstoken", "token", "bearer", "idtoken":
		if isJWT(v) {
			return JWT, true
		}
		return Bearer, true
	case "jwt":
		return JWT, true
	case "oauthconsumerkey", "oauthsignature", "oauthtoken":
		return OAuth1, true
	case "xamzsignature", "xamzcredential", "xamzalgorithm":
		return AWSSigV4, true
	}
	return "", false
}

// isSessionCookie: a cookie named like a session or a credential.
func isSessionCookie(name string) bool {
	n := norm(name)
	if n == "" {
		return false
	}
	for _, w := range []string{"session", "sess", "auth", "token", "jwt", "login", "remember"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "sid" || strings.HasSuffix(n, "sid") || n == "jsessionid" || n == "phpsessid"
}

// isJWT: three base64url parts whose header decodes to a JSON object.
func isJWT(v string) bool {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "eyJ") || strings.Count(v, ".") != 2 {
		return false
	}
	hdr, _, _ := strings.Cut(v, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(hdr, "="))
	return err == nil && len(b) > 1 && b[0] == '{'
}

// norm lower-cases a name and keeps only letters and digits.
func norm(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b = append(b, c)
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}

func sortEvidence(ev []Evidence) {
	slices.SortFunc(ev, func(a, b Evidence) int {
		for _, p := range [][2]string{{string(a.Type), string(b.Type)}, {a.In, b.In}, {a.Name, b.Name}, {a.Scheme, b.Scheme}} {
			if c := strings.Compare(p[0], p[1]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// Merge unites two evidence lists (sorted, unique, at most MaxEvidence).
// It is commutative and idempotent.
func Merge(a, b []Evidence) []Evidence {
	out := make([]Evidence, 0, len(a)+len(b))
	for _, e := range slices.Concat(a, b) {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sortEvidence(out)
	if len(out) > MaxEvidence {
		out = out[:MaxEvidence]
	}
	return out
}

// Types lists the distinct types of evidence, sorted.
func Types(ev []Evidence) []Type {
	var out []Type
	for _, e := range ev {
		if !slices.Contains(out, e.Type) {
			out = append(out, e.Type)
		}
	}
	slices.Sort(out)
	return out
}
