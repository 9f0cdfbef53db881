package replay

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
)

// Reasons a request is not replayed, or a replay is not kept.
const (
	ReasonUnresolvedVariable = "unresolved_variable"
	ReasonMethodNotAllowed   = "method_not_allowed"
	ReasonBlockedTarget      = "blocked_target"
	ReasonDryRun             = "dry_run"
	ReasonCancelled          = "cancelled"
	ReasonTimeout            = "timeout"
	// Prefixes: the rest is the auth type, the status code or the cause.
	ReasonUnsupportedAuth = "unsupported_auth:"
	ReasonNon2xx          = "non_2xx:"
	ReasonServerError     = "server_error:"
	ReasonUnreachable     = "unreachable:"
)

// HostChecker refuses targets before any lookup (egress.Policy.CheckHost).
type HostChecker func(host string) error

// Classify says whether a request (with no usable saved response) is
// replayed: it returns "" to replay, else the reason it is not and a detail.
func Classify(r *postman.Request, o inventory.ImportOptions, check HostChecker) (reason, detail string) {
	if len(r.HostUnresolved) > 0 {
		return ReasonUnresolvedVariable, strings.Join(r.HostUnresolved, ", ")
	}
	if r.Built.URL.Host == "" {
		return ReasonUnresolvedVariable, "the URL has no host"
	}
	if !MethodAllowed(o, r.Built.Method) {
		return ReasonMethodNotAllowed, r.Built.Method + " is not in replay_methods"
	}
	if postman.HandlingOf(r.Auth) == postman.AuthUnsupported {
		return ReasonUnsupportedAuth + r.Auth.Type, "apiscout cannot apply " + r.Auth.Type + " auth"
	}
	target, err := TargetURL(r.Built.URL, o.TargetOverride)
	if err != nil {
		return ReasonUnresolvedVariable, err.Error()
	}
	if check != nil {
		if err := check(hostOf(target)); err != nil {
			return ReasonBlockedTarget, err.Error()
		}
	}
	return "", ""
}

func hostOf(rawURL string) string {
	rest := rawURL[strings.Index(rawURL, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, "[") {
		if i := strings.Index(rest, "]"); i >= 0 {
			return rest[1:i]
		}
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		return rest[:i]
	}
	return rest
}

// TargetURL is the URL a request is sent to: its resolved URL, with the
// origin replaced when the import overrides it, and characters that may
// not appear in a URL percent-encoded.
func TargetURL(u postman.URL, override map[string]string) (string, error) {
	if u.Host == "" {
		return "", fmt.Errorf("the URL has no host")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("scheme %q cannot be replayed", u.Scheme)
	}
	prefix := scheme + "://" + u.Host
	if u.Port != "" {
		prefix += ":" + u.Port
	}
	rest := u.Raw
	if strings.HasPrefix(strings.ToLower(rest), strings.ToLower(prefix)) {
		rest = rest[len(prefix):]
	} else {
		rest = u.Path
	}
	org := originOf(scheme, u.Host, u.Port)
	if to, ok := override[org]; ok {
		org = to
	}
	return org + encodeURLRest(rest), nil
}

// encodeURLRest percent-encodes what may not appear in a path and query,
// leaving existing escapes and reserved characters alone (as Postman's URL
// encoder does).
func encodeURLRest(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte("\"<>`{}|\\^#", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// NewHTTPRequest builds the request that replays r at target (from
// TargetURL). Send-time auth (oauth1, awsv4) is applied by Sign; digest by
// the sender on the server's challenge.
func NewHTTPRequest(ctx context.Context, b postman.BuiltRequest, target string) (*http.Request, error) {
	body, contentType, err := encodeBody(b.Body)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(b.Method)
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for _, h := range b.Headers {
		if h.Key == "" || strings.EqualFold(h.Key, "Content-Length") {
			continue
		}
		if strings.EqualFold(h.Key, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Key, h.Value)
	}
	switch {
	case b.Body != nil && b.Body.Mode == postman.BodyFormData:
		// The boundary is ours: it replaces a hand-written multipart type.
		req.Header.Set("Content-Type", contentType)
	case contentType != "" && req.Header.Get("Content-Type") == "":
		req.Header.Set("Content-Type", contentType)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "apiscout-replay/1")
	}
	return req, nil
}

// encodeBody returns the bytes sent and their content type.
func encodeBody(b *postman.Body) ([]byte, string, error) {
	if b == nil {
		return nil, "", nil
	}
	if b.Mode != postman.BodyFormData {
		return []byte(b.Raw), b.ContentType, nil
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range b.Form {
		// A file part's content is not in the collection: it is sent
		// empty, with its file name (the request is flagged
		// file_part_missing by the parser).
		if f.File != "" {
			if _, err := w.CreateFormFile(f.Key, f.File); err != nil {
				return nil, "", err
			}
			continue
		}
		part, err := w.CreateFormField(f.Key)
		if err == nil {
			_, err = io.WriteString(part, f.Value)
		}
		if err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}
