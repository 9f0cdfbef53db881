// Package devstack starts in-process stand-ins for the external services
// apiscout needs: a MongoDB-compatible server (embedded FerretDB v1 on SQLite
// or PostgreSQL) and a Redis server (miniredis).
//
// It is meant ONLY for the embedded-mode launcher (`make run` without a real
// Redis/MongoDB) and for tests. Production binaries must not import it: it
// pulls FerretDB, SQLite and miniredis into the binary.
//
// Known FerretDB v1.24 limitations to keep in mind when code runs against it:
// transactions are unsupported, every lookup is a scan (indexes only enforce
// uniqueness), and a BulkWrite with 100 or more updates that hit existing
// documents deadlocks.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// DefaultStartTimeout bounds StartMongo when its context has no deadline.
const DefaultStartTimeout = 30 * time.Second

// MongoConfig configures StartMongo. The zero value is not usable: either Dir
// or PostgresURL must be set.
type MongoConfig struct {
	// Dir is the folder holding the SQLite data files. It is created
	// (with parents) if missing. Required unless PostgresURL is set;
	// ignored when PostgresURL is set.
	Dir string

	// Addr is the TCP listen address. Default "127.0.0.1:0" (a free port);
	// read the chosen one from Mongo.URI.
	Addr string

	// PostgresURL, when set, selects FerretDB's "postgresql" handler instead
	// of "sqlite", e.g. "postgres://postgres@127.0.0.1:5432/test". The
	// PostgreSQL database must already exist; FerretDB stores each MongoDB
	// database as a schema in it. Default "" (SQLite).
	PostgresURL string

	// Logger receives FerretDB's logs. Default (nil): DefaultMongoLogger(),
	// a stderr text logger at Warn level without FerretDB's per-request
	// error-response dumps. Pass slog.New(slog.DiscardHandler) to silence it
	// completely.
	Logger *slog.Logger
}

// Mongo is a running embedded FerretDB server. It is safe for concurrent use.
type Mongo struct {
	uri     string
	cancel  context.CancelFunc
	done    chan struct{}
	runErr  error
	closeMu sync.Once
}

var (
	// newMu serialises ferretdb.New: it writes the global
	// version.Get().Package, which would be a data race when two instances
	// start concurrently. It also guards dirsInUse.
	newMu sync.Mutex
	// dirsInUse holds the SQLite folders of running instances: two FerretDBs
	// on one folder would corrupt each other's metadata.
	dirsInUse = map[string]bool{}
)

// StartMongo starts an embedded FerretDB server and waits until it answers a
// MongoDB ping. ctx bounds only the start-up (DefaultStartTimeout when it has
// no deadline); the server keeps running after ctx ends until Close is
// called. Several instances may run in one process as long as they use
// different Dirs; a Dir already in use by this process is refused with an
// error (another process using it is not detected). Instances on one
// PostgreSQL database share its MongoDB namespace.
func StartMongo(ctx context.Context, cfg MongoConfig) (*Mongo, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = DefaultMongoLogger()
	}

	fcfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: cfg.Addr},
		Logger:   cfg.Logger,
	}
	var sqliteDir string
	if cfg.PostgresURL != "" {
		fcfg.Handler = "postgresql"
		fcfg.PostgreSQLURL = cfg.PostgresURL
	} else {
		if cfg.Dir == "" {
			return nil, errors.New("devstack: MongoConfig.Dir or MongoConfig.PostgresURL is required")
		}
		dir, err := filepath.Abs(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("devstack: mongo dir: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("devstack: mongo dir: %w", err)
		}
		newMu.Lock()
		busy := dirsInUse[dir]
		if !busy {
			dirsInUse[dir] = true
		}
		newMu.Unlock()
		if busy {
			return nil, fmt.Errorf("devstack: mongo dir %s is already used by another StartMongo in this process", dir)
		}
		sqliteDir = dir
		fcfg.Handler = "sqlite"
		// file:///abs/dir/ — FerretDB requires the trailing slash.
		fcfg.SQLiteURL = (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String()
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultStartTimeout)
		defer cancel()
	}

	// FerretDB v1.24 leaks its backend when the listener cannot bind (New
	// returns an error without closing it), and a GC finalizer later panics
	// the whole process with "*backends.backendContract has not been
	// finalized". So check the address ourselves first. A fixed port can
	// still be taken between this check and New; port 0 cannot fail.
	if err := checkListen(cfg.Addr); err != nil {
		releaseDir(sqliteDir)
		return nil, fmt.Errorf("devstack: FerretDB cannot listen on %s: %w", cfg.Addr, err)
	}

	f, err := newFerretDB(fcfg)
	if err != nil {
		releaseDir(sqliteDir)
		return nil, fmt.Errorf("devstack: start FerretDB (%s): %w", fcfg.Handler, err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	m := &Mongo{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		defer releaseDir(sqliteDir)
		m.runErr = f.Run(runCtx)
	}()

	// MongoDBURI blocks until the listener is bound. FerretDB documents that it
	// may deadlock before Run; in v1.24 New already binds, and Run is starting
	// concurrently anyway. Readiness proper is checked by waitPing.
	m.uri = f.MongoDBURI()

	if err := waitPing(ctx, m.uri, m.done); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("devstack: FerretDB (%s) at %s not ready: %w", fcfg.Handler, m.uri, err)
	}
	return m, nil
}

// DefaultMongoLogger returns the logger StartMongo uses when
// MongoConfig.Logger is nil: text on stderr, Warn level and above, minus the
// "Response header"/"Response message" Warn records FerretDB writes for every
// command that fails (each duplicate-key error, and each driver Disconnect,
// which sends the unsupported endSessions command). Those errors are returned
// to the client anyway.
func DefaultMongoLogger() *slog.Logger {
	return slog.New(responseFilter{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})
}

// responseFilter drops FerretDB's per-response dumps below Error level.
type responseFilter struct{ slog.Handler }

func (h responseFilter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelError && strings.HasPrefix(r.Message, "Response ") {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h responseFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return responseFilter{h.Handler.WithAttrs(attrs)}
}

func (h responseFilter) WithGroup(name string) slog.Handler {
	return responseFilter{h.Handler.WithGroup(name)}
}

func newFerretDB(cfg *ferretdb.Config) (f *ferretdb.FerretDB, err error) {
	newMu.Lock()
	defer newMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return ferretdb.New(cfg)
}

func releaseDir(dir string) {
	if dir == "" {
		return
	}
	newMu.Lock()
	delete(dirsInUse, dir)
	newMu.Unlock()
}

func checkListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return ln.Close()
}

// waitPing polls a driver Ping until it succeeds, ctx ends or Run returns.
func waitPing(ctx context.Context, uri string, done <-chan struct{}) error {
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(500*time.Millisecond).
		SetConnectTimeout(500*time.Millisecond))
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect(context.Background()) }()

	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err = client.Ping(pctx, nil)
		cancel()
		if err == nil {
			return nil
		}
		// FerretDB answered with an error: it is up but its backend is not
		// (e.g. PostgreSQL unreachable or database missing). Retrying will not
		// help; FerretDB itself never fails start-up for that.
		var ce mongo.CommandError
		if errors.As(err, &ce) {
			return err
		}
		select {
		case <-done:
			return fmt.Errorf("server stopped during start-up (last ping error: %w)", err)
		case <-ctx.Done():
			return fmt.Errorf("%w (last ping error: %v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// URI returns a mongodb:// URI for the official driver, e.g.
// "mongodb://127.0.0.1:41234/". It names no database.
func (m *Mongo) URI() string { return m.uri }

// Close stops the server and waits until it has fully shut down (SQLite files
// or PostgreSQL pool closed). FerretDB gives still-connected clients a 3 s
// grace period, so disconnect drivers first for a fast Close. It is
// idempotent and returns FerretDB's Run error, if any.
func (m *Mongo) Close() error {
	m.closeMu.Do(func() { m.cancel() })
	<-m.done
	return m.runErr
}
