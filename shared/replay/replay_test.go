package replay

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	o := inventory.ImportOptions{AllowReplay: true}
	require.NoError(t, Normalize(&o))
	require.Equal(t, inventory.MethodList{"GET", "HEAD", "OPTIONS"}, o.ReplayMethods)
	require.Equal(t, inventory.Duration(30*time.Second), o.ReplayTimeout)
	require.True(t, *o.FollowRedirects)
	require.Equal(t, 10, o.MaxRPSPerHost)
	require.Equal(t, []string{"2xx"}, o.KeepStatuses)

	tests := []struct {
		name string
		o    inventory.ImportOptions
		ok   bool
	}{
		{"no replay, no options", inventory.ImportOptions{}, true},
		{"replay option without allow_replay", inventory.ImportOptions{DryRun: true}, false},
		{"all", inventory.ImportOptions{AllowReplay: true, ReplayMethods: inventory.MethodList{"all"}}, true},
		{"all with others", inventory.ImportOptions{AllowReplay: true, ReplayMethods: inventory.MethodList{"all", "GET"}}, false},
		{"bad method", inventory.ImportOptions{AllowReplay: true, ReplayMethods: inventory.MethodList{"G E T"}}, false},
		{"timeout too long", inventory.ImportOptions{AllowReplay: true, ReplayTimeout: inventory.Duration(time.Hour)}, false},
		{"rps too high", inventory.ImportOptions{AllowReplay: true, MaxRPSPerHost: 1 << 20}, false},
		{"statuses", inventory.ImportOptions{AllowReplay: true, KeepStatuses: []string{"2xx", "404", "300-399"}}, true},
		{"bad status", inventory.ImportOptions{AllowReplay: true, KeepStatuses: []string{"7xx"}}, false},
		{"override", inventory.ImportOptions{AllowReplay: true, TargetOverride: inventory.Overrides{"HTTPS://API.example.com:443": "http://127.0.0.1:9000"}}, true},
		{"override with path", inventory.ImportOptions{AllowReplay: true, TargetOverride: inventory.Overrides{"https://a.example.com/v1": "http://127.0.0.1:9000"}}, false},
	}
	for _, tt := range tests {
		err := Normalize(&tt.o)
		require.Equal(t, tt.ok, err == nil, "%s: %v", tt.name, err)
	}
	o = inventory.ImportOptions{AllowReplay: true, TargetOverride: inventory.Overrides{"HTTPS://API.example.com:443": "http://127.0.0.1:9000/"}}
	require.NoError(t, Normalize(&o))
	require.Equal(t, inventory.Overrides{"https://api.example.com": "http://127.0.0.1:9000"}, o.TargetOverride)
}

func TestStatusesAndJudge(t *testing.T) {
	t.Parallel()
	keep, err := ParseStatuses([]string{"2xx", "404"})
	require.NoError(t, err)
	tests := []struct {
		status int
		want   Verdict
		reason string
	}{
		{200, Keep, ""}, {204, Keep, ""}, {404, Keep, ""},
		{301, Drop, "non_2xx:301"}, {401, Drop, "non_2xx:401"},
		{429, Retry, "server_error:429"}, {503, Retry, "server_error:503"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Judge(tt.status, keep), tt.status)
		if tt.reason != "" {
			require.Equal(t, tt.reason, NonKeptReason(tt.status))
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	o := inventory.ImportOptions{AllowReplay: true}
	require.NoError(t, Normalize(&o))
	ok := postman.Request{Built: postman.BuiltRequest{Method: "GET", URL: postman.URL{Raw: "https://api.example.com/x", Scheme: "https", Host: "api.example.com", Path: "/x"}}}
	blockAll := func(string) error { return errors.New("blocked") }
	tests := []struct {
		name   string
		r      postman.Request
		check  HostChecker
		reason string
	}{
		{"replayed", ok, nil, ""},
		{"blocked", ok, blockAll, ReasonBlockedTarget},
		{"host variable", postman.Request{HostUnresolved: []string{"baseUrl"}, Built: ok.Built}, nil, ReasonUnresolvedVariable},
		{"post", postman.Request{Built: postman.BuiltRequest{Method: "POST", URL: ok.Built.URL}}, nil, ReasonMethodNotAllowed},
		{"ntlm", postman.Request{Built: ok.Built, Auth: &postman.Auth{Type: "ntlm"}}, nil, "unsupported_auth:ntlm"},
		{"digest is fine", postman.Request{Built: ok.Built, Auth: &postman.Auth{Type: "digest"}}, nil, ""},
	}
	for _, tt := range tests {
		reason, _ := Classify(&tt.r, o, tt.check)
		require.Equal(t, tt.reason, reason, tt.name)
	}
}

func TestTargetURL(t *testing.T) {
	t.Parallel()
	u := postman.URL{Raw: "https://api.example.com/v1/a b?q=1&x={y}", Scheme: "https", Host: "api.example.com", Path: "/v1/a b"}
	got, err := TargetURL(u, nil)
	require.NoError(t, err)
	require.Equal(t, "https://api.example.com/v1/a%20b?q=1&x=%7By%7D", got)
	got, err = TargetURL(u, map[string]string{"https://api.example.com": "http://127.0.0.1:9000"})
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9000/v1/a%20b?q=1&x=%7By%7D", got)
	_, err = TargetURL(postman.URL{Raw: "ftp://x/y", Scheme: "ftp", Host: "x"}, nil)
	require.Error(t, err)
}

func TestNewHTTPRequestBodies(t *testing.T) {
	t.Parallel()
	b := postman.BuiltRequest{Method: "POST", Headers: []postman.KV{{Key: "X-A", Value: "1"}, {Key: "Content-Type", Value: "multipart/form-data"}},
		Body: &postman.Body{Mode: postman.BodyFormData, Form: []postman.FormField{{Key: "name", Value: "jane"}, {Key: "doc", File: "a.pdf"}}}}
	req, err := NewHTTPRequest(context.Background(), b, "http://127.0.0.1/upload")
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mt)
	mr := multipart.NewReader(req.Body, params["boundary"])
	p, err := mr.NextPart()
	require.NoError(t, err)
	v, _ := io.ReadAll(p)
	require.Equal(t, "jane", string(v))
	p, err = mr.NextPart()
	require.NoError(t, err)
	require.Equal(t, "a.pdf", p.FileName())
	require.Equal(t, "1", req.Header.Get("X-A"))

	raw := postman.BuiltRequest{Method: "put", Body: &postman.Body{Mode: postman.BodyRaw, Raw: `{"a":1}`, ContentType: "application/json"}}
	req, err = NewHTTPRequest(context.Background(), raw, "http://127.0.0.1/x")
	require.NoError(t, err)
	require.Equal(t, http.MethodPut, req.Method)
	require.Equal(t, "application/json", req.Header.Get("Content-Type"))
	body, _ := io.ReadAll(req.Body)
	require.Equal(t, `{"a":1}`, string(body))
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	h := http.Header{"Authorization": {"Bearer x"}, "X-Api-Key": {"k"}, "Accept": {"*/*"}, "Set-Cookie": {"s=1"}}
	got := RedactHeaders(h)
	for _, x := range got {
		if x.Name == "Accept" {
			require.Equal(t, "*/*", x.Value)
		} else {
			require.Equal(t, Redacted, x.Value, x.Name)
		}
	}
	require.Equal(t, "https://a/x?access_token=[REDACTED]&q=1", RedactURL("https://a/x?access_token=abc&q=1"))
	require.False(t, strings.Contains(RedactURL("https://a/x?api_key=abc"), "abc"))
}
