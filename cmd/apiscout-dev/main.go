// Command apiscout-dev runs a complete apiscout on one machine: the API, a
// worker and the scheduler in one process, on the configured Redis and MongoDB — or, when
// APISCOUT_REDIS_URL / APISCOUT_MONGO_URI are unset, on an embedded Redis
// (miniredis, in memory) and an embedded FerretDB (SQLite under
// APISCOUT_DATA_DIR). It creates a dev account and prints a token.
//
// Embedded mode is for trying apiscout and developing it, not for
// production: queued tasks live in memory, and there is one process.
// `make run` starts it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	apiserver "github.com/apiscout/apiscout/api/server"
	schedulerserver "github.com/apiscout/apiscout/scheduler/server"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/devstack"
	"github.com/apiscout/apiscout/shared/service"
	"github.com/apiscout/apiscout/shared/store"
	workerserver "github.com/apiscout/apiscout/worker/server"
)

// devAccountID is the embedded-mode account.
const devAccountID = "acc_dev"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "apiscout-dev:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, help, err := config.FromArgs("apiscout-dev", "Usage: apiscout-dev   (make run)", args, getenv, stderr)
	if help || err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := cfg.NewLogger(stderr)

	embedded := cfg.RedisURL == "" || cfg.MongoURI == ""
	if cfg.RedisURL == "" {
		r, err := devstack.StartRedis(devstack.RedisConfig{})
		if err != nil {
			return err
		}
		defer r.Close()
		cfg.RedisURL = r.URL()
		log.Info("embedded redis (miniredis, in memory) started", "addr", r.Addr())
	}
	if cfg.MongoURI == "" {
		dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "ferretdb"))
		if err != nil {
			return err
		}
		m, err := devstack.StartMongo(ctx, devstack.MongoConfig{Dir: dir})
		if err != nil {
			return err
		}
		defer m.Close()
		cfg.MongoURI = m.URI()
		log.Info("embedded FerretDB (SQLite) started", "dir", dir)
	}

	if embedded && cfg.SecretKey == "" {
		key, path, err := devSecretKey(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.SecretKey = key
		log.Info("embedded mode: "+config.Prefix+"SECRET_KEY kept in the data folder", "path", path)
	}

	token, err := provisionDev(ctx, cfg)
	if err != nil {
		return err
	}

	// The API and the worker share ctx: a signal stops both, and they are
	// stopped before the embedded servers (deferred above) close.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	apiAddr, workerReady := make(chan string, 1), make(chan struct{})
	wg.Add(3)
	go func() {
		defer wg.Done()
		errs <- apiserver.Run(runCtx, cfg, log.With("process", "api"), apiserver.Options{Ready: func(a string) { apiAddr <- a }})
		cancel()
	}()
	go func() {
		defer wg.Done()
		errs <- workerserver.Run(runCtx, cfg, log.With("process", "worker"), workerserver.Options{Ready: func(string) { close(workerReady) }})
		cancel()
	}()
	go func() {
		defer wg.Done()
		errs <- schedulerserver.Run(runCtx, cfg, log.With("process", "scheduler"), schedulerserver.Options{})
		cancel()
	}()

	var addr string
	select {
	case addr = <-apiAddr:
	case <-runCtx.Done():
	}
	select {
	case <-workerReady:
	case <-runCtx.Done():
	}
	if runCtx.Err() == nil {
		if err := waitReady(runCtx, addr); err != nil {
			log.Error("not ready", "error", err)
		} else {
			printBanner(stdout, addr, token, embedded, cfg.DataDir)
		}
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// provisionDev makes sure the dev account exists and returns a token for it:
// APISCOUT_DEV_TOKEN when set, else a fresh one.
func provisionDev(ctx context.Context, cfg config.Config) (string, error) {
	st, err := store.Open(ctx, cfg.MongoURI, cfg.MongoDB)
	if err != nil {
		return "", err
	}
	defer st.Close(context.Background())
	if err := st.EnsureIndexes(ctx); err != nil {
		return "", err
	}
	_, token, err := apiserver.Provision(ctx, st, devAccountID, "dev", cfg.DevToken, time.Now())
	return token, err
}

func waitReady(ctx context.Context, addr string) error {
	var err error
	for range 100 {
		if err = service.Probe(ctx, addr); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

func printBanner(w io.Writer, addr, token string, embedded bool, dataDir string) {
	fmt.Fprintf(w, "apiscout ready on http://%s\n", addr)
	fmt.Fprintf(w, "  token:   %s\n", token)
	fmt.Fprintf(w, "  try:     curl -H 'Authorization: Bearer %s' http://%s/v1/collections\n", token, addr)
	fmt.Fprintf(w, "  web:     http://%s/ui (sign in with the token)\n", addr)
	if embedded {
		fmt.Fprintf(w, "  mode:    EMBEDDED (miniredis in memory, FerretDB/SQLite in %s) — one machine only, not for production\n", dataDir)
	}
}
