package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// requestTimeout bounds one API call other than an upload.
const requestTimeout = time.Minute

// client talks to an apiscout server.
type client struct {
	base  *url.URL
	token string
	http  *http.Client
}

func newClient(rawURL, token string) (*client, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host[:port]", rawURL)
	}
	return &client{base: u, token: token, http: &http.Client{}}, nil
}

// apiError is an error answer of the server.
type apiError struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Code, e.Message)
	if len(e.Details) > 0 {
		d, _ := json.Marshal(e.Details)
		msg += " " + string(d)
	}
	return msg
}

// do sends a request and decodes a 2xx JSON answer into out (when not nil);
// any other answer is an *apiError.
func (c *client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	u := *c.base
	rel, err := url.Parse(path)
	if err != nil {
		return err
	}
	u.Path += rel.Path
	u.RawQuery = rel.RawQuery
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "apiscout-cli")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.base.Host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*rawBody); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the server answered %d with unreadable JSON: %w", resp.StatusCode, err)
	}
	return nil
}

// get is do for a GET with a time limit.
func (c *client) get(ctx context.Context, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return c.do(ctx, http.MethodGet, path, nil, "", out)
}

func decodeError(status int, data []byte) error {
	var body struct {
		Error *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		return &apiError{Status: status, Code: body.Error.Code, Message: body.Error.Message, Details: body.Error.Details}
	}
	// Not apiscout's shape (a proxy, a load balancer): show its first line.
	text := strings.TrimSpace(string(data))
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	if text == "" {
		text = http.StatusText(status)
	}
	return &apiError{Status: status, Code: fmt.Sprintf("http_%d", status), Message: text}
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// page is the shape of every list answer.
type page struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor *string           `json:"next_cursor"`
}

// list follows a list's cursors until it has limit items (0: all).
func (c *client) list(ctx context.Context, path string, limit int) ([]json.RawMessage, error) {
	var all []json.RawMessage
	cursor := ""
	for {
		size := 1000
		if limit > 0 && limit-len(all) < size {
			size = limit - len(all)
		}
		q := url.Values{"limit": {fmt.Sprint(size)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		var p page
		if err := c.get(ctx, path+sep+q.Encode(), &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == nil || (limit > 0 && len(all) >= limit) {
			return all, nil
		}
		cursor = *p.NextCursor
	}
}

// writeJSON prints v indented, for -o json.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
