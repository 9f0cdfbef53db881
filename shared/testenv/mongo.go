package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/devstack"
)

const mongoDirPrefix = "apiscout-testenv-mongo-"

// mongoEnv is the per-process FerretDB, started on first use.
var mongoEnv struct {
	once   sync.Once
	mu     sync.Mutex // guards srv/admin/dir against Main's shutdown
	srv    *devstack.Mongo
	admin  *mongo.Client
	dir    string
	err    error
	closed bool
}

// Mongo returns the URI of this test process's embedded FerretDB (started on
// first call: SQLite in a temporary folder, or PostgreSQL when
// APISCOUT_TEST_POSTGRES_URL is set) and a fresh, unique database name
// ("t_" + 12 hex digits). The database is dropped in t.Cleanup. The URI names
// no database; use the returned name. Fails the test if FerretDB cannot start.
//
// Remember FerretDB v1 limits: no transactions, lookups scan, and BulkWrite
// with >=100 updates to existing documents deadlocks.
func Mongo(t testing.TB) (uri string, dbName string) {
	t.Helper()
	srv, admin, err := startMongo()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	dbName = "t_" + randomHex(6)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.Database(dbName).Drop(ctx); err != nil {
			t.Errorf("testenv: drop database %s: %v", dbName, err)
		}
	})
	return srv.URI(), dbName
}

// MongoClient is Mongo plus a connected mongo-driver client and its database
// handle. The client is disconnected in t.Cleanup, before the database is
// dropped.
func MongoClient(t testing.TB) (*mongo.Client, *mongo.Database) {
	t.Helper()
	uri, name := Mongo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatalf("testenv: connect to %s: %v", uri, err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c, c.Database(name)
}

// Main runs the tests, then stops the FerretDB started by Mongo (if any),
// removes its temporary data folder, and exits with the tests' status. Call
// it from TestMain in every package that uses Mongo or MongoClient. Without
// it the folder is left behind until a later test process sweeps folders of
// processes that no longer exist.
func Main(m *testing.M) {
	code := m.Run()
	if err := Shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stopping FerretDB: %v\n", err)
	}
	os.Exit(code)
}

// Shutdown is Main's clean-up step for a custom TestMain (e.g. one that runs
// goleak afterwards): it stops the process's FerretDB, if Mongo started one,
// waits for it, and removes its data folder. Later Mongo calls fail. Safe to
// call more than once. Redis claims need no process-level clean-up.
func Shutdown() error {
	return shutdownMongo()
}

func startMongo() (*devstack.Mongo, *mongo.Client, error) {
	mongoEnv.once.Do(func() {
		mongoEnv.mu.Lock()
		defer mongoEnv.mu.Unlock()
		mongoEnv.err = doStartMongo()
	})
	mongoEnv.mu.Lock()
	defer mongoEnv.mu.Unlock()
	if mongoEnv.err != nil {
		return nil, nil, mongoEnv.err
	}
	if mongoEnv.closed {
		return nil, nil, errors.New("FerretDB already stopped by testenv.Main")
	}
	return mongoEnv.srv, mongoEnv.admin, nil
}

func doStartMongo() error {
	cfg := devstack.MongoConfig{
		PostgresURL: os.Getenv("APISCOUT_TEST_POSTGRES_URL"),
	}
	if cfg.PostgresURL == "" {
		sweepStaleDirs()
		dir, err := os.MkdirTemp("", mongoDirPrefix+strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			return fmt.Errorf("FerretDB data folder: %w", err)
		}
		mongoEnv.dir = dir
		cfg.Dir = dir
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := devstack.StartMongo(ctx, cfg)
	if err != nil {
		if mongoEnv.dir != "" {
			_ = os.RemoveAll(mongoEnv.dir)
		}
		return err
	}
	admin, err := mongo.Connect(ctx, options.Client().ApplyURI(srv.URI()))
	if err != nil {
		_ = srv.Close()
		if mongoEnv.dir != "" {
			_ = os.RemoveAll(mongoEnv.dir)
		}
		return fmt.Errorf("connect to FerretDB: %w", err)
	}
	mongoEnv.srv, mongoEnv.admin = srv, admin
	return nil
}

func shutdownMongo() error {
	mongoEnv.mu.Lock()
	defer mongoEnv.mu.Unlock()
	if mongoEnv.srv == nil || mongoEnv.closed {
		return nil
	}
	mongoEnv.closed = true
	// Disconnect first: FerretDB gives open connections a 3 s grace period.
	_ = mongoEnv.admin.Disconnect(context.Background())
	err := mongoEnv.srv.Close()
	if mongoEnv.dir != "" {
		if rerr := os.RemoveAll(mongoEnv.dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// sweepStaleDirs removes data folders left by test processes that exited
// without calling Main. Folder names embed the owner's PID.
func sweepStaleDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), mongoDirPrefix+"*"))
	for _, dir := range matches {
		rest := strings.TrimPrefix(filepath.Base(dir), mongoDirPrefix)
		pidStr, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		// The owner must be gone and the data untouched for an hour: a
		// process in another PID namespace looks gone but still writes.
		if processGone(pid) && !recentlyModified(dir, time.Hour) {
			_ = os.RemoveAll(dir)
		}
	}
}

func processGone(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
}

// recentlyModified reports whether dir or a file in it changed within d.
func recentlyModified(dir string, d time.Duration) bool {
	cutoff := time.Now().Add(-d)
	recent := false
	_ = filepath.WalkDir(dir, func(_ string, e os.DirEntry, err error) error {
		if err != nil || recent {
			return filepath.SkipAll
		}
		if info, err := e.Info(); err == nil && info.ModTime().After(cutoff) {
			recent = true
		}
		return nil
	})
	return recent
}
