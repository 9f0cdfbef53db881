// Command worker runs apiscout's asynq worker: it turns queued imports into
// inventory. Configuration comes from APISCOUT_* variables (worker --help).
package main

import (
	"context"
	"errors"
	"flag"
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
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: worker [healthcheck]")
		config.Usage(stderr)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if fs.Arg(0) == "healthcheck" {
		return service.Probe(ctx, cfg.WorkerAdminAddr)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := cfg.NewLogger(stdout)
	log.Info("worker starting", "config", cfg)
	return server.Run(ctx, cfg, log, server.Options{})
}
