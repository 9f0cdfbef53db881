// Package sensitive finds sensitive data in HTTP messages — email
// addresses, phone numbers, payment cards, SSNs, IBANs, JWTs, IP addresses,
// AWS access keys, private keys and tokens in URLs — in the URL, headers,
// cookies and bodies of any size, and makes redacted copies that hide
// credentials and detected values.
//
// Every detector checks what it can (Luhn for cards, mod-97 for IBANs,
// libphonenumber metadata for phone numbers, a decodable header for JWTs),
// so a 16-digit number that fails Luhn is not a card.
//
// The package is pure.
package sensitive

import (
	"net/textproto"
	"slices"
	"strings"
)

// Type is a kind of sensitive value.
type Type string

// Sensitive types.
const (
	Email        Type = "EMAIL"
	Phone        Type = "PHONE_NUMBER"
	CreditCard   Type = "CREDIT_CARD"
	SSN          Type = "SSN"
	IBAN         Type = "IBAN"
	JWT          Type = "JWT"
	IPAddress    Type = "IP_ADDRESS"
	AWSAccessKey Type = "AWS_ACCESS_KEY"
	PrivateKey   Type = "PRIVATE_KEY"
	// URLToken: a credential in a query parameter (access_token, api_key,
	// ...), where it ends up in logs and browser history.
	URLToken Type = "BEARER_TOKEN_IN_URL"
)

// Types lists every type, in a fixed order.
var Types = []Type{Email, Phone, CreditCard, SSN, IBAN, JWT, IPAddress, AWSAccessKey, PrivateKey, URLToken}

// Severity ranks findings.
type Severity string

// Severities.
const (
	High   Severity = "HIGH"
	Medium Severity = "MEDIUM"
	Low    Severity = "LOW"
)

// Side is the request or the response.
type Side string

// Sides.
const (
	Request  Side = "request"
	Response Side = "response"
)

// Part is where in a message a value is.
type Part string

// Parts.
const (
	PartPath   Part = "path"
	PartQuery  Part = "query"
	PartHeader Part = "header"
	PartCookie Part = "cookie"
	PartBody   Part = "body"
)

// Location says where a finding is.
type Location struct {
	Side Side `bson:"side" json:"side"`
	Part Part `bson:"part" json:"part"`
	// Name is the header, query parameter, cookie or form field name.
	Name string `bson:"name,omitempty" json:"name,omitempty"`
	// Path is the JSON path in a JSON body ("$.data[*].email"), array
	// indexes as [*].
	Path string `bson:"path,omitempty" json:"path,omitempty"`
}

// Finding is a type of sensitive value found at one location.
type Finding struct {
	Type     Type `bson:"type" json:"type"`
	Location `bson:",inline"`
	Severity Severity `bson:"severity" json:"severity"`
	// Count is how many values were found there in the message scanned.
	Count int `bson:"count,omitempty" json:"count,omitempty"`
}

// SeverityOf rates a type at a location: secrets and financial data are
// HIGH, personal data MEDIUM, IP addresses LOW; a JWT is LOW where it is
// expected (a request header or cookie) and HIGH in a URL.
func SeverityOf(t Type, loc Location) Severity {
	switch t {
	case PrivateKey, AWSAccessKey, CreditCard, SSN, IBAN, URLToken:
		return High
	case JWT:
		switch {
		case loc.Part == PartPath || loc.Part == PartQuery:
			return High
		case loc.Side == Request && (loc.Part == PartHeader || loc.Part == PartCookie):
			return Low
		}
		return Medium
	case Email, Phone:
		return Medium
	}
	return Low
}

// Options choose what the redacted copies hide.
type Options struct {
	// RedactSecrets hides credentials: Authorization (keeping its scheme),
	// cookies, API-key and token headers, secret-named query parameters,
	// JSON members and form fields (password, token, api_key, ...).
	RedactSecrets bool
	// RedactDetected hides every detected value, replaced by
	// "[REDACTED:TYPE]".
	RedactDetected bool
}

// Redact hides both secrets and detected values.
var Redact = Options{RedactSecrets: true, RedactDetected: true}

// Placeholders put in place of hidden values.
const (
	SecretPlaceholder = "[REDACTED]"
)

// Placeholder is what replaces a detected value of type t.
func Placeholder(t Type) string {
	if p, ok := placeholders[t]; ok {
		return p
	}
	return "[REDACTED:" + string(t) + "]"
}

var placeholders = func() map[Type]string {
	m := make(map[Type]string, len(Types))
	for _, t := range Types {
		m[t] = "[REDACTED:" + string(t) + "]"
	}
	return m
}()

// KV is a header.
type KV struct {
	Name, Value string
}

// Message is a request or response to scan.
type Message struct {
	Side Side
	// URL is the request URL (scheme://host/path?query); its path and
	// query are scanned. Empty for responses.
	URL     string
	Headers []KV
	// ContentType, when empty, comes from the Content-Type header.
	ContentType string
	Body        string
}

// Result is what Scan found and the redacted copies.
type Result struct {
	// Findings, one per type and location, sorted.
	Findings []Finding
	// URL, Headers and Body are the message with what Options hide
	// replaced; they are the input values when nothing was hidden.
	URL     string
	Headers []KV
	Body    string
}

// Scan finds the sensitive values of a message and makes its redacted
// copy.
func Scan(m Message, o Options) Result {
	c := collector{side: m.Side}
	res := Result{URL: m.URL, Headers: m.Headers, Body: m.Body}
	if m.URL != "" {
		res.URL = c.url(m.URL, o)
	}
	ct := m.ContentType
	var hs []KV
	for i, h := range m.Headers {
		v := c.header(h, o)
		if v != h.Value && hs == nil {
			hs = slices.Clone(m.Headers)
		}
		if hs != nil {
			hs[i].Value = v
		}
		if ct == "" && strings.EqualFold(h.Name, "Content-Type") {
			ct = h.Value
		}
	}
	if hs != nil {
		res.Headers = hs
	}
	if m.Body != "" {
		res.Body = c.body(ct, m.Body, o)
	}
	res.Findings = c.findings()
	return res
}

// collector gathers findings by type and location.
type collector struct {
	side    Side
	count   map[Finding]int
	text    textScanner
	members map[string]memberInfo
}

func (c *collector) add(t Type, part Part, name, path string) {
	if c.count == nil {
		c.count = map[Finding]int{}
	}
	loc := Location{Side: c.side, Part: part, Name: name, Path: path}
	c.count[Finding{Type: t, Location: loc, Severity: SeverityOf(t, loc)}]++
}

func (c *collector) findings() []Finding {
	if len(c.count) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(c.count))
	for f, n := range c.count {
		f.Count = n
		out = append(out, f)
	}
	SortFindings(out)
	return out
}

// SortFindings sorts by side, part, name, path, then type.
func SortFindings(fs []Finding) {
	slices.SortFunc(fs, CompareFindings)
}

// CompareFindings orders findings by side, part, name, path, type.
func CompareFindings(a, b Finding) int {
	for _, p := range [][2]string{
		{string(a.Side), string(b.Side)}, {string(a.Part), string(b.Part)}, {a.Name, b.Name}, {a.Path, b.Path}, {string(a.Type), string(b.Type)},
	} {
		if c := strings.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

// canonicalHeader is the name findings use for a header.
func canonicalHeader(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }
