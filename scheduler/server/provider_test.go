package server

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/shared/workspace"
)

type fakeSchedules []workspace.Schedule

func (f fakeSchedules) AllSchedules(context.Context) ([]workspace.Schedule, error) { return f, nil }

func TestProviderRegistersOneShotRunsPerInstant(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	store := fakeSchedules{
		{ID: "sch_a", AccountID: "acc_1", Cron: "@every 10s"},
		{ID: "sch_b", AccountID: "acc_1", Cron: "0 * * * *"},
		{ID: "sch_bad", AccountID: "acc_1", Cron: "nonsense"},
	}
	configsAt := func(now time.Time) map[string]string { // task id -> cronspec
		p := &Provider{Store: store, Horizon: 25 * time.Second, MaxRetry: 3, Retention: time.Hour,
			Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		cfgs, err := p.GetConfigs()
		require.NoError(t, err)
		out := map[string]string{}
		for _, c := range cfgs {
			p, err := tasks.ParseSyncScheduled(c.Task)
			require.NoError(t, err)
			out[tasks.ScheduledTaskID(p.ScheduleID, p.ScheduledFor)] = c.Cronspec
		}
		return out
	}
	a := configsAt(base.Add(1500 * time.Millisecond))
	require.Equal(t, map[string]string{
		tasks.ScheduledTaskID("sch_a", base):                     "@every 1s", // just past: kept a moment
		tasks.ScheduledTaskID("sch_b", base):                     "@every 1s",
		tasks.ScheduledTaskID("sch_a", base.Add(10*time.Second)): "@every 9s",
		tasks.ScheduledTaskID("sch_a", base.Add(20*time.Second)): "@every 19s",
	}, a)
	// Another scheduler (or a later sync) registers the same instants, so
	// the same task ids: a run is enqueued once.
	b := configsAt(base.Add(4 * time.Second))
	for _, at := range []time.Duration{10 * time.Second, 20 * time.Second} {
		require.Contains(t, b, tasks.ScheduledTaskID("sch_a", base.Add(at)))
	}
	require.NotContains(t, b, tasks.ScheduledTaskID("sch_a", base), "past the grace")
	// Near the hour the hourly schedule joins; a run just past stays a moment.
	c := configsAt(base.Add(time.Hour - 5*time.Second))
	require.Contains(t, c, tasks.ScheduledTaskID("sch_b", base.Add(time.Hour)))
	d := configsAt(base.Add(time.Hour + time.Second))
	require.Equal(t, "@every 1s", d[tasks.ScheduledTaskID("sch_b", base.Add(time.Hour))])
}

func TestOneShot(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 5, 900_000_000, time.UTC)
	require.Equal(t, "@every 5s", OneShot(now, now.Truncate(time.Second).Add(5*time.Second)))
	require.Equal(t, "@every 1s", OneShot(now, now.Add(-time.Second)))
}
