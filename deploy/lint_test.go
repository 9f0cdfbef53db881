// Package deploy_test lints the deployment files as data: the Grafana
// dashboard, the Prometheus scrape configuration and alert rules, the
// docker compose file and the Kubernetes manifests. No Docker engine,
// Prometheus or cluster is needed.
package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/apiscout/apiscout/shared/metrics"
)

// repoFile is a path relative to the repository root (this folder's parent).
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{".."}, parts...)...)
}

// readYAML decodes every document of a YAML file (a list of one for a
// single-document file), failing on syntax errors and duplicate keys.
func readYAML(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, path)
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	require.NotEmpty(t, docs, path)
	return docs
}

// Accessors for decoded YAML/JSON: they fail the test when the shape is
// not the expected one.
func obj(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "%s: want a mapping, got %T", what, v)
	return m
}

func list(t *testing.T, v any, what string) []any {
	t.Helper()
	l, ok := v.([]any)
	require.True(t, ok, "%s: want a list, got %T", what, v)
	return l
}

func str(t *testing.T, v any, what string) string {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "%s: want a string, got %T (%v)", what, v, v)
	return s
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exportedMetrics is every series name an apiscout process can export:
// shared/metrics' collectors (found by reflection, so new ones count
// without editing this test), the Go and process collectors, asynq's queue
// collector (metrics.QueueMetricNames, checked against the real collector
// in shared/metrics), with the _bucket/_sum/_count series of histograms and
// summaries, and Prometheus's own "up".
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{"up": true}
	add := func(name string, distribution bool) {
		names[name] = true
		if distribution {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = true
			}
		}
	}
	m := metrics.New()
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok {
			continue
		}
		_, hist := c.(*prometheus.HistogramVec)
		_, summ := c.(*prometheus.SummaryVec)
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			match := fqName.FindStringSubmatch(d.String())
			require.NotNil(t, match, d.String())
			add(match[1], hist || summ)
		}
	}
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		add(f.GetName(), f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY)
	}
	for _, n := range metrics.QueueMetricNames {
		add(n, false)
	}
	require.True(t, names["apiscout_task_duration_seconds_bucket"])
	require.True(t, names["go_goroutines"])
	return names
}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promMatchers  = regexp.MustCompile(`\{[^{}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\[\]]*\]`)
	promGrouping  = regexp.MustCompile(`(?i)\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promVariables = regexp.MustCompile(`\$\{?\w+\}?`)
	promIdent     = regexp.MustCompile(`\b[A-Za-z_:][A-Za-z0-9_:]*\b(\s*\()?`)
	promKeywords  = map[string]bool{
		"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true,
		"on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true,
	}
)

// promQLMetrics returns the metric names a PromQL expression reads: the
// identifiers left once strings, label matchers, ranges, grouping clauses,
// dashboard variables, functions and keywords are taken out.
func promQLMetrics(expr string) []string {
	e := promStrings.ReplaceAllString(expr, `""`)
	e = promMatchers.ReplaceAllString(e, " ")
	e = promRanges.ReplaceAllString(e, " ")
	e = promGrouping.ReplaceAllString(e, " ")
	e = promVariables.ReplaceAllString(e, " ")
	var out []string
	for _, m := range promIdent.FindAllStringSubmatch(e, -1) {
		name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[0]), "("))
		if m[1] != "" || promKeywords[strings.ToLower(name)] {
			continue // a function or aggregation, or a keyword
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestPromQLMetrics(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"apiscout_imports_total"},
		promQLMetrics(`sum by (status) (rate(apiscout_imports_total{status="failed", x=~"a|b"}[$__rate_interval])) * 60`))
	require.Equal(t, []string{"a_total", "b_bucket"},
		promQLMetrics("histogram_quantile(0.95, sum(rate(b_bucket[5m])) by (le)) / ignoring(x) group_left a_total offset 1h > bool 1e-3"))
	require.Equal(t, []string{"asynq_queue_size"}, promQLMetrics(`absent(asynq_queue_size)`))
	require.Equal(t, []string{"up"}, promQLMetrics(`up{job=~"apiscout-.*"} == 0 and on() vector(1)`))
}

// requireExported fails for any metric expr reads that no process exports.
func requireExported(t *testing.T, exported map[string]bool, where, expr string) []string {
	t.Helper()
	names := promQLMetrics(expr)
	require.NotEmpty(t, names, "%s: no metric in %q", where, expr)
	for _, n := range names {
		require.True(t, exported[n], "%s: %q reads %s, which no apiscout process exports", where, expr, n)
	}
	return names
}
