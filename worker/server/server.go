// Package server runs an apiscout worker: an asynq server handling import
// and workspace sync tasks, plus a small admin HTTP server for /metrics,
// /livez and /readyz.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/replaystate"
	"github.com/apiscout/apiscout/shared/service"
	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/worker/importer"
	"github.com/apiscout/apiscout/worker/replayer"
)

// Options are hooks for embedding the worker (tests, the dev launcher).
type Options struct {
	// Ready, when set, is called once the worker processes tasks, with the
	// admin address ("" when the admin server is off).
	Ready func(adminAddr string)
}

// Run runs a worker until ctx is cancelled, then shuts down gracefully:
//  1. readiness turns 503;
//  2. the asynq server stops fetching tasks and waits up to the shutdown
//     timeout for running ones (unfinished ones go back to the queue and
//     are redelivered to another worker);
//  3. the admin HTTP server stops;
//  4. the Redis and MongoDB connections close.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) error {
	deps, err := service.Connect(ctx, cfg, 30*time.Second)
	if err != nil {
		return err
	}
	defer deps.Close(context.Background())
	m := metrics.New()
	health := service.NewHealth(deps)

	client := asynq.NewClient(deps.AsynqRedis)
	defer client.Close()
	state := replaystate.New(deps.Redis)
	srv := asynq.NewServer(deps.AsynqRedis, asynq.Config{
		Concurrency:              cfg.WorkerConcurrency,
		Queues:                   tasks.Queues,
		Logger:                   service.AsynqLogger{Log: log},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          cfg.ShutdownTimeout * 4 / 5,
		IsFailure:                replayer.IsFailure,
		RetryDelayFunc:           replayer.RetryDelay,
		DelayedTaskCheckInterval: time.Second,
		// An idle worker looks for new work ten times a second (asynq's
		// default is once a second), so an import's first task and its last
		// batch do not wait for the next poll.
		TaskCheckInterval: 100 * time.Millisecond,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			id, _ := asynq.GetTaskID(ctx)
			if !replayer.IsFailure(err) { // rate limited: back to the queue, counted in metrics
				log.Debug("task postponed", "task_type", t.Type(), "task_id", id, "error", err)
				return
			}
			log.Warn("task failed", "task_type", t.Type(), "task_id", id, "retry", retried, "max_retry", maxRetry, "error", err)
		}),
	})
	mux := asynq.NewServeMux()
	mux.Use(taskMetrics(m), limitHeavy(cfg.ImportConcurrency, tasks.TypeImportCollection, tasks.TypeSyncWorkspace))
	policy := cfg.EgressPolicy()
	imp := importer.New(deps.Store, m, log, importer.Config{
		SamplesPerEndpoint: cfg.SamplesPerEndpoint,
		SampleBodyMax:      cfg.SampleBodyMax,
		NoRedaction:        !cfg.RedactSamples,
		CheckHost:          policy.CheckHost,
		ReplayMaxRetry:     cfg.ReplayMaxRetry,
		State:              state,
		Queue:              client,
	})
	rep := replayer.New(deps.Store, state, client, redis_rate.NewLimiter(deps.Redis), replayer.NewSender(policy, cfg.SampleBodyMax), m, log, replayer.Config{
		SamplesPerEndpoint:    cfg.SamplesPerEndpoint,
		MaxInFlightPerAccount: cfg.ReplayMaxInFlight,
		TaskMaxRetry:          cfg.TaskMaxRetry,
		BatchSize:             cfg.ReplayBatchSize,
		NoRedaction:           !cfg.RedactSamples,
	})
	mux.Handle(tasks.TypeImportCollection, imp)
	mux.Handle(tasks.TypeImportFinalize, &importer.Finalizer{Handler: imp, State: state})
	mux.HandleFunc(tasks.TypeReplayRequest, rep.ProcessRequest)
	mux.HandleFunc(tasks.TypeReplayBatch, rep.ProcessBatch)
	syncs, err := newSyncer(cfg, deps, client, m, log)
	if err != nil {
		return err
	}
	mux.Handle(tasks.TypeSyncWorkspace, syncs)
	mux.Handle(tasks.TypeSyncScheduled, syncs)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start asynq server: %w", err)
	}

	admin, err := service.StartAdmin(cfg.WorkerAdminAddr, m.Handler(), health)
	if err != nil {
		srv.Shutdown()
		return fmt.Errorf("worker admin listener: %w", err)
	}
	adminAddr := admin.Addr
	log.Info("worker ready", "admin_addr", adminAddr, "concurrency", cfg.WorkerConcurrency, "import_concurrency", cfg.ImportConcurrency)
	if opts.Ready != nil {
		opts.Ready(adminAddr)
	}

	<-ctx.Done()
	log.Info("worker shutting down")
	health.Stopping()
	srv.Shutdown()
	if err := admin.Stop(); err != nil {
		log.Warn("admin server stop", "error", err)
	}
	log.Info("worker stopped")
	return nil
}

// taskMetrics records every task's duration by type and outcome; the
// histogram's _count is the per-type outcome counter. Outcomes: "ok",
// "retry" (asynq will run it again), "failed" (SkipRetry, or the last retry
// failed: asynq archives it) and "panic" (recorded, then re-raised for
// asynq to recover and retry).
func taskMetrics(m *metrics.Metrics) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			start := time.Now()
			panicked := true
			defer func() {
				outcome := taskOutcome(ctx, err)
				if panicked {
					outcome = "panic"
				}
				m.TaskDuration.WithLabelValues(t.Type(), outcome).Observe(time.Since(start).Seconds())
			}()
			err = next.ProcessTask(ctx, t)
			panicked = false
			return err
		})
	}
}

func taskOutcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, asynq.SkipRetry):
		return "failed"
	case !replayer.IsFailure(err):
		return "rate_limited"
	}
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	if ok1 && ok2 && retried >= maxRetry {
		return "failed"
	}
	return "retry"
}

// limitHeavy lets at most n tasks of the given types run at once in this
// process: parsing a large collection takes CPU and memory that a worker
// sized for many I/O-bound replays does not have n times over. A task over
// the limit goes back to the queue for a second without counting as a
// failure or using a retry.
func limitHeavy(n int, types ...string) asynq.MiddlewareFunc {
	slots := make(chan struct{}, n)
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			if !slices.Contains(types, t.Type()) {
				return next.ProcessTask(ctx, t)
			}
			select {
			case slots <- struct{}{}:
			default:
				return &replayer.RateLimitError{RetryIn: time.Second, Why: "heavy task slots of this worker busy"}
			}
			defer func() { <-slots }()
			return next.ProcessTask(ctx, t)
		})
	}
}
