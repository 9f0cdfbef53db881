package replay

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/apiscout/apiscout/shared/postman"
)

// Signer applies send-time auth. Now and Nonce are injectable for tests.
type Signer struct {
	Now   func() time.Time
	Nonce func() string
}

// Sign applies oauth1 or awsv4 auth to req (body is what req sends). Other
// auth types are left alone: static ones are already applied, digest waits
// for the server's challenge.
func (s Signer) Sign(ctx context.Context, req *http.Request, a *postman.Auth, body []byte) error {
	if a == nil {
		return nil
	}
	switch a.Type {
	case "oauth1":
		return s.oauth1(req, a.Params, body)
	case "awsv4":
		return s.awsv4(ctx, req, a.Params, body)
	}
	return nil
}

func (s Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s Signer) awsv4(ctx context.Context, req *http.Request, p map[string]string, body []byte) error {
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: p["accessKey"], SecretAccessKey: p["secretKey"], SessionToken: p["sessionToken"]}
	region, service := p["region"], p["service"]
	if region == "" {
		region = "us-east-1"
	}
	if service == "" {
		service = "execute-api"
	}
	signer := v4.NewSigner()
	if p["addAuthDataToQuery"] == "true" {
		signed, hdr, err := signer.PresignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, s.now())
		if err != nil {
			return fmt.Errorf("awsv4: %w", err)
		}
		u, err := url.Parse(signed)
		if err != nil {
			return err
		}
		req.URL = u
		for k, v := range hdr {
			req.Header[k] = v
		}
		return nil
	}
	req.Header.Del("Authorization")
	if err := signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, s.now()); err != nil {
		return fmt.Errorf("awsv4: %w", err)
	}
	return nil
}

// oauth1 signs per RFC 5849 (HMAC-SHA1, HMAC-SHA256, PLAINTEXT), adding the
// parameters to the Authorization header (default) or the query.
func (s Signer) oauth1(req *http.Request, p map[string]string, body []byte) error {
	method := strings.ToUpper(p["signatureMethod"])
	if method == "" {
		method = "HMAC-SHA1"
	}
	ts := p["timestamp"]
	if ts == "" {
		ts = strconv.FormatInt(s.now().Unix(), 10)
	}
	nonce := p["nonce"]
	if nonce == "" && s.Nonce != nil {
		nonce = s.Nonce()
	}
	version := p["version"]
	if version == "" {
		version = "1.0"
	}
	oauth := map[string]string{
		"oauth_consumer_key":     p["consumerKey"],
		"oauth_signature_method": method,
		"oauth_timestamp":        ts,
		"oauth_nonce":            nonce,
		"oauth_version":          version,
	}
	if tok := p["token"]; tok != "" {
		oauth["oauth_token"] = tok
	}
	if cb := p["callback"]; cb != "" {
		oauth["oauth_callback"] = cb
	}
	if v := p["verifier"]; v != "" {
		oauth["oauth_verifier"] = v
	}
	key := oauthEscape(p["consumerSecret"]) + "&" + oauthEscape(p["tokenSecret"])
	var sig string
	switch method {
	case "PLAINTEXT":
		sig = key
	case "HMAC-SHA1", "HMAC-SHA256":
		var h func() hash.Hash = sha1.New
		if method == "HMAC-SHA256" {
			h = sha256.New
		}
		mac := hmac.New(h, []byte(key))
		mac.Write([]byte(oauthBaseString(req, oauth, body)))
		sig = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	default:
		return fmt.Errorf("oauth1: signature method %s is not supported", method)
	}
	oauth["oauth_signature"] = sig
	keys := make([]string, 0, len(oauth))
	for k := range oauth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if p["addParamsToHeader"] == "false" {
		q := req.URL.Query()
		for _, k := range keys {
			q.Set(k, oauth[k])
		}
		req.URL.RawQuery = q.Encode()
		return nil
	}
	var b strings.Builder
	b.WriteString("OAuth ")
	if realm := p["realm"]; realm != "" {
		fmt.Fprintf(&b, `realm="%s",`, oauthEscape(realm))
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, k, oauthEscape(oauth[k]))
	}
	req.Header.Set("Authorization", b.String())
	return nil
}

// oauthBaseString is RFC 5849 section 3.4.1.
func oauthBaseString(req *http.Request, oauth map[string]string, body []byte) string {
	type kv struct{ k, v string }
	var params []kv
	for k, vs := range req.URL.Query() {
		for _, v := range vs {
			params = append(params, kv{oauthEscape(k), oauthEscape(v)})
		}
	}
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, vs := range form {
				for _, v := range vs {
					params = append(params, kv{oauthEscape(k), oauthEscape(v)})
				}
			}
		}
	}
	for k, v := range oauth {
		params = append(params, kv{oauthEscape(k), oauthEscape(v)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.k + "=" + p.v
	}
	u := *req.URL
	u.RawQuery, u.Fragment = "", ""
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(u.Host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(u.Host, ":443")) {
		u.Host = u.Host[:strings.LastIndex(u.Host, ":")]
	}
	return strings.ToUpper(req.Method) + "&" + oauthEscape(u.String()) + "&" + oauthEscape(strings.Join(parts, "&"))
}

// oauthEscape is RFC 3986 percent-encoding of everything but unreserved
// characters.
func oauthEscape(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// DigestAuthorization answers a "WWW-Authenticate: Digest ..." challenge
// (RFC 7616: MD5, MD5-sess, SHA-256, SHA-256-sess; qop auth or none) for
// method and uri (path and query). cnonce is the client nonce.
func DigestAuthorization(p map[string]string, challenge, method, uri, cnonce string) (string, error) {
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(challenge)), "digest ") {
		return "", fmt.Errorf("digest: the server's challenge is not Digest")
	}
	ch := parseChallenge(strings.TrimSpace(challenge)[7:])
	algo := ch["algorithm"]
	if algo == "" {
		algo = "MD5"
	}
	var h func() hash.Hash
	switch strings.ToUpper(strings.TrimSuffix(strings.ToUpper(algo), "-SESS")) {
	case "MD5":
		h = md5.New
	case "SHA-256":
		h = sha256.New
	default:
		return "", fmt.Errorf("digest: algorithm %s is not supported", algo)
	}
	hx := func(s string) string {
		d := h()
		d.Write([]byte(s))
		return hex.EncodeToString(d.Sum(nil))
	}
	realm, nonce := ch["realm"], ch["nonce"]
	ha1 := hx(p["username"] + ":" + realm + ":" + p["password"])
	if strings.HasSuffix(strings.ToUpper(algo), "-SESS") {
		ha1 = hx(ha1 + ":" + nonce + ":" + cnonce)
	}
	ha2 := hx(method + ":" + uri)
	qop := ""
	for _, q := range strings.Split(ch["qop"], ",") {
		if strings.TrimSpace(q) == "auth" {
			qop = "auth"
		}
	}
	if ch["qop"] != "" && qop == "" {
		return "", fmt.Errorf("digest: qop %q is not supported", ch["qop"])
	}
	const nc = "00000001"
	var response string
	if qop == "auth" {
		response = hx(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	} else {
		response = hx(ha1 + ":" + nonce + ":" + ha2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=%s, response="%s"`,
		p["username"], realm, nonce, uri, algo, response)
	if qop != "" {
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce="%s"`, nc, cnonce)
	}
	if op := ch["opaque"]; op != "" {
		fmt.Fprintf(&b, `, opaque="%s"`, op)
	}
	return b.String(), nil
}

// parseChallenge reads k=v and k="v, w" pairs.
func parseChallenge(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			break
		}
		k := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimSpace(s[eq+1:])
		var v string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				v, s = s[1:], ""
			} else {
				v, s = s[1:end+1], s[end+2:]
			}
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			v, s = strings.TrimSpace(s[:end]), s[end:]
		}
		out[k] = v
		s = strings.TrimPrefix(strings.TrimSpace(s), ",")
	}
	return out
}
