// Command worker runs apiscout's asynq worker: it turns queued imports into
// inventory. Configuration comes from APISCOUT_* variables (worker --help).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/service"
	"github.com/apiscout/apiscout/worker/server"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, help, err := config.FromArgs("worker", "Usage: worker [healthcheck]", args, getenv, stderr)
	if help || err != nil {
		return err
	}
	if arg(rest, 0) == "healthcheck" {
		return service.Probe(ctx, cfg.WorkerAdminAddr)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := cfg.NewLogger(stdout)
	log.Info("worker starting", "config", cfg)
	return server.Run(ctx, cfg, log, server.Options{})
}

// arg is the i-th remaining argument, "" when absent.
func arg(rest []string, i int) string {
	if i < len(rest) {
		return rest[i]
	}
	return ""
}
