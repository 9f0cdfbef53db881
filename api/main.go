// Command api is apiscout's HTTP API. It accepts collection uploads,
// enqueues import tasks and serves the inventory.
//
//	api                                   serve (configuration from APISCOUT_* variables)
//	api admin create-account --name NAME  create an account and print its first token
//	api healthcheck                       exit 0 when the local API is ready (container healthcheck)
//	api --help                            list every variable with its default
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/service"
	"github.com/apiscout/apiscout/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, help, err := config.FromArgs("api", "Usage: api [healthcheck | admin create-account --name NAME [--token TOKEN]]", args, getenv, stderr)
	if help || err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if arg(rest, 0) == "healthcheck" {
		return service.Probe(ctx, cfg.HTTPAddr)
	}
	if len(rest) > 0 {
		return admin(ctx, cfg, rest, stdout, stderr)
	}
	log := cfg.NewLogger(stdout)
	log.Info("api starting", "config", cfg)
	return server.Run(ctx, cfg, log, server.Options{})
}

// admin runs an operator command against the database.
func admin(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "admin" || args[1] != "create-account" {
		return fmt.Errorf("unknown command %q; try: api admin create-account --name NAME", args)
	}
	fs := flag.NewFlagSet("create-account", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "account name (required)")
	token := fs.String("token", "", "use this token instead of a generated one")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("create-account: --name is required")
	}
	if cfg.MongoURI == "" {
		return errors.New(config.Prefix + "MONGO_URI is required")
	}
	st, err := store.Open(ctx, cfg.MongoURI, cfg.MongoDB)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	if err := st.EnsureIndexes(ctx); err != nil {
		return err
	}
	now := time.Now()
	acc, tok, err := server.Provision(ctx, st, ids.New("acc", now), *name, *token, now)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]string{"account_id": acc.ID, "name": acc.Name, "token": tok})
}

// arg is the i-th remaining argument, "" when absent.
func arg(rest []string, i int) string {
	if i < len(rest) {
		return rest[i]
	}
	return ""
}
