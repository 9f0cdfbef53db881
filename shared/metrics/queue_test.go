package metrics_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/testenv"
)

// TestQueueMetrics registers the asynq queue collector on a real Redis and
// checks it exports exactly QueueMetricNames, per queue.
func TestQueueMetrics(t *testing.T) {
	t.Parallel()
	ro := testenv.Redis(t)
	opt := asynq.RedisClientOpt{Addr: ro.Addr, DB: ro.DB, Username: ro.Username, Password: ro.Password, TLSConfig: ro.TLSConfig}
	client := asynq.NewClient(opt)
	defer client.Close()
	_, err := client.EnqueueContext(context.Background(), asynq.NewTask("test:task", nil), asynq.Queue("imports"), asynq.ProcessIn(time.Hour))
	require.NoError(t, err)

	m := metrics.New()
	closeFn, err := m.RegisterQueueMetrics(opt)
	require.NoError(t, err)
	defer func() { require.NoError(t, closeFn()) }()

	families, err := m.Registry.Gather()
	require.NoError(t, err)
	var got []string
	for _, f := range families {
		if len(f.GetName()) > 6 && f.GetName()[:6] == "asynq_" {
			got = append(got, f.GetName())
			for _, s := range f.GetMetric() {
				require.Equal(t, "imports", labelValue(s.GetLabel(), "queue"), f.GetName())
			}
		}
	}
	slices.Sort(got)
	want := slices.Clone(metrics.QueueMetricNames)
	slices.Sort(want)
	require.Equal(t, want, got)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Contains(t, rec.Body.String(), `asynq_tasks_enqueued_total{queue="imports",state="scheduled"} 1`)
}

func labelValue[L interface {
	GetName() string
	GetValue() string
}](labels []L, name string) string {
	for _, l := range labels {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return fmt.Sprintf("(no %s label)", name)
}
