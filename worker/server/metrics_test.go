package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/testenv"
)

// TestTaskMetrics runs tasks through a real asynq server and checks the
// outcome each one is recorded with.
func TestTaskMetrics(t *testing.T) {
	t.Parallel()
	ro := testenv.Redis(t)
	opt := asynq.RedisClientOpt{Addr: ro.Addr, DB: ro.DB, Username: ro.Username, Password: ro.Password, TLSConfig: ro.TLSConfig}
	m := metrics.New()
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency: 2, Queues: map[string]int{"q": 1}, LogLevel: asynq.FatalLevel,
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return 0 },
	})
	mux := asynq.NewServeMux()
	mux.Use(taskMetrics(m))
	mux.HandleFunc("t:ok", func(context.Context, *asynq.Task) error { return nil })
	mux.HandleFunc("t:skip", func(context.Context, *asynq.Task) error { return fmt.Errorf("bad input: %w", asynq.SkipRetry) })
	mux.HandleFunc("t:fail", func(context.Context, *asynq.Task) error { return errors.New("still broken") })
	mux.HandleFunc("t:panic", func(context.Context, *asynq.Task) error { panic("boom") })
	require.NoError(t, srv.Start(mux))
	defer srv.Shutdown()

	client := asynq.NewClient(opt)
	defer client.Close()
	for _, typ := range []string{"t:ok", "t:skip", "t:fail", "t:panic"} {
		_, err := client.Enqueue(asynq.NewTask(typ, nil), asynq.Queue("q"), asynq.MaxRetry(1))
		require.NoError(t, err)
	}
	want := map[[2]string]float64{
		{"t:ok", "ok"}:       1,
		{"t:skip", "failed"}: 1,
		{"t:fail", "retry"}:  1, // first run: one retry left
		{"t:fail", "failed"}: 1, // the retry: archived after it
		{"t:panic", "panic"}: 2,
	}
	require.Eventually(t, func() bool {
		for k, n := range want {
			if taskCount(t, m, k[0], k[1]) != n {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond)
}

// taskCount is the number of tasks of a type recorded with an outcome.
func taskCount(t *testing.T, m *metrics.Metrics, typ, outcome string) float64 {
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "apiscout_task_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["task_type"] == typ && labels["outcome"] == outcome {
				return float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}
