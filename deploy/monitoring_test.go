package deploy_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const monitoring = "deploy/monitoring"

// TestGrafanaDashboard lints the provisioned dashboard: valid JSON, unique
// panel ids, the provisioned data source, and only metrics we export.
func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	exported := exportedMetrics(t)
	data, err := os.ReadFile(repoFile(monitoring, "grafana/dashboards/apiscout.json"))
	require.NoError(t, err)
	var dash map[string]any
	require.NoError(t, json.Unmarshal(data, &dash), "dashboard JSON")
	require.NotEmpty(t, str(t, dash["uid"], "uid"))
	require.NotEmpty(t, str(t, dash["title"], "title"))

	dsUID := provisionedDataSourceUID(t)
	read := map[string]bool{}
	ids := map[float64]bool{}
	cells := map[[2]float64]string{} // (x, y) of the 24-column grid -> panel
	for _, p := range list(t, dash["panels"], "panels") {
		panel := obj(t, p, "panel")
		title := str(t, panel["title"], "panel title")
		id := panel["id"].(float64)
		require.False(t, ids[id], "panel id %v is not unique", id)
		ids[id] = true
		grid := obj(t, panel["gridPos"], title+" gridPos")
		require.LessOrEqual(t, grid["x"].(float64)+grid["w"].(float64), 24.0, title)
		for x := grid["x"].(float64); x < grid["x"].(float64)+grid["w"].(float64); x++ {
			for y := grid["y"].(float64); y < grid["y"].(float64)+grid["h"].(float64); y++ {
				require.NotContains(t, cells, [2]float64{x, y}, "%s overlaps %s", title, cells[[2]float64{x, y}])
				cells[[2]float64{x, y}] = title
			}
		}
		if panel["type"] == "row" {
			continue
		}
		require.Equal(t, dsUID, obj(t, panel["datasource"], title)["uid"], "%s: data source", title)
		targets := list(t, panel["targets"], title+" targets")
		require.NotEmpty(t, targets, title)
		for _, tg := range targets {
			target := obj(t, tg, title+" target")
			require.Equal(t, dsUID, obj(t, target["datasource"], title)["uid"], "%s: target data source", title)
			for _, n := range requireExported(t, exported, "panel "+title, str(t, target["expr"], title+" expr")) {
				read[n] = true
			}
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`)
	for _, v := range list(t, obj(t, dash["templating"], "templating")["list"], "templating list") {
		variable := obj(t, v, "variable")
		def := str(t, variable["definition"], "variable definition")
		m := labelValues.FindStringSubmatch(def)
		require.NotNil(t, m, "variable %v: %q", variable["name"], def)
		require.True(t, exported[m[1]], "variable %v reads %s", variable["name"], m[1])
	}

	// What the issue asks the dashboard to show.
	for _, want := range []string{
		"apiscout_imports_total",                  // imports per minute by status
		"apiscout_import_requests_total",          // requests by outcome and skip reason
		"apiscout_task_duration_seconds_bucket",   // task latency percentiles
		"asynq_queue_size",                        // queue size per queue
		"asynq_queue_latency_seconds",             // queue latency per queue
		"asynq_tasks_enqueued_total",              // archived tasks (state="archived")
		"apiscout_replays_total",                  // replays by outcome
		"apiscout_replay_duration_seconds_bucket", // replay latency p50/p95/p99
		"apiscout_rate_limit_waits_total",         // rate-limit waits
		"apiscout_replays_in_flight",              // replays in flight
	} {
		require.True(t, read[want], "the dashboard shows no %s", want)
	}
	require.Contains(t, string(data), `state=\"archived\"`)
}

func provisionedDataSourceUID(t *testing.T) string {
	t.Helper()
	doc := readYAML(t, repoFile(monitoring, "grafana/provisioning/datasources/prometheus.yml"))[0]
	sources := list(t, doc["datasources"], "datasources")
	require.Len(t, sources, 1)
	ds := obj(t, sources[0], "datasource")
	require.Equal(t, "prometheus", ds["type"])
	require.Equal(t, "http://prometheus:9090", ds["url"], "the compose service")
	return str(t, ds["uid"], "datasource uid")
}

// TestPrometheusConfig checks the scrape configuration and that its rule
// files exist where compose mounts them.
func TestPrometheusConfig(t *testing.T) {
	t.Parallel()
	cfg := readYAML(t, repoFile(monitoring, "prometheus/prometheus.yml"))[0]
	for _, rf := range list(t, cfg["rule_files"], "rule_files") {
		path := str(t, rf, "rule file")
		require.True(t, strings.HasPrefix(path, "/etc/prometheus/"), path)
		_, err := os.Stat(repoFile(monitoring, "prometheus", strings.TrimPrefix(path, "/etc/prometheus/")))
		require.NoError(t, err, "rule file %s (compose mounts deploy/monitoring/prometheus at /etc/prometheus)", path)
	}
	jobs := map[string]bool{}
	for _, sc := range list(t, cfg["scrape_configs"], "scrape_configs") {
		job := obj(t, sc, "scrape config")
		name := str(t, job["job_name"], "job_name")
		require.False(t, jobs[name], "job %s twice", name)
		jobs[name] = true
		require.True(t, strings.HasPrefix(name, "apiscout-"), "alerts and panels select job=~\"apiscout-.*\": %s", name)
	}
	require.True(t, jobs["apiscout-api"] && jobs["apiscout-worker"], "jobs: %v", jobs)
}

var alertName = regexp.MustCompile(`^Apiscout[A-Z][A-Za-z]+$`)

// TestAlertRules lints the example alert rules.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	exported := exportedMetrics(t)
	doc := readYAML(t, repoFile(monitoring, "prometheus/alerts.yml"))[0]
	seen := map[string]bool{}
	for _, g := range list(t, doc["groups"], "groups") {
		group := obj(t, g, "group")
		require.NotEmpty(t, str(t, group["name"], "group name"))
		for _, r := range list(t, group["rules"], "rules") {
			rule := obj(t, r, "rule")
			name := str(t, rule["alert"], "alert")
			require.Regexp(t, alertName, name)
			require.False(t, seen[name], "alert %s twice", name)
			seen[name] = true
			requireExported(t, exported, "alert "+name, str(t, rule["expr"], name+" expr"))
			if f, ok := rule["for"]; ok {
				_, err := time.ParseDuration(str(t, f, name+" for"))
				require.NoError(t, err, name)
			}
			labels := obj(t, rule["labels"], name+" labels")
			require.Contains(t, []string{"critical", "warning", "info"}, labels["severity"], name)
			ann := obj(t, rule["annotations"], name+" annotations")
			require.NotEmpty(t, str(t, ann["summary"], name+" summary"))
			require.NotEmpty(t, str(t, ann["description"], name+" description"))
		}
	}
	for _, want := range []string{"ApiscoutArchivedTasksGrowing", "ApiscoutQueueLatencyHigh", "ApiscoutImportFailureRatioHigh"} {
		require.True(t, seen[want], "missing alert %s", want)
	}
}
