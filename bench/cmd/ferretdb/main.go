// Command ferretdb runs the embedded FerretDB (shared/devstack) as its own
// process, so the fault drills can stop and restart the database. It serves
// until SIGINT or SIGTERM.
//
//	ferretdb -addr 127.0.0.1:27018 -dir /tmp/data      # SQLite
//	ferretdb -addr 127.0.0.1:27018 -postgres URL       # PostgreSQL
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/apiscout/apiscout/shared/devstack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:27017", "listen address")
	dir := flag.String("dir", "", "SQLite data folder")
	pg := flag.String("postgres", "", "PostgreSQL URL (instead of SQLite)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m, err := devstack.StartMongo(ctx, devstack.MongoConfig{Addr: *addr, Dir: *dir, PostgresURL: *pg,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return err
	}
	fmt.Println(m.URI())
	<-ctx.Done()
	return m.Close()
}
