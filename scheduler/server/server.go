// Package server runs apiscout's scheduler: an asynq PeriodicTaskManager
// whose configuration provider reads the workspace re-sync schedules from
// MongoDB, plus an admin HTTP server for /metrics, /livez and /readyz. With
// APISCOUT_QUEUE_METRICS=scheduler its /metrics also carries asynq's queue
// series (asynq_*).
// Several schedulers may run: every scheduled run has a task id naming its
// instant, so it is enqueued once.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/service"
)

// RunRetention is how long a finished scheduled run keeps its task id, so a
// late scheduler's enqueue of the same run is refused. The sync itself has
// a deterministic id too, which keeps a run single after that.
const RunRetention = time.Hour

// Options are hooks for embedding the scheduler (tests, the dev launcher).
type Options struct {
	// Ready, when set, is called once the scheduler runs, with the admin
	// address ("" when off).
	Ready func(adminAddr string)
	// Metrics, when set, receives the scheduler's counters (else its own).
	Metrics *metrics.Metrics
}

// Run runs a scheduler until ctx is cancelled, then shuts down:
//  1. readiness turns 503;
//  2. the periodic task manager stops (no more enqueues);
//  3. the admin server stops;
//  4. the queue collector's Redis connection closes (APISCOUT_QUEUE_METRICS
//     =scheduler), then the Redis and MongoDB connections.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) error {
	deps, err := service.Connect(ctx, cfg, 30*time.Second)
	if err != nil {
		return err
	}
	defer deps.Close(context.Background())
	m := opts.Metrics
	if m == nil {
		m = metrics.New()
	}
	if cfg.QueueMetrics == config.QueueMetricsScheduler {
		closeQueueMetrics, err := m.RegisterQueueMetrics(deps.AsynqRedis)
		if err != nil {
			return fmt.Errorf("queue metrics: %w", err)
		}
		defer closeQueueMetrics() // after the admin server has stopped
	}
	health := service.NewHealth(deps)

	provider := &Provider{
		Store: deps.Store, Horizon: 2*cfg.SchedulerInterval + 5*time.Second,
		MaxRetry: cfg.TaskMaxRetry, Retention: max(RunRetention, 4*cfg.SchedulerInterval),
		Now: time.Now, Log: log,
	}
	mgr, err := asynq.NewPeriodicTaskManager(asynq.PeriodicTaskManagerOpts{
		RedisConnOpt:               deps.AsynqRedis,
		PeriodicTaskConfigProvider: provider,
		SyncInterval:               cfg.SchedulerInterval,
		SchedulerOpts: &asynq.SchedulerOpts{
			Logger:   service.AsynqLogger{Log: log},
			LogLevel: asynq.WarnLevel,
			Location: time.UTC,
			PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
				switch {
				case err == nil:
					m.ScheduledRuns.WithLabelValues("enqueued").Inc()
					log.Info("scheduled sync enqueued", "task_id", info.ID)
				case errors.Is(err, asynq.ErrTaskIDConflict):
					m.ScheduledRuns.WithLabelValues("duplicate").Inc()
				default:
					m.ScheduledRuns.WithLabelValues("error").Inc()
					log.Error("enqueue scheduled sync", "error", err)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if err := mgr.Start(); err != nil {
		return fmt.Errorf("start scheduler: %w", err)
	}

	admin, err := service.StartAdmin(cfg.SchedulerAdminAddr, m.Handler(), health)
	if err != nil {
		mgr.Shutdown()
		return fmt.Errorf("scheduler admin listener: %w", err)
	}
	adminAddr := admin.Addr
	log.Info("scheduler ready", "admin_addr", adminAddr, "interval", cfg.SchedulerInterval)
	if opts.Ready != nil {
		opts.Ready(adminAddr)
	}

	<-ctx.Done()
	log.Info("scheduler shutting down")
	health.Stopping()
	mgr.Shutdown()
	if err := admin.Stop(); err != nil {
		log.Warn("admin server stop", "error", err)
	}
	log.Info("scheduler stopped")
	return nil
}
