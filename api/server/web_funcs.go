package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/sensitive"
)

// maxPrettyBody is the largest body the endpoint page re-indents.
const maxPrettyBody = 256 << 10

// webFuncs are the page templates' helpers: formatting only, no logic.
var webFuncs = template.FuncMap{
	"join": func(sep string, v any) string {
		switch l := v.(type) {
		case []string:
			return strings.Join(l, sep)
		case []int:
			parts := make([]string, len(l))
			for i, n := range l {
				parts[i] = fmt.Sprint(n)
			}
			return strings.Join(parts, sep)
		}
		return fmt.Sprint(v)
	},
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// statusClass is the CSS class of an HTTP status: s2xx .. s5xx.
	"statusClass": func(code int) string { return "s" + inventory.StatusClass(code) },
	"lower":       strings.ToLower,
	"pathEscape":  url.PathEscape,
	"queryEscape": url.QueryEscape,
	// pretty re-indents a JSON body for reading; anything else is shown as
	// stored.
	"pretty": func(body string) string {
		trimmed := strings.TrimSpace(body)
		if len(trimmed) > maxPrettyBody || !(strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")) {
			return body
		}
		var out bytes.Buffer
		if err := json.Indent(&out, []byte(trimmed), "", "  "); err != nil {
			return body
		}
		return out.String()
	},
	"severityOf": func(ep inventory.Endpoint, t sensitive.Type) string {
		worst := ""
		rank := map[sensitive.Severity]int{sensitive.Low: 1, sensitive.Medium: 2, sensitive.High: 3}
		for _, f := range ep.Sensitive {
			if f.Type == t && rank[f.Severity] > rank[sensitive.Severity(worst)] {
				worst = string(f.Severity)
			}
		}
		return strings.ToLower(worst)
	},
	"sortLabel": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"pct": func(part, total int) int {
		if total <= 0 {
			return 0
		}
		return part * 100 / total
	},
	"contains": func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}
