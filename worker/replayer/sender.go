package replayer

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/apiscout/apiscout/shared/egress"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/replay"
)

// Sender sends replayed requests through the egress guard.
type Sender struct {
	policy   egress.Policy
	bodyMax  int
	signer   replay.Signer
	secure   *http.Transport
	insecure *http.Transport
}

// NewSender returns a Sender. HTTP(S)_PROXY / NO_PROXY are honoured; the
// proxy itself is dialled without the guard (the operator chose it), and
// targets are still checked by name before a proxied request is sent.
func NewSender(policy egress.Policy, bodyMax int) *Sender {
	var passthrough []string
	for _, v := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		if u, err := url.Parse(os.Getenv(v)); err == nil && u.Host != "" {
			host, port := u.Hostname(), u.Port()
			if port == "" {
				port = map[string]string{"https": "443"}[u.Scheme]
				if port == "" {
					port = "80"
				}
			}
			passthrough = append(passthrough, net.JoinHostPort(host, port))
		}
	}
	dialer := &egress.Dialer{Policy: policy, Dialer: &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}, Passthrough: passthrough}
	mk := func(insecure bool) *http.Transport {
		return &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSClientConfig:       &tls.Config{InsecureSkipVerify: insecure}, //nolint:gosec // the import's explicit insecure_tls option
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 0,
			ForceAttemptHTTP2:     true,
		}
	}
	return &Sender{
		policy: policy, bodyMax: bodyMax,
		signer: replay.Signer{Nonce: nonce},
		secure: mk(false), insecure: mk(true),
	}
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Answer is what a server answered.
type Answer struct {
	Status    int
	Header    http.Header
	Body      []byte
	Truncated bool
	// Sent is the last request sent (after redirects), for the sample.
	SentHeader http.Header
	SentURL    string
	Latency    time.Duration
}

// errTooManyRedirects ends a redirect chain.
var errTooManyRedirects = errors.New("too many redirects")

// Send sends r to target with the import's options.
func (s *Sender) Send(ctx context.Context, r *postman.Request, o inventory.ImportOptions, target string) (*Answer, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(o.ReplayTimeout))
	defer cancel()
	t := s.secure
	if o.InsecureTLS {
		t = s.insecure
	}
	client := &http.Client{Transport: t, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if o.FollowRedirects != nil && !*o.FollowRedirects {
			return http.ErrUseLastResponse
		}
		if len(via) > replay.MaxRedirects {
			return errTooManyRedirects
		}
		if err := s.policy.CheckHost(req.URL.Hostname()); err != nil {
			return err
		}
		if req.URL.Host != via[0].URL.Host {
			req.Header.Del("Authorization")
		}
		return nil
	}}
	body, err := bodyBytes(r.Built.Body)
	if err != nil {
		return nil, err
	}
	req, err := replay.NewHTTPRequest(ctx, r.Built, target)
	if err != nil {
		return nil, err
	}
	if err := s.signer.Sign(ctx, req, r.Auth, body); err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && r.Auth != nil && r.Auth.Type == "digest" {
		challenge := resp.Header.Get("WWW-Authenticate")
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		req2, err2 := replay.NewHTTPRequest(ctx, r.Built, target)
		if err2 != nil {
			return nil, err2
		}
		h, err2 := replay.DigestAuthorization(r.Auth.Params, challenge, req2.Method, req2.URL.RequestURI(), nonce())
		if err2 != nil {
			return nil, err2
		}
		req2.Header.Set("Authorization", h)
		req = req2
		resp, err = client.Do(req2)
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(s.bodyMax)+1))
	if err != nil {
		return nil, err
	}
	a := &Answer{Status: resp.StatusCode, Header: resp.Header, Latency: time.Since(start),
		SentHeader: resp.Request.Header, SentURL: resp.Request.URL.String()}
	if s.bodyMax > 0 && len(data) > s.bodyMax {
		data, a.Truncated = data[:s.bodyMax], true
	}
	a.Body = data
	return a, nil
}

func bodyBytes(b *postman.Body) ([]byte, error) {
	if b == nil || b.Mode == postman.BodyFormData {
		return nil, nil
	}
	return []byte(b.Raw), nil
}

// Cause maps a send error to a reason and whether another attempt may help.
func Cause(err error) (reason string, retry bool) {
	var ne net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, egress.ErrBlocked):
		return replay.ReasonBlockedTarget, false
	case errors.Is(err, errTooManyRedirects):
		return replay.ReasonUnreachable + "too_many_redirects", false
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return replay.ReasonTimeout, true
	case errors.As(err, &dnsErr):
		return replay.ReasonUnreachable + "dns", !dnsErr.IsNotFound
	case errors.Is(err, syscall.ECONNREFUSED):
		return replay.ReasonUnreachable + "connection_refused", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return replay.ReasonUnreachable + "connection_reset", true
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return replay.ReasonUnreachable + "tls", false
	}
	return replay.ReasonUnreachable + "network", true
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
