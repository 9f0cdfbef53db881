package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestQueueMetricsOnAdminPort runs a real scheduler on Redis and FerretDB and
// reads its admin /metrics: asynq's queue series are there exactly when
// APISCOUT_QUEUE_METRICS names the scheduler, and only then.
func TestQueueMetricsOnAdminPort(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		queueMetrics string
		wantQueue    bool
	}{
		{config.QueueMetricsScheduler, true},
		{config.QueueMetricsAPI, false},
		{config.QueueMetricsOff, false},
	} {
		t.Run(tt.queueMetrics, func(t *testing.T) {
			t.Parallel()
			ro := testenv.Redis(t)
			uri, db := testenv.Mongo(t)
			vars := map[string]string{
				"APISCOUT_REDIS_URL":            fmt.Sprintf("redis://%s/%d", ro.Addr, ro.DB),
				"APISCOUT_MONGO_URI":            uri,
				"APISCOUT_MONGO_DB":             db,
				"APISCOUT_SCHEDULER_ADMIN_ADDR": "127.0.0.1:0",
				"APISCOUT_QUEUE_METRICS":        tt.queueMetrics,
				"APISCOUT_LOG_LEVEL":            "warn",
			}
			cfg, err := config.Load(func(k string) string { return vars[k] })
			require.NoError(t, err)

			// A task waiting in a queue, so the collector has a queue to describe.
			client := asynq.NewClient(testenv.AsynqOpt(ro))
			defer client.Close()
			_, err = client.Enqueue(asynq.NewTask("test:task", nil), asynq.Queue("imports"), asynq.ProcessIn(time.Hour))
			require.NoError(t, err)

			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			ready := make(chan string, 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := Run(ctx, cfg, cfg.NewLogger(io.Discard), Options{Ready: func(a string) { ready <- a }}); err != nil {
					t.Errorf("scheduler: %v", err)
				}
			}()
			t.Cleanup(func() { cancel(); wg.Wait() })
			var addr string
			select {
			case addr = <-ready:
			case <-time.After(60 * time.Second):
				t.Fatal("scheduler did not start")
			}

			resp, err := http.Get("http://" + addr + "/metrics")
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			text := string(body)
			require.Contains(t, text, "\ngo_goroutines ", "the scheduler's registry")
			for _, name := range metrics.QueueMetricNames {
				require.Equal(t, tt.wantQueue, strings.Contains(text, "\n"+name+"{"), name)
			}
			if tt.wantQueue {
				require.Contains(t, text, `asynq_tasks_enqueued_total{queue="imports",state="scheduled"} 1`)
			}
		})
	}
}
