// Command scheduler enqueues apiscout's scheduled workspace re-syncs: an
// asynq PeriodicTaskManager whose configuration comes from the schedules in
// MongoDB (PUT /v1/workspaces/{id}/schedule). One replica is enough; more
// do no harm (a run is enqueued once). Configuration comes from APISCOUT_*
// variables (scheduler --help).
//
//	scheduler               run
//	scheduler healthcheck   exit 0 when the local scheduler is ready
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/apiscout/apiscout/scheduler/server"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/service"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, help, err := config.FromArgs("scheduler", "Usage: scheduler [healthcheck]", args, getenv, stderr)
	if help || err != nil {
		return err
	}
	if arg(rest, 0) == "healthcheck" {
		return service.Probe(ctx, cfg.SchedulerAdminAddr)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := cfg.NewLogger(stdout)
	log.Info("scheduler starting", "config", cfg)
	return server.Run(ctx, cfg, log, server.Options{})
}

// arg is the i-th remaining argument, "" when absent.
func arg(rest []string, i int) string {
	if i < len(rest) {
		return rest[i]
	}
	return ""
}
