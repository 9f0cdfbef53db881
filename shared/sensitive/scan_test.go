package sensitive_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/sensitive"
)

// brief renders findings as "side/part/name/path TYPE SEVERITY xCOUNT".
func brief(fs []sensitive.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s/%s/%s/%s %s %s x%d", f.Side, f.Part, f.Name, f.Path, f.Type, f.Severity, f.Count))
	}
	return out
}

func TestScanRequest(t *testing.T) {
	t.Parallel()
	m := sensitive.Message{
		Side: sensitive.Request,
		URL:  "https://api.example.com/users/jane%40example.com/cards?access_token=abcdef123456&limit=10&phone=%2B14155552671&key={{apiKey}}#top",
		Headers: []sensitive.KV{
			{Name: "Authorization", Value: "Bearer " + jwtToken},
			{Name: "x-api-key", Value: "k-123456"},
			{Name: "Cookie", Value: "sid=s3cr3t; email=jane@example.com"},
			{Name: "X-Forwarded-For", Value: "203.0.113.7"},
			{Name: "Content-Type", Value: "application/json"},
		},
		Body: `{"card":{"number":"4111 1111 1111 1111","cvc":"123"},"phones":["4155552671"],"password":"hunter2hunter2","note":"AKIAIOSFODNN7EXAMPLE","pan":4111111111111111,"n":4111111111111112}`,
	}
	res := sensitive.Scan(m, sensitive.Redact)
	require.Equal(t, []string{
		"request/body//$.card.number CREDIT_CARD HIGH x1",
		"request/body//$.note AWS_ACCESS_KEY HIGH x1",
		"request/body//$.pan CREDIT_CARD HIGH x1",
		"request/body//$.phones[*] PHONE_NUMBER MEDIUM x1",
		"request/cookie/email/ EMAIL MEDIUM x1",
		"request/header/Authorization/ JWT LOW x1",
		"request/header/X-Forwarded-For/ IP_ADDRESS LOW x1",
		"request/path// EMAIL MEDIUM x1",
		"request/query/access_token/ BEARER_TOKEN_IN_URL HIGH x1",
		"request/query/phone/ PHONE_NUMBER MEDIUM x1",
	}, brief(res.Findings))
	require.Equal(t, "https://api.example.com/users/[REDACTED:EMAIL]/cards?access_token=[REDACTED]&limit=10&phone=[REDACTED:PHONE_NUMBER]&key={{apiKey}}#top", res.URL)
	require.Equal(t, []sensitive.KV{
		{Name: "Authorization", Value: "Bearer [REDACTED]"},
		{Name: "x-api-key", Value: "[REDACTED]"},
		{Name: "Cookie", Value: "sid=[REDACTED]; email=[REDACTED]"},
		{Name: "X-Forwarded-For", Value: "[REDACTED:IP_ADDRESS]"},
		{Name: "Content-Type", Value: "application/json"},
	}, res.Headers)
	require.Equal(t, `{"card":{"number":"[REDACTED:CREDIT_CARD]","cvc":"123"},"phones":["[REDACTED:PHONE_NUMBER]"],"password":"[REDACTED]","note":"[REDACTED:AWS_ACCESS_KEY]","pan":"[REDACTED:CREDIT_CARD]","n":4111111111111112}`, res.Body)
	require.True(t, json.Valid([]byte(res.Body)), "a redacted JSON body is still JSON")
	require.Equal(t, "Bearer "+jwtToken, m.Headers[0].Value, "the input is not modified")

	plain := sensitive.Scan(m, sensitive.Options{})
	require.Equal(t, res.Findings, plain.Findings, "findings do not depend on redaction")
	require.Equal(t, m.URL, plain.URL)
	require.Equal(t, m.Headers, plain.Headers)
	require.Equal(t, m.Body, plain.Body)

	secretsOnly := sensitive.Scan(m, sensitive.Options{RedactSecrets: true})
	require.Contains(t, secretsOnly.Body, `"password":"[REDACTED]"`)
	require.Contains(t, secretsOnly.Body, `4111 1111 1111 1111`)
	require.Contains(t, secretsOnly.URL, "phone=%2B14155552671")
}

func TestScanResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ct       string
		headers  []sensitive.KV
		body     string
		want     []string
		redacted string
	}{
		{
			name: "json array of users", ct: "application/json",
			body: `{"data":[{"email":"a@x.io","ip":"10.0.0.1"},{"email":"b@x.io","ssn":"123-45-6789"}],"token":"` + jwtToken + `"}`,
			want: []string{
				"response/body//$.data[*].email EMAIL MEDIUM x2",
				"response/body//$.data[*].ip IP_ADDRESS LOW x1",
				"response/body//$.data[*].ssn SSN HIGH x1",
				"response/body//$.token JWT MEDIUM x1",
			},
			redacted: `{"data":[{"email":"[REDACTED:EMAIL]","ip":"[REDACTED:IP_ADDRESS]"},{"email":"[REDACTED:EMAIL]","ssn":"[REDACTED:SSN]"}],"token":"[REDACTED]"}`,
		},
		{
			name: "json member names are scanned", ct: "application/json",
			body:     `{"byEmail":{"jane@example.com":{"n":1}}}`,
			want:     []string{"response/body//$.byEmail['jane@example.com'] EMAIL MEDIUM x1"},
			redacted: `{"byEmail":{"[REDACTED:EMAIL]":{"n":1}}}`,
		},
		{
			name: "json detected without a content type", body: ` {"iban":"DE89370400440532013000"}`,
			want:     []string{"response/body//$.iban IBAN HIGH x1"},
			redacted: ` {"iban":"[REDACTED:IBAN]"}`,
		},
		{
			name: "broken json is scanned as text", ct: "application/json", body: `{"email":"a@x.io"`,
			want:     []string{"response/body// EMAIL MEDIUM x1"},
			redacted: `{"email":"[REDACTED:EMAIL]"`,
		},
		{
			name: "xml", ct: "text/xml", body: "<u><mail>a@x.io</mail><key>" + pemKey + "</key></u>",
			want:     []string{"response/body// EMAIL MEDIUM x1", "response/body// PRIVATE_KEY HIGH x1"},
			redacted: "<u><mail>[REDACTED:EMAIL]</mail><key>[REDACTED:PRIVATE_KEY]</key></u>",
		},
		{
			name: "set-cookie", headers: []sensitive.KV{{Name: "Set-Cookie", Value: "session=abc123; Path=/; HttpOnly"}, {Name: "set-cookie", Value: "bad"}},
			redacted: "",
		},
		{
			name: "form body", ct: "application/x-www-form-urlencoded", body: "user=jane%40x.io&password=pw123456&n=1",
			want:     []string{"response/body/user/ EMAIL MEDIUM x1"},
			redacted: "user=[REDACTED:EMAIL]&password=[REDACTED]&n=1",
		},
		{name: "clean", ct: "application/json", body: `{"ok":true,"id":12345678}`, redacted: `{"ok":true,"id":12345678}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := sensitive.Scan(sensitive.Message{Side: sensitive.Response, ContentType: tt.ct, Headers: tt.headers, Body: tt.body}, sensitive.Redact)
			require.Equal(t, tt.want, brief(res.Findings))
			require.Equal(t, tt.redacted, res.Body)
		})
	}
	res := sensitive.Scan(sensitive.Message{Side: sensitive.Response, Headers: []sensitive.KV{
		{Name: "Set-Cookie", Value: "session=abc123; Path=/; HttpOnly"}, {Name: "set-cookie", Value: "bad"}, {Name: "Set-Cookie", Value: "e=a@x.io"},
	}}, sensitive.Redact)
	require.Equal(t, []sensitive.KV{
		{Name: "Set-Cookie", Value: "session=[REDACTED]; Path=/; HttpOnly"}, {Name: "set-cookie", Value: "bad"}, {Name: "Set-Cookie", Value: "e=[REDACTED]"},
	}, res.Headers)
	require.Equal(t, []string{"response/cookie/e/ EMAIL MEDIUM x1"}, brief(res.Findings))
}

func TestSeverityOf(t *testing.T) {
	t.Parallel()
	req := func(p sensitive.Part) sensitive.Location { return sensitive.Location{Side: sensitive.Request, Part: p} }
	resp := sensitive.Location{Side: sensitive.Response, Part: sensitive.PartBody}
	require.Equal(t, sensitive.Low, sensitive.SeverityOf(sensitive.JWT, req(sensitive.PartHeader)))
	require.Equal(t, sensitive.High, sensitive.SeverityOf(sensitive.JWT, req(sensitive.PartQuery)))
	require.Equal(t, sensitive.Medium, sensitive.SeverityOf(sensitive.JWT, resp))
	require.Equal(t, sensitive.High, sensitive.SeverityOf(sensitive.CreditCard, resp))
	require.Equal(t, sensitive.Medium, sensitive.SeverityOf(sensitive.Email, resp))
	require.Equal(t, sensitive.Low, sensitive.SeverityOf(sensitive.IPAddress, resp))
	for _, typ := range sensitive.Types {
		require.NotEmpty(t, sensitive.SeverityOf(typ, resp))
	}
}

func TestScanURLForms(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                  "",
		"/relative/a@x.io?x=1":              "/relative/[REDACTED:EMAIL]?x=1",
		"http://h":                          "http://h",
		"http://h?token=abcdefgh12":         "http://h?token=[REDACTED]",
		"http://h/p?flag&e=a%40x.io":        "http://h/p?flag&e=[REDACTED:EMAIL]",
		"http://h/p?token=short":            "http://h/p?token=[REDACTED]",
		"http://h/p?token=":                 "http://h/p?token=",
		"http://h/{{id}}?token={{t}}":       "http://h/{{id}}?token={{t}}",
		"http://a@x.io/p":                   "http://a@x.io/p",
		"https://h/p/4111111111111111/x#f?": "https://h/p/[REDACTED:CREDIT_CARD]/x#f?",
	} {
		res := sensitive.Scan(sensitive.Message{Side: sensitive.Request, URL: in}, sensitive.Redact)
		require.Equal(t, want, res.URL, in)
	}
}

// bigBody is about n bytes of JSON records with a sprinkling of sensitive
// values.
func bigBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"Customer number %d","email":"user%d@example.com","created":"2024-01-%02dT10:00:00Z","amount":%d.25,"note":"ordered 3 items, shipped via ground to 221B Baker Street","phone":"+1415555%04d"}`,
			i, i, i, i%28+1, i*7, i%10000)
	}
	b.WriteString(`]}`)
	return b.String()
}

func BenchmarkScanJSON1MiB(b *testing.B) {
	body := bigBody(1 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		sensitive.Scan(sensitive.Message{Side: sensitive.Response, ContentType: "application/json", Body: body}, sensitive.Redact)
	}
}

func BenchmarkScanText1MiB(b *testing.B) {
	body := bigBody(1 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		sensitive.Scan(sensitive.Message{Side: sensitive.Response, ContentType: "text/plain", Body: body}, sensitive.Redact)
	}
}

func BenchmarkScanClean1MiB(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString(`{"id":1234,"name":"Lorem ipsum dolor sit amet","tags":["alpha","beta"],"ratio":0.75},`)
	}
	body := "[" + strings.TrimSuffix(sb.String(), ",") + "]"
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		sensitive.Scan(sensitive.Message{Side: sensitive.Response, ContentType: "application/json", Body: body}, sensitive.Redact)
	}
}
