package replay

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/apiscout/apiscout/shared/inventory"
)

// Result is what one replay produced; it is parked in Redis until a batch
// writes it.
type Result struct {
	Index int `json:"i"`
	// Outcome is inventory.OutcomeImported (a sample was taken) or
	// inventory.OutcomeSkipped (Reason says why).
	Outcome   string `json:"o"`
	Reason    string `json:"r,omitempty"`
	Detail    string `json:"d,omitempty"`
	Status    int    `json:"s,omitempty"`
	LatencyMS int64  `json:"l,omitempty"`
	// OriginalURL is the collection's URL, ReplayedURL the one sent to
	// (they differ with a target override).
	OriginalURL string `json:"u,omitempty"`
	ReplayedURL string `json:"ru,omitempty"`
	// Request and Response are set when Outcome is imported.
	Request  *inventory.SampleRequest  `json:"req,omitempty"`
	Response *inventory.SampleResponse `json:"resp,omitempty"`
}

// Field is the replaystate counter a result counts under.
func (r Result) Field() string {
	if r.Outcome == inventory.OutcomeImported {
		return "imported"
	}
	return "skipped:" + r.Reason
}

// Verdict is what to do with an answer.
type Verdict int

const (
	// Keep: the answer becomes a sample.
	Keep Verdict = iota
	// Drop: not kept, not retried (reason non_2xx:<code>).
	Drop
	// Retry: a 5xx or 429 worth another attempt (if any remain).
	Retry
)

// Judge decides what to do with a status.
func Judge(status int, keep Statuses) Verdict {
	switch {
	case keep.Contains(status):
		return Keep
	case status >= 500 || status == http.StatusTooManyRequests:
		return Retry
	}
	return Drop
}

// NonKeptReason is the reason of an answer not kept after the last attempt.
func NonKeptReason(status int) string {
	if status >= 500 || status == http.StatusTooManyRequests {
		return ReasonServerError + strconv.Itoa(status)
	}
	return ReasonNon2xx + strconv.Itoa(status)
}

// Redacted replaces the value of stored secrets.
const Redacted = "[REDACTED]"

var secretName = regexp.MustCompile(`(?i)(auth|token|secret|passw|api[-_]?key|apikey|session|cookie|signature|credential|private)`)

// IsSecretName reports whether a header or query parameter name carries a
// secret (Authorization, Cookie, X-Api-Key, access_token, ...).
func IsSecretName(name string) bool { return secretName.MatchString(name) }

// RedactHeaders returns headers with secret values replaced.
func RedactHeaders(h http.Header) []inventory.Header { return headers(h, true) }

// Headers returns headers as they are (for APISCOUT_REDACT_SAMPLES=false).
func Headers(h http.Header) []inventory.Header { return headers(h, false) }

func headers(h http.Header, redact bool) []inventory.Header {
	out := make([]inventory.Header, 0, len(h))
	for name, vals := range h {
		for _, v := range vals {
			if redact && IsSecretName(name) {
				v = Redacted
			}
			out = append(out, inventory.Header{Name: name, Value: v})
		}
	}
	sortHeaders(out)
	return out
}

// RedactURL replaces the values of secret query parameters.
func RedactURL(raw string) string {
	base, query, ok := strings.Cut(raw, "?")
	if !ok {
		return raw
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		if hasValue && IsSecretName(k) {
			parts[i] = k + "=" + Redacted
		}
	}
	return base + "?" + strings.Join(parts, "&")
}

func sortHeaders(h []inventory.Header) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].Name < h[j-1].Name; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}
