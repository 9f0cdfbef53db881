package metrics

import (
	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
)

// QueueMetricNames are the series asynq's queue collector exports: every
// queue's size, latency, memory, tasks by state, processed and failed totals
// and paused flag, read from Redis at each scrape.
var QueueMetricNames = []string{
	"asynq_tasks_enqueued_total",
	"asynq_queue_size",
	"asynq_queue_latency_seconds",
	"asynq_queue_memory_usage_approx_bytes",
	"asynq_tasks_processed_total",
	"asynq_tasks_failed_total",
	"asynq_queue_paused_total",
}

// RegisterQueueMetrics adds asynq's queue collector (x/metrics) to m's
// registry. Exactly one process of a deployment should call it — the one
// config.QueueMetrics names — never every worker: the numbers describe the
// shared queues, not the process, and each scrape queries Redis. The
// returned function closes the collector's Redis connection.
func (m *Metrics) RegisterQueueMetrics(redis asynq.RedisConnOpt) (closeFn func() error, err error) {
	insp := asynq.NewInspector(redis)
	if err := m.Registry.Register(asynqmetrics.NewQueueMetricsCollector(insp)); err != nil {
		_ = insp.Close()
		return nil, err
	}
	return insp.Close, nil
}
