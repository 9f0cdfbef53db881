package sensitive

import (
	"encoding/base64"
	"net/netip"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Match is one detected value in a text: s[Start:End].
type Match struct {
	Type       Type
	Start, End int
}

// Hint is what the name of the field a value is in says about it
// ("phone", "ssn"): it lets bare digits count as a phone number or an SSN.
type Hint uint8

// Hints.
const (
	HintNone Hint = iota
	HintPhone
	HintSSN
	// HintID: a field named like an identifier ("id", "orderId",
	// "merchant_id"): bare digits there are not taken for a card number
	// (16-digit ids pass Luhn one time in ten).
	HintID
)

// HintOf returns the hint of a field name (JSON member, query parameter,
// form field or header).
func HintOf(name string) Hint {
	n := normName(name)
	switch {
	case n == "":
		return HintNone
	case strings.Contains(n, "phone") || strings.Contains(n, "mobile") || strings.Contains(n, "msisdn") ||
		strings.HasSuffix(n, "fax") || (strings.HasPrefix(n, "tel") && len(n) <= 6):
		return HintPhone
	case n == "ssn" || strings.HasSuffix(n, "ssn") || strings.Contains(n, "socialsecurity"):
		return HintSSN
	case n == "id" || strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID") || strings.HasSuffix(n, "uuid") ||
		strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "-id") || strings.HasSuffix(name, ".id"):
		return HintID
	}
	return HintNone
}

// normName lower-cases a name and drops everything but letters and digits.
func normName(s string) string {
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

// priority orders overlapping matches: the earlier type wins.
var priority = map[Type]int{
	PrivateKey: 0, JWT: 1, AWSAccessKey: 2, Email: 3, IBAN: 4, CreditCard: 5, SSN: 6, Phone: 7, IPAddress: 8,
}

// ScanText finds sensitive values in s and calls fn for each, in order of
// position; overlapping matches resolve to the higher-priority type. It
// reads s a few times with fast substring searches and once byte by byte;
// it has no size limit.
func ScanText(s string, h Hint, fn func(Match)) {
	var t textScanner
	t.scan(s, h, fn)
}

// textScanner scans texts one after the other, reusing its buffer and
// remembering phone-number verdicts (libphonenumber is the costly check).
type textScanner struct {
	ms     []Match
	phones map[string]bool
}

func (t *textScanner) scan(s string, h Hint, fn func(Match)) {
	t.ms = t.ms[:0]
	add := func(m Match) { t.ms = append(t.ms, m) }
	findPrivateKeys(s, add)
	findJWTs(s, add)
	findAWSKeys(s, add)
	findEmails(s, add)
	t.scanBytes(s, h, add)
	ms := t.ms
	if len(ms) == 0 {
		return
	}
	if len(ms) > 1 {
		slices.SortFunc(ms, func(a, b Match) int {
			if a.Start != b.Start {
				return a.Start - b.Start
			}
			return priority[a.Type] - priority[b.Type]
		})
	}
	// Keep the best of every overlapping run.
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && m.Start < out[n-1].End {
			if priority[m.Type] < priority[out[n-1].Type] {
				out[n-1] = m
			}
			continue
		}
		out = append(out, m)
	}
	for _, m := range out {
		fn(m)
	}
}

// isPhone is isPhoneNumber, remembered.
func (t *textScanner) isPhone(s string, sepKinds uint8, h Hint) bool {
	key := s
	if h == HintPhone {
		key = "h" + s
	}
	if v, ok := t.phones[key]; ok {
		return v
	}
	v := isPhoneNumber(s, sepKinds, h)
	if t.phones == nil {
		t.phones = map[string]bool{}
	}
	if len(t.phones) < 4096 {
		t.phones[key] = v
	}
	return v
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// findPrivateKeys finds PEM private key blocks, "-----BEGIN ... PRIVATE
// KEY-----" to the matching END line (or the end of the header line when
// there is none).
func findPrivateKeys(s string, add func(Match)) {
	const begin = "-----BEGIN "
	for i := 0; ; {
		j := strings.Index(s[i:], begin)
		if j < 0 {
			return
		}
		start := i + j
		rest := s[start+len(begin):]
		k := strings.Index(rest, "-----")
		if k < 0 || k > 64 {
			i = start + len(begin)
			continue
		}
		label := rest[:k]
		if !strings.HasSuffix(label, "PRIVATE KEY") {
			i = start + len(begin)
			continue
		}
		end := start + len(begin) + k + 5
		endMark := "-----END " + label + "-----"
		if e := strings.Index(s[end:], endMark); e >= 0 {
			end += e + len(endMark)
		}
		add(Match{Type: PrivateKey, Start: start, End: end})
		i = end
	}
}

// findJWTs finds "eyJ..." header.payload.signature tokens whose header
// decodes to a JSON object with "alg".
func findJWTs(s string, add func(Match)) {
	for i := 0; ; {
		j := strings.Index(s[i:], "eyJ")
		if j < 0 {
			return
		}
		start := i + j
		i = start + 3
		if start > 0 && (isB64URL(s[start-1]) || s[start-1] == '.') {
			continue
		}
		end, dots := start, 0
		var dotAt [2]int
		for end < len(s) && (isB64URL(s[end]) || s[end] == '.') {
			if s[end] == '.' {
				if dots == 2 {
					break
				}
				dotAt[dots] = end
				dots++
			}
			end++
		}
		if dots != 2 || dotAt[0]-start < 10 || dotAt[1]-dotAt[0] < 3 {
			continue
		}
		hdr, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s[start:dotAt[0]], "="))
		if err != nil || !strings.Contains(string(hdr), `"alg"`) {
			continue
		}
		add(Match{Type: JWT, Start: start, End: end})
		i = end
	}
}

// findAWSKeys finds AWS access key ids: AKIA (long-term) or ASIA
// (temporary) and 16 upper-case letters or digits.
func findAWSKeys(s string, add func(Match)) {
	for _, prefix := range []string{"AKIA", "ASIA"} {
		for i := 0; ; {
			j := strings.Index(s[i:], prefix)
			if j < 0 {
				break
			}
			start := i + j
			i = start + 4
			end := start + 20
			if end > len(s) || (start > 0 && isAlnum(s[start-1])) || (end < len(s) && isAlnum(s[end])) {
				continue
			}
			ok := true
			for k := start + 4; k < end; k++ {
				if !isUpper(s[k]) && !isDigit(s[k]) {
					ok = false
					break
				}
			}
			if ok {
				add(Match{Type: AWSAccessKey, Start: start, End: end})
				i = end
			}
		}
	}
}

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomainChar(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// notTLDs are file extensions that follow "@" in asset names
// ("icon@2x.png"), not email domains.
var notTLDs = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "js": true, "css": true, "ico": true}

// findEmails finds addresses around every "@".
func findEmails(s string, add func(Match)) {
	last := 0
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '@')
		if j < 0 {
			return
		}
		at := i + j
		i = at + 1
		start := at
		for start > last && start > at-64 && isLocalChar(s[start-1]) {
			start--
		}
		for start < at && (s[start] == '.' || s[start] == '-') {
			start++
		}
		end := at + 1
		for end < len(s) && end < at+254 && isDomainChar(s[end]) {
			end++
		}
		for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') {
			end--
		}
		if start == at || end == at+1 || s[at-1] == '.' {
			continue
		}
		dom := s[at+1 : end]
		dot := strings.LastIndexByte(dom, '.')
		if dot <= 0 || strings.Contains(dom, "..") {
			continue
		}
		tld := dom[dot+1:]
		if len(tld) < 2 || notTLDs[strings.ToLower(tld)] {
			continue
		}
		ok := true
		for k := 0; k < len(tld); k++ {
			if c := tld[k]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		add(Match{Type: Email, Start: start, End: end})
		last, i = end, end
	}
}

// scanBytes is the byte-by-byte pass: digit runs (cards, SSNs, phone
// numbers, IPv4), IBANs and IPv6 addresses.
func (t *textScanner) scanBytes(s string, h Hint, add func(Match)) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c) || ((c == '+' || c == '(') && i+1 < len(s) && isDigit(s[i+1])):
			if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '_' || (s[i-1] == '.' && i > 1 && isDigit(s[i-2]))) {
				i++
				continue
			}
			if c != '+' && c != '(' && isIPv6Start(s, i) {
				if end := ipv6At(s, i, add); end > i {
					i = end
					continue
				}
			}
			i = t.digitRun(s, i, h, add)
		case isUpper(c) && i+3 < len(s) && isUpper(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) && (i == 0 || !isAlnum(s[i-1])):
			if end := ibanAt(s, i, add); end > i {
				i = end
				continue
			}
			i++
		case c == ':' && i+1 < len(s) && s[i+1] == ':' && (i == 0 || !isAlnum(s[i-1])):
			if end := ipv6At(s, i, add); end > i {
				i = end
				continue
			}
			i += 2
		case isHexLetter(c) && (i == 0 || !isAlnum(s[i-1])) && isIPv6Start(s, i):
			if end := ipv6At(s, i, add); end > i {
				i = end
				continue
			}
			i++
		default:
			i++
		}
	}
}

func isHexLetter(c byte) bool { return 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isHex(c byte) bool { return isDigit(c) || isHexLetter(c) }

// isIPv6Start: up to 4 hex digits then ':' .
func isIPv6Start(s string, i int) bool {
	for k := i; k < len(s) && k < i+5; k++ {
		if s[k] == ':' {
			return k > i || (k+1 < len(s) && s[k+1] == ':')
		}
		if !isHex(s[k]) {
			return false
		}
	}
	return false
}

// ipv6At reads an IPv6 address at i; it returns the end, or i when there
// is none.
func ipv6At(s string, i int, add func(Match)) int {
	end, colons := i, 0
	for end < len(s) && end < i+45 && (isHex(s[end]) || s[end] == ':' || s[end] == '.') {
		if s[end] == ':' {
			colons++
		}
		end++
	}
	for end > i && s[end-1] == '.' {
		end--
	}
	if colons < 2 || (end < len(s) && isAlnum(s[end])) {
		return i
	}
	a, err := netip.ParseAddr(s[i:end])
	if err != nil || !a.Is6() || a.IsUnspecified() || (!strings.Contains(s[i:end], "::") && colons < 7) {
		return i
	}
	add(Match{Type: IPAddress, Start: i, End: end})
	return end
}

// digitRun reads a run of digits and separators at i and decides what it
// is; it returns where scanning goes on.
func (t *textScanner) digitRun(s string, i int, h Hint, add func(Match)) int {
	start, end := i, i
	digits, run := 0, 0
	var sepKinds uint8 // 1 space, 2 dash, 4 dot, 8 paren
	for end < len(s) {
		c := s[end]
		if isDigit(c) {
			digits++
			run = 0
			end++
			continue
		}
		var kind uint8
		switch c {
		case ' ':
			kind = 1
		case '-':
			kind = 2
		case '.':
			kind = 4
		case '(', ')', '+':
			kind = 8
			if c == '+' && end != start {
				kind = 0
			}
		}
		if kind == 0 || run >= 2 {
			break
		}
		sepKinds |= kind
		run++
		end++
	}
	// Trim trailing separators.
	for end > start && !isDigit(s[end-1]) {
		end--
	}
	next := max(end, start+1)
	if digits == 0 || end < len(s) && (isAlnum(s[end]) || s[end] == '_') {
		return skipWord(s, next)
	}
	text := s[start:end]
	switch {
	case sepKinds == 4 && isIPv4(text):
		add(Match{Type: IPAddress, Start: start, End: end})
	case digits >= 12 && digits <= 19 && sepKinds&^(1|2) == 0 && s[start] != '+' && s[start] != '(' &&
		!(h == HintID && sepKinds == 0) && isCard(text):
		add(Match{Type: CreditCard, Start: start, End: end})
	case isSSN(text, h):
		add(Match{Type: SSN, Start: start, End: end})
	case digits >= 7 && digits <= 15 && t.isPhone(text, sepKinds, h):
		add(Match{Type: Phone, Start: start, End: end})
	}
	return next
}

// skipWord moves past the rest of an alphanumeric word, so that digits
// inside it are not taken for a value of their own.
func skipWord(s string, i int) int {
	for i < len(s) && (isAlnum(s[i]) || s[i] == '_') {
		i++
	}
	return i
}

func isIPv4(s string) bool {
	if strings.Count(s, ".") != 3 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func digitsOf(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// isCard: 13 to 19 digits (optionally grouped by spaces or dashes, one kind
// only) with a known issuer prefix and a valid Luhn check digit.
func isCard(s string) bool {
	if strings.Contains(s, " ") && strings.Contains(s, "-") {
		return false
	}
	d := digitsOf(s)
	if len(d) < 13 || len(d) > 19 || strings.Count(d, d[:1]) == len(d) {
		return false
	}
	return knownIssuer(d) && luhn(d)
}

// knownIssuer checks the issuer identification number and length: Visa,
// Mastercard, American Express, Discover, Diners Club, JCB, UnionPay,
// Maestro, Mir.
func knownIssuer(d string) bool {
	n := len(d)
	p2 := atoi(d[:2])
	p3 := atoi(d[:3])
	p4 := atoi(d[:4])
	switch {
	case d[0] == '4':
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720, p4 >= 2200 && p4 <= 2204:
		return n == 16
	case p2 == 34 || p2 == 37:
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p2 == 62, p4 >= 3528 && p4 <= 3589:
		return n >= 16 && n <= 19
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39:
		return n >= 14 && n <= 19
	case p4 == 5018, p4 == 5020, p4 == 5038, p4 == 5893, p4 == 6304, p4 == 6759, p4 >= 6761 && p4 <= 6763:
		return n >= 13 && n <= 19
	}
	return false
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// luhn checks the Luhn (mod 10) check digit.
func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// isSSN: "AAA-GG-SSSS" (or nine bare digits in a field named like an SSN)
// with a valid area (not 000, 666 or 9xx), group (not 00) and serial (not
// 0000).
func isSSN(s string, h Hint) bool {
	var d string
	switch {
	case len(s) == 11 && s[3] == '-' && s[6] == '-':
		d = s[:3] + s[4:6] + s[7:]
	case h == HintSSN && len(s) == 9:
		d = s
	case h == HintSSN && len(s) == 11 && s[3] == ' ' && s[6] == ' ':
		d = s[:3] + s[4:6] + s[7:]
	default:
		return false
	}
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	area, group, serial := atoi(d[:3]), atoi(d[3:5]), atoi(d[5:])
	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

// isPhoneNumber: an international number ("+..."), a number written with
// phone-style separators, or bare digits in a field named like a phone;
// checked against libphonenumber's metadata (US as the default region).
func isPhoneNumber(s string, sepKinds uint8, h Hint) bool {
	intl := s[0] == '+'
	switch {
	case intl:
	case h == HintPhone:
	case sepKinds&(1|2|8) != 0 && sepKinds&4 == 0, sepKinds == 4 && strings.Count(s, ".") == 2:
		// "(415) 555-2671", "415-555-2671", "020 7946 0958", "415.555.2671"
		if len(digitsOf(s)) < 10 {
			return false
		}
	default:
		return false
	}
	if intl && isCompactE164(s) {
		return validE164(s)
	}
	region := "US"
	if intl {
		region = ""
	}
	if num, err := phonenumbers.Parse(s, region); err == nil && phonenumbers.IsValidNumber(num) {
		return true
	}
	if h == HintPhone && !intl {
		// Bare digits in a phone field may hold the country code.
		num, err := phonenumbers.Parse("+"+digitsOf(s), "")
		return err == nil && phonenumbers.IsValidNumber(num)
	}
	return false
}

// ibanLengths is the IBAN length of every country that has one.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
	"LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
	"QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
	"SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanAt reads an IBAN at i (compact, or in groups of four separated by
// single spaces); it returns the end, or i when there is none.
func ibanAt(s string, i int, add func(Match)) int {
	want, ok := ibanLengths[s[i:i+2]]
	if !ok {
		return i
	}
	var buf [34]byte
	n, end := 0, i
	for end < len(s) && n < want {
		c := s[end]
		switch {
		case isUpper(c) || isDigit(c):
			buf[n] = c
			n++
			end++
		case c == ' ' && n%4 == 0 && end+1 < len(s) && (isUpper(s[end+1]) || isDigit(s[end+1])):
			end++
		default:
			return i
		}
	}
	if n != want || (end < len(s) && isAlnum(s[end])) || !ibanChecksum(buf[:n]) {
		return i
	}
	add(Match{Type: IBAN, Start: i, End: end})
	return end
}

// ibanChecksum is the ISO 13616 mod-97 check.
func ibanChecksum(b []byte) bool {
	rem := 0
	step := func(c byte) {
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		}
	}
	for _, c := range b[4:] {
		step(c)
	}
	for _, c := range b[:4] {
		step(c)
	}
	return rem == 1
}

// isCompactE164: "+" and 8 to 15 digits, the first not 0.
func isCompactE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// validE164 validates a compact "+digits" number without
// phonenumbers.Parse, whose text normalisation costs as much as the
// validation itself: country calling codes are prefix-free, so the first
// known 1-3 digit prefix is the code.
func validE164(s string) bool {
	d := s[1:]
	for n := 1; n <= 3 && n < len(d); n++ {
		cc := atoi(d[:n])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		rest := d[n:]
		code := int32(cc)
		nat := uint64(atoi(rest))
		num := &phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &nat}
		if zeros := len(rest) - len(strings.TrimLeft(rest, "0")); zeros > 0 && zeros < len(rest) {
			yes, z := true, int32(zeros)
			num.ItalianLeadingZero, num.NumberOfLeadingZeros = &yes, &z
		}
		return phonenumbers.IsValidNumber(num)
	}
	return false
}
