// Package metrics holds apiscout's Prometheus collectors. Each binary makes
// one Metrics on its own registry and serves it at /metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors every apiscout process registers. Label values
// are bounded sets (outcomes, reason codes, task types, routes), never ids.
type Metrics struct {
	Registry *prometheus.Registry

	// ImportRequests counts the requests of imported collections by outcome
	// ("imported", "skipped") and reason code ("" when imported).
	ImportRequests *prometheus.CounterVec
	// Imports counts imports by status reached ("queued", "completed", "failed").
	Imports *prometheus.CounterVec
	// Samples counts samples taken, by source and status class.
	Samples *prometheus.CounterVec
	// TaskDuration is the task handling time by task type and outcome.
	TaskDuration *prometheus.HistogramVec
	// HTTPRequests is the API's request duration by method, route and status code.
	HTTPRequests *prometheus.HistogramVec
	// Replays counts replay attempts by outcome (kept, non_2xx,
	// server_error, unreachable, timeout, blocked_target, cancelled, retry, ...).
	Replays *prometheus.CounterVec
	// ReplayDuration is the replay round trip by outcome.
	ReplayDuration *prometheus.HistogramVec
	// RateLimited counts waits for a rate limit, by scope (host,
	// account_in_flight).
	RateLimited *prometheus.CounterVec
	// ReplaysInFlight is the number of replays this process is sending.
	ReplaysInFlight prometheus.Gauge

	// Syncs counts workspace syncs by status reached.
	Syncs *prometheus.CounterVec
	// SyncCollections counts the collections of finished syncs by outcome
	// ("imported", "unchanged", "failed").
	SyncCollections *prometheus.CounterVec
	// PostmanRequests counts Postman API responses by operation ("me",
	// "workspaces", "workspace", "collection", "environment") and status
	// code ("0" for a network error).
	PostmanRequests *prometheus.CounterVec
	// ScheduledRuns counts the scheduler's enqueues by result ("enqueued",
	// "duplicate": another scheduler already enqueued that run, "error").
	ScheduledRuns *prometheus.CounterVec
}

// New registers the collectors (and the Go and process collectors) on a new
// registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		ImportRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_import_requests_total",
			Help: "Requests of imported collections, by outcome and skip reason.",
		}, []string{"outcome", "reason"}),
		Imports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_imports_total",
			Help: "Imports by status reached.",
		}, []string{"status"}),
		Samples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_samples_total",
			Help: "Samples taken, by source and response status class.",
		}, []string{"source", "status_class"}),
		TaskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiscout_task_duration_seconds",
			Help:    "Time to handle a task, by task type and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"task_type", "outcome"}),
		HTTPRequests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiscout_http_request_duration_seconds",
			Help:    "API request duration, by method, route and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "code"}),
		Replays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_replays_total",
			Help: "Replay attempts by outcome.",
		}, []string{"outcome"}),
		ReplayDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiscout_replay_duration_seconds",
			Help:    "Replay round trip by outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"outcome"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_rate_limit_waits_total",
			Help: "Waits for a rate limit, by scope.",
		}, []string{"scope"}),
		ReplaysInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "apiscout_replays_in_flight",
			Help: "Replays this process is sending now.",
		}),
		Syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_syncs_total",
			Help: "Workspace syncs by status reached.",
		}, []string{"status"}),
		SyncCollections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_sync_collections_total",
			Help: "Collections of finished workspace syncs, by outcome.",
		}, []string{"outcome"}),
		PostmanRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_postman_requests_total",
			Help: "Postman API responses, by operation and status code.",
		}, []string{"op", "code"}),
		ScheduledRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiscout_scheduled_runs_total",
			Help: "Scheduled workspace syncs the scheduler enqueued, by result.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.Syncs, m.SyncCollections, m.PostmanRequests, m.ScheduledRuns)
	reg.MustRegister(m.ImportRequests, m.Imports, m.Samples, m.TaskDuration, m.HTTPRequests,
		m.Replays, m.ReplayDuration, m.RateLimited, m.ReplaysInFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
