package postmanapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a failed Postman API call: an error answer, a network failure
// (Status 0) or a response that is not what was expected.
type Error struct {
	// Op is the operation: me, workspaces, workspace, collection, environment.
	Op     string
	Status int
	// Name and Message come from the API's error body, in either of its
	// shapes: {"error": {"name", "message"}} or problem JSON
	// {"type", "title", "detail", "status"}.
	Name    string
	Message string
	// RetryAfter is what a 429 asked to wait.
	RetryAfter time.Duration
	// Quota is set when the monthly request quota is used up: waiting
	// minutes does not help.
	Quota bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("postman " + e.Op + ": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	if e.Quota {
		b.WriteString("monthly request quota exhausted: ")
	}
	if e.Name != "" {
		b.WriteString(e.Name + ": ")
	}
	b.WriteString(e.Message)
	return strings.TrimSuffix(b.String(), ": ")
}

// IsUnauthorized reports a key Postman rejects (401).
func IsUnauthorized(err error) bool { return statusOf(err) == http.StatusUnauthorized }

// IsNotFound reports a missing workspace, collection or environment (Postman
// answers 404, or 400 with a "not found" name for some elements).
func IsNotFound(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Status == http.StatusNotFound ||
		(e.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Name+" "+e.Message), "not found"))
}

// IsQuotaExhausted reports monthly-quota exhaustion.
func IsQuotaExhausted(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Quota
}

// IsTemporary reports an error a later retry may mend: a network error, a
// 5xx, or a 429 that is not the monthly quota.
func IsTemporary(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return !e.Quota && (e.Status == 0 || e.Status >= 500 || e.Status == http.StatusTooManyRequests)
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return -1
}

// parseError reads an error answer in any of the API's shapes.
func parseError(op string, resp *http.Response, body []byte) *Error {
	e := &Error{Op: op, Status: resp.StatusCode}
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) == nil {
		str := func(raw json.RawMessage) string {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
			if len(raw) > 0 && string(raw) != "null" {
				return string(raw)
			}
			return ""
		}
		if raw, ok := doc["error"]; ok {
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) == nil {
				e.Name, e.Message = str(inner["name"]), str(inner["message"])
			} else {
				e.Name = str(raw)
			}
		}
		if e.Name == "" {
			e.Name = str(doc["name"])
		}
		if e.Name == "" {
			e.Name = str(doc["title"])
		}
		if e.Message == "" {
			e.Message = str(doc["message"])
		}
		if e.Message == "" {
			e.Message = str(doc["detail"])
		}
	}
	if e.Message == "" && e.Name == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if len(e.Message) > 500 {
		e.Message = e.Message[:500] + "..."
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(resp.Header)
		e.Quota = quotaExhausted(resp.Header, e.Name, e.Message)
	}
	return e
}

// retryAfter reads RetryAfter / X-RateLimit-RetryAfter (seconds, as the
// Postman API sends them) or the standard Retry-After (seconds or a date).
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"RetryAfter", "X-RateLimit-RetryAfter", "Retry-After"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
			return time.Duration(f * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(time.Until(t), 0)
		}
	}
	return 0
}

// quotaExhausted tells the monthly quota from the per-minute limit.
func quotaExhausted(h http.Header, name, msg string) bool {
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining-Month")) == "0" {
		return true
	}
	text := strings.ToLower(name + " " + msg)
	for _, w := range []string{"quota", "monthly", "usage limit", "servicelimitexceeded", "limit reached for the month"} {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}
