// Package postmanapi is a client of the Postman API (api.getpostman.com):
// the authenticated user, workspaces, collections and environments. Every
// request carries the key in the X-Api-Key header, waits for a per-key rate
// limiter shared by all processes (Limiter), honours the RetryAfter of a
// 429 and reports monthly-quota exhaustion as such. The key never appears in
// an error, a log line or a metric label.
package postmanapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/apiscout/apiscout/shared/secret"
)

// Defaults of Config fields left zero.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultMaxAttempts  = 5
	DefaultMaxWait      = 2 * time.Minute
	DefaultBackoff      = time.Second
	DefaultMaxBodyBytes = 64 << 20
	// PageLimit is the page size asked of GET /workspaces (the API's maximum).
	PageLimit = 100
	// maxPages bounds cursor paging against a server that never ends.
	maxPages = 1000
)

// Limiter spaces requests per API key across every process.
type Limiter interface {
	// Wait blocks until one more request with the key named keyID may go.
	Wait(ctx context.Context, keyID string) error
	// Hold makes every process wait d before the next request with keyID
	// (Postman answered 429).
	Hold(ctx context.Context, keyID string, d time.Duration) error
}

// Config configures a Client.
type Config struct {
	// BaseURL is the API root, e.g. https://api.getpostman.com. Required.
	BaseURL string
	// HTTPClient sends the requests; nil means one with Timeout.
	HTTPClient *http.Client
	// Timeout bounds one request when HTTPClient is nil; 0 means DefaultTimeout.
	Timeout time.Duration
	// Limiter, when set, is waited for before every request.
	Limiter Limiter
	// MaxAttempts bounds the tries of a request that got a 429, a 5xx or a
	// network error; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxWait is the longest RetryAfter honoured by waiting; a longer one
	// is returned as the error. 0 means DefaultMaxWait.
	MaxWait time.Duration
	// Backoff is the first wait after a 5xx or network error (doubling);
	// 0 means DefaultBackoff.
	Backoff time.Duration
	// MaxBodyBytes caps a response body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Observe, when set, is called after every response with the operation
	// name (a fixed word) and the HTTP status (0 for a network error).
	Observe func(op string, status int)
}

// Client talks to the Postman API. It is safe for concurrent use.
type Client struct {
	base *url.URL
	http *http.Client
	cfg  Config
}

// New returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("postmanapi: bad base URL %q", cfg.BaseURL)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &Client{base: base, http: hc, cfg: cfg}, nil
}

// KeyID names an API key for rate limiting without revealing it.
func KeyID(key secret.Secret) string {
	sum := sha256.Sum256([]byte("apiscout postman key\x00" + key.Reveal()))
	return hex.EncodeToString(sum[:12])
}

// Session is the client bound to one API key.
type Session struct {
	c     *Client
	key   secret.Secret
	keyID string
}

// With binds the client to an API key.
func (c *Client) With(key secret.Secret) *Session {
	return &Session{c: c, key: key, keyID: KeyID(key)}
}

// User is the owner of an API key (GET /me).
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	FullName string `json:"fullName"`
	TeamName string `json:"teamName"`
}

// WorkspaceSummary is one entry of GET /workspaces.
type WorkspaceSummary struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Visibility string `json:"visibility,omitempty"`
}

// Element is a collection or environment listed by a workspace.
type Element struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// Workspace is GET /workspaces/{id}.
type Workspace struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Type         string    `json:"type"`
	Collections  []Element `json:"collections"`
	Environments []Element `json:"environments"`
}

// CollectionInfo is the info block of GET /collections/{uid}.
type CollectionInfo struct {
	PostmanID string `json:"_postman_id"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
	UpdatedAt string `json:"updatedAt"`
}

// EnvironmentInfo describes GET /environments/{uid}.
type EnvironmentInfo struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	UpdatedAt string `json:"updatedAt"`
}

// Me checks the key and returns its user.
func (s *Session) Me(ctx context.Context) (User, error) {
	var out struct {
		User User `json:"user"`
	}
	err := s.getJSON(ctx, "me", "/me", nil, &out)
	return out.User, err
}

// Workspaces lists every workspace the key can see, following the cursor
// (meta.nextCursor) through all pages.
func (s *Session) Workspaces(ctx context.Context) ([]WorkspaceSummary, error) {
	var all []WorkspaceSummary
	seen := map[string]bool{}
	cursor := ""
	for range maxPages {
		q := url.Values{"limit": {fmt.Sprint(PageLimit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Workspaces []WorkspaceSummary `json:"workspaces"`
			Meta       struct {
				NextCursor string `json:"nextCursor"`
			} `json:"meta"`
		}
		if err := s.getJSON(ctx, "workspaces", "/workspaces", q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Workspaces...)
		cursor = page.Meta.NextCursor
		if cursor == "" {
			return all, nil
		}
		if seen[cursor] {
			return nil, &Error{Op: "workspaces", Message: "the API repeated a paging cursor"}
		}
		seen[cursor] = true
	}
	return nil, &Error{Op: "workspaces", Message: fmt.Sprintf("more than %d pages of workspaces", maxPages)}
}

// Workspace returns a workspace with its collections and environments.
func (s *Session) Workspace(ctx context.Context, id string) (Workspace, error) {
	var out struct {
		Workspace Workspace `json:"workspace"`
	}
	err := s.getJSON(ctx, "workspace", "/workspaces/"+url.PathEscape(id), nil, &out)
	return out.Workspace, err
}

// Collection returns a collection as the API sends it ({"collection": ...},
// always schema v2.1) and its info block.
func (s *Session) Collection(ctx context.Context, uid string) ([]byte, CollectionInfo, error) {
	body, err := s.get(ctx, "collection", "/collections/"+url.PathEscape(uid), nil)
	if err != nil {
		return nil, CollectionInfo{}, err
	}
	var out struct {
		Collection *struct {
			Info CollectionInfo `json:"info"`
		} `json:"collection"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Collection == nil {
		return nil, CollectionInfo{}, &Error{Op: "collection", Status: http.StatusOK, Message: "the response is not a {\"collection\": ...} document"}
	}
	return body, out.Collection.Info, nil
}

// Environment returns an environment as the API sends it
// ({"environment": ...}) and its description.
func (s *Session) Environment(ctx context.Context, uid string) ([]byte, EnvironmentInfo, error) {
	body, err := s.get(ctx, "environment", "/environments/"+url.PathEscape(uid), nil)
	if err != nil {
		return nil, EnvironmentInfo{}, err
	}
	var out struct {
		Environment *EnvironmentInfo `json:"environment"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Environment == nil {
		return nil, EnvironmentInfo{}, &Error{Op: "environment", Status: http.StatusOK, Message: "the response is not an {\"environment\": ...} document"}
	}
	return body, *out.Environment, nil
}

func (s *Session) getJSON(ctx context.Context, op, path string, q url.Values, v any) error {
	body, err := s.get(ctx, op, path, q)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Op: op, Status: http.StatusOK, Message: "the response is not the JSON expected: " + err.Error()}
	}
	return nil
}

// get sends GET path with retries: a 429 waits its RetryAfter (shared with
// every process through the limiter), a 5xx or network error backs off;
// anything else is returned at once.
func (s *Session) get(ctx context.Context, op, path string, q url.Values) ([]byte, error) {
	u := *s.c.base
	u.Path += path
	u.RawQuery = q.Encode()
	cfg := s.c.cfg
	backoff := cfg.Backoff
	for attempt := 1; ; attempt++ {
		if cfg.Limiter != nil {
			if err := cfg.Limiter.Wait(ctx, s.keyID); err != nil {
				return nil, fmt.Errorf("postman %s: rate limiter: %w", op, err)
			}
		}
		body, err := s.once(ctx, op, u.String())
		var apiErr *Error
		if err == nil || !errors.As(err, &apiErr) || ctx.Err() != nil {
			return body, err
		}
		var wait time.Duration
		switch {
		case apiErr.Quota:
			return nil, apiErr
		case apiErr.Status == http.StatusTooManyRequests:
			wait = apiErr.RetryAfter
			if wait <= 0 {
				wait = backoff
				backoff *= 2
			}
			if wait > cfg.MaxWait {
				return nil, apiErr
			}
			if cfg.Limiter != nil {
				if err := cfg.Limiter.Hold(ctx, s.keyID, wait); err != nil {
					return nil, fmt.Errorf("postman %s: rate limiter: %w", op, err)
				}
			}
		case apiErr.Status == 0 || apiErr.Status >= 500:
			wait = backoff
			backoff *= 2
		default:
			return nil, apiErr
		}
		if attempt >= cfg.MaxAttempts {
			return nil, apiErr
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, apiErr
		}
	}
}

// once sends one request. Errors are *Error; the key is only in a header.
func (s *Session) once(ctx context.Context, op, target string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, &Error{Op: op, Message: "bad request: " + err.Error()}
	}
	req.Header.Set("X-Api-Key", s.key.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "apiscout")
	resp, err := s.c.http.Do(req)
	if err != nil {
		s.observe(op, 0)
		return nil, &Error{Op: op, Message: "request failed: " + networkReason(err)}
	}
	defer resp.Body.Close()
	s.observe(op, resp.StatusCode)
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.c.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, &Error{Op: op, Message: "reading the response failed: " + networkReason(err)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if int64(len(body)) > s.c.cfg.MaxBodyBytes {
			return nil, &Error{Op: op, Status: resp.StatusCode, Name: "tooLarge",
				Message: fmt.Sprintf("the response is larger than %d bytes", s.c.cfg.MaxBodyBytes)}
		}
		return body, nil
	}
	return nil, parseError(op, resp, body)
}

func (s *Session) observe(op string, status int) {
	if s.c.cfg.Observe != nil {
		s.c.cfg.Observe(op, status)
	}
}

// networkReason describes a transport error without its URL.
func networkReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
