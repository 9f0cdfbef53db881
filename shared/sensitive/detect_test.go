package sensitive_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/sensitive"
)

const (
	jwtToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	pemKey   = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----"
)

// found returns "TYPE:text" for every match in s.
func found(s string, h sensitive.Hint) []string {
	var out []string
	sensitive.ScanText(s, h, func(m sensitive.Match) {
		out = append(out, string(m.Type)+":"+s[m.Start:m.End])
	})
	return out
}

func TestScanText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		hint sensitive.Hint
		want []string
	}{
		// Emails.
		{name: "email", in: "contact jane.doe+x@mail.example.com today", want: []string{"EMAIL:jane.doe+x@mail.example.com"}},
		{name: "email in quotes and brackets", in: `<"a_b@c-d.io">`, want: []string{"EMAIL:a_b@c-d.io"}},
		{name: "retina asset is not an email", in: "icon@2x.png"},
		{name: "no dot in domain", in: "user@localhost"},
		{name: "one-letter tld", in: "a@b.c"},
		{name: "bare at", in: "@ @@ a@ @b.com"},
		{name: "trailing dot", in: "mail me: bob@example.org.", want: []string{"EMAIL:bob@example.org"}},
		{name: "two emails", in: "a@x.io,b@y.io", want: []string{"EMAIL:a@x.io", "EMAIL:b@y.io"}},

		// Payment cards.
		{name: "visa", in: "card 4111111111111111 ok", want: []string{"CREDIT_CARD:4111111111111111"}},
		{name: "visa with spaces", in: "4111 1111 1111 1111", want: []string{"CREDIT_CARD:4111 1111 1111 1111"}},
		{name: "visa with dashes", in: "4111-1111-1111-1111", want: []string{"CREDIT_CARD:4111-1111-1111-1111"}},
		{name: "amex", in: "378282246310005", want: []string{"CREDIT_CARD:378282246310005"}},
		{name: "mastercard", in: "5555555555554444", want: []string{"CREDIT_CARD:5555555555554444"}},
		{name: "mastercard 2-series", in: "2223003122003222", want: []string{"CREDIT_CARD:2223003122003222"}},
		{name: "discover", in: "6011111111111117", want: []string{"CREDIT_CARD:6011111111111117"}},
		{name: "16 digits failing Luhn is not a card", in: "4111111111111112"},
		{name: "Luhn-valid but no issuer is not a card", in: "1234567812345670"},
		{name: "all zeros", in: "0000000000000000"},
		{name: "card inside a word", in: "x4111111111111111"},
		{name: "card inside a longer number", in: "41111111111111110000"},
		{name: "mixed separators", in: "4111 1111-1111 1111"},
		{name: "decimal is not a card", in: "0.4111111111111111"},
		{name: "bare digits in an id field are not a card", in: "5265677890100681", hint: sensitive.HintID},
		{name: "grouped digits in an id field are a card", in: "4111 1111 1111 1111", hint: sensitive.HintID, want: []string{"CREDIT_CARD:4111 1111 1111 1111"}},

		// SSNs.
		{name: "ssn", in: "ssn 123-45-6789.", want: []string{"SSN:123-45-6789"}},
		{name: "ssn area 000", in: "000-12-3456"},
		{name: "ssn area 666", in: "666-12-3456"},
		{name: "ssn area 9xx", in: "900-12-3456"},
		{name: "ssn group 00", in: "123-00-6789"},
		{name: "ssn serial 0000", in: "123-45-0000"},
		{name: "bare nine digits are not an ssn", in: "123456789"},
		{name: "bare nine digits in an ssn field", in: "123456789", hint: sensitive.HintSSN, want: []string{"SSN:123456789"}},

		// IBANs.
		{name: "iban", in: "IBAN GB82WEST12345698765432 ok", want: []string{"IBAN:GB82WEST12345698765432"}},
		{name: "iban grouped", in: "GB82 WEST 1234 5698 7654 32", want: []string{"IBAN:GB82 WEST 1234 5698 7654 32"}},
		{name: "german iban", in: "DE89370400440532013000", want: []string{"IBAN:DE89370400440532013000"}},
		{name: "french iban", in: "FR1420041010050500013M02606", want: []string{"IBAN:FR1420041010050500013M02606"}},
		{name: "iban with a bad checksum", in: "GB82WEST12345698765431"},
		{name: "iban of the wrong length", in: "GB82WEST123456987654"},
		{name: "unknown country", in: "ZZ82WEST12345698765432"},

		// JWTs.
		{name: "jwt", in: "token=" + jwtToken + "&x", want: []string{"JWT:" + jwtToken}},
		{name: "jwt with bearer", in: "Bearer " + jwtToken, want: []string{"JWT:" + jwtToken}},
		{name: "unsigned jwt", in: "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", want: []string{"JWT:eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."}},
		{name: "eyJ without alg", in: "eyJmb28iOjEyMzQ1Njc4OX0.eyJzdWIiOiIxIn0.c2ln"},
		{name: "eyJ with one part", in: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"},

		// IP addresses.
		{name: "ipv4", in: "from 192.168.1.20:8080", want: []string{"IP_ADDRESS:192.168.1.20"}},
		{name: "ipv4 at end", in: "8.8.8.8", want: []string{"IP_ADDRESS:8.8.8.8"}},
		{name: "ipv4 out of range", in: "999.1.1.1"},
		{name: "version is not an ip", in: "v1.2.3.4 and 1.2.3"},
		{name: "ipv6", in: "addr 2001:db8::1 ok", want: []string{"IP_ADDRESS:2001:db8::1"}},
		{name: "full ipv6", in: "fe80:0:0:0:1ff:fe23:4567:890a", want: []string{"IP_ADDRESS:fe80:0:0:0:1ff:fe23:4567:890a"}},
		{name: "ipv6 loopback", in: "[::1]", want: []string{"IP_ADDRESS:::1"}},
		{name: "time is not an ip", in: "10:30:00"},
		{name: "mac address is not an ip", in: "00:1a:2b:3c:4d:5e"},
		{name: "decimal", in: "pi is 3.14159265"},

		// AWS keys and private keys.
		{name: "aws key", in: `"AKIAIOSFODNN7EXAMPLE"`, want: []string{"AWS_ACCESS_KEY:AKIAIOSFODNN7EXAMPLE"}},
		{name: "aws temporary key", in: "ASIAY34FZKBOKMUTVV7A", want: []string{"AWS_ACCESS_KEY:ASIAY34FZKBOKMUTVV7A"}},
		{name: "aws key too short", in: "AKIAIOSFODNN7EXAMPL"},
		{name: "aws key inside a word", in: "XAKIAIOSFODNN7EXAMPLE"},
		{name: "private key", in: "k: " + pemKey + " end", want: []string{"PRIVATE_KEY:" + pemKey}},
		{name: "private key header only", in: "-----BEGIN PRIVATE KEY-----MIIE", want: []string{"PRIVATE_KEY:-----BEGIN PRIVATE KEY-----"}},
		{name: "public key", in: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"},
		{name: "certificate", in: "-----BEGIN CERTIFICATE-----"},

		// Phone numbers.
		{name: "international phone", in: "call +14155552671 now", want: []string{"PHONE_NUMBER:+14155552671"}},
		{name: "international phone with spaces", in: "+44 20 7946 0958", want: []string{"PHONE_NUMBER:+44 20 7946 0958"}},
		{name: "us formatted phone", in: "(415) 555-2671", want: []string{"PHONE_NUMBER:(415) 555-2671"}},
		{name: "us dashed phone", in: "415-555-2671", want: []string{"PHONE_NUMBER:415-555-2671"}},
		{name: "us dotted phone", in: "415.555.2671", want: []string{"PHONE_NUMBER:415.555.2671"}},
		{name: "bare digits are not a phone", in: "4155552671"},
		{name: "bare digits in a phone field", in: "4155552671", hint: sensitive.HintPhone, want: []string{"PHONE_NUMBER:4155552671"}},
		{name: "bare international digits in a phone field", in: "447911123456", hint: sensitive.HintPhone, want: []string{"PHONE_NUMBER:447911123456"}},
		{name: "digits no country accepts in a phone field", in: "999999999999", hint: sensitive.HintPhone},
		{name: "invalid international", in: "+10000000000"},
		{name: "date is not a phone", in: "2024-01-15 and 2024-01-15T10:00:00Z"},
		{name: "timestamp is not a phone", in: "1700000000"},
		{name: "amount", in: "1 000 000"},

		// Overlaps: the stronger type wins.
		{name: "email holding digits", in: "user4111111111111111@example.com", want: []string{"EMAIL:user4111111111111111@example.com"}},
		{name: "nothing", in: "the quick brown fox"},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, found(tt.in, tt.hint))
		})
	}
}

func TestHintOf(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]sensitive.Hint{
		"phone": sensitive.HintPhone, "phone_number": sensitive.HintPhone, "mobileNumber": sensitive.HintPhone, "tel": sensitive.HintPhone,
		"fax": sensitive.HintPhone, "MSISDN": sensitive.HintPhone, "ssn": sensitive.HintSSN, "customer_ssn": sensitive.HintSSN,
		"social_security_number": sensitive.HintSSN, "": sensitive.HintNone, "hotel": sensitive.HintNone,
		"telNo": sensitive.HintPhone, "telemetry": sensitive.HintNone,
		"id": sensitive.HintID, "orderId": sensitive.HintID, "merchant_id": sensitive.HintID, "paid": sensitive.HintNone, "valid": sensitive.HintNone,
	} {
		require.Equal(t, want, sensitive.HintOf(name), name)
	}
}

func TestIsSecretName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		inQuery bool
		want    bool
	}{
		{"password", false, true}, {"client_secret", false, true}, {"access_token", false, true}, {"X-API-Key", false, true},
		{"apiKey", false, true}, {"Authorization", false, true}, {"refreshToken", false, true}, {"private_key", false, true},
		{"token_type", false, false}, {"expires_in", false, false}, {"token_expires_at", false, false}, {"tokenUrl", false, false},
		{"key", false, false}, {"key", true, true}, {"sig", true, true}, {"code", true, true}, {"code", false, false},
		{"X-Amz-Signature", true, true}, {"id", false, false}, {"name", false, false}, {"", false, false}, {"pwd", false, true},
		{"next_page_token", false, true}, {"max_tokens", false, true},
	} {
		require.Equal(t, tt.want, sensitive.IsSecretName(tt.name, tt.inQuery), "%s %v", tt.name, tt.inQuery)
	}
}

func TestScanTextLargeInput(t *testing.T) {
	t.Parallel()
	// No size cut-off: a value far past the first 8 KB is found.
	s := strings.Repeat("lorem ipsum ", 100000) + " jane@example.com " + strings.Repeat("x", 10)
	require.Equal(t, []string{"EMAIL:jane@example.com"}, found(s, sensitive.HintNone))
}

func ExampleScanText() {
	s := "card 4111 1111 1111 1111, not 4111 1111 1111 1112; mail ops@example.com"
	sensitive.ScanText(s, sensitive.HintNone, func(m sensitive.Match) {
		fmt.Println(m.Type, s[m.Start:m.End])
	})
	// Output:
	// CREDIT_CARD 4111 1111 1111 1111
	// EMAIL ops@example.com
}
