package server

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/shared/workspace"
)

// maxRunsPerSchedule bounds the runs of one schedule registered at once.
const maxRunsPerSchedule = 10

// lateGrace is how long after its instant a run is still registered.
const lateGrace = 3 * time.Second

// ScheduleStore is what the provider needs of the database.
type ScheduleStore interface {
	AllSchedules(ctx context.Context) ([]workspace.Schedule, error)
}

// Provider is the asynq PeriodicTaskConfigProvider of workspace schedules.
//
// asynq enqueues a periodic task with the same options at every tick, but a
// scheduled sync needs a task id naming its instant (so two schedulers, or a
// restart, enqueue a run once, and a run archived after failing never blocks
// the next). So the provider does not hand asynq a schedule's cron: for each
// schedule it computes the instants due within the horizon (the same
// instants in every process: workspace.Spec) and returns one config per
// instant, a one-shot "@every <time left>" entry whose task carries the
// instant and the task id tasks.ScheduledTaskID. At each sync the manager
// drops the entries of past instants and adds the new ones. The horizon must
// exceed the sync interval so no instant falls between two syncs.
type Provider struct {
	Store ScheduleStore
	// Horizon is how far ahead instants are registered.
	Horizon time.Duration
	// MaxRetry is the retry budget of a scheduled sync task.
	MaxRetry int
	// Retention keeps a finished run's task id taken that long.
	Retention time.Duration
	Now       func() time.Time
	Log       *slog.Logger
}

// GetConfigs implements asynq.PeriodicTaskConfigProvider.
func (p *Provider) GetConfigs() ([]*asynq.PeriodicTaskConfig, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	list, err := p.Store.AllSchedules(ctx)
	if err != nil {
		return nil, err
	}
	now := p.Now().UTC()
	var out []*asynq.PeriodicTaskConfig
	for _, sc := range list {
		spec, err := workspace.ParseSpec(sc.Cron)
		if err != nil {
			p.Log.Warn("schedule ignored: bad cron", "schedule_id", sc.ID, "error", err)
			continue
		}
		// Instants just past stay registered for a moment: one the cron had
		// not fired yet when its entry would have been dropped still runs
		// (and one it fired is refused as a duplicate).
		for _, at := range spec.Between(now.Add(-lateGrace), now.Add(p.Horizon), maxRunsPerSchedule) {
			task, err := tasks.NewSyncScheduled(tasks.SyncScheduled{ScheduleID: sc.ID, AccountID: sc.AccountID, ScheduledFor: at}, p.MaxRetry, p.Retention)
			if err != nil {
				return nil, err
			}
			out = append(out, &asynq.PeriodicTaskConfig{Cronspec: OneShot(now, at), Task: task})
		}
	}
	return out, nil
}

// OneShot is the cron spec of an entry registered at now that fires at at
// (at a whole second, as the scheduler's cron does): "@every" the seconds
// left, rounded up. The entry fires again a period later unless removed
// first; that enqueue is refused (same task id) and counted as a duplicate.
func OneShot(now, at time.Time) string {
	secs := int64((at.Sub(now) + time.Second - 1) / time.Second)
	return "@every " + strconv.FormatInt(max(secs, 1), 10) + "s"
}
