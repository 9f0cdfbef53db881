// Package service holds what every apiscout process does around its real
// work: connect to Redis and MongoDB, answer liveness and readiness, adapt
// asynq's logger to slog.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/store"
)

// Deps are the connections a process holds.
type Deps struct {
	// AsynqRedis is the asynq connection option for the configured Redis.
	AsynqRedis asynq.RedisConnOpt
	// Redis is a plain client, for readiness pings.
	Redis *redis.Client
	Store *store.Store
}

// Connect opens Redis and MongoDB and makes sure the indexes exist. It waits
// up to wait for MongoDB to answer (a container may still be starting).
func Connect(ctx context.Context, cfg config.Config, wait time.Duration) (*Deps, error) {
	if err := cfg.RequireServices(); err != nil {
		return nil, err
	}
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("%sREDIS_URL: %w", config.Prefix, err)
	}
	aopt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("%sREDIS_URL: %w", config.Prefix, err)
	}
	st, err := store.Open(ctx, cfg.MongoURI, cfg.MongoDB)
	if err != nil {
		return nil, err
	}
	d := &Deps{AsynqRedis: aopt, Redis: redis.NewClient(ropt), Store: st}
	deadline := time.Now().Add(wait)
	for {
		err = st.EnsureIndexes(ctx)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		d.Close(context.Background())
		return nil, fmt.Errorf("mongodb not ready: %w", err)
	}
	return d, nil
}

// Close releases the connections.
func (d *Deps) Close(ctx context.Context) {
	_ = d.Redis.Close()
	_ = d.Store.Close(ctx)
}

// Health answers /livez and /readyz.
type Health struct {
	deps     *Deps
	stopping atomic.Bool
}

// NewHealth returns a Health that pings deps.
func NewHealth(d *Deps) *Health { return &Health{deps: d} }

// Stopping makes readiness fail from now on (graceful shutdown has begun).
func (h *Health) Stopping() { h.stopping.Store(true) }

// Live answers 200 without looking at any dependency.
func (h *Health) Live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Check pings Redis and MongoDB; it fails while shutting down.
func (h *Health) Check(ctx context.Context) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res := map[string]string{"redis": "ok", "mongodb": "ok"}
	if err := h.deps.Redis.Ping(ctx).Err(); err != nil {
		res["redis"] = "unavailable"
	}
	if err := h.deps.Store.Ping(ctx); err != nil {
		res["mongodb"] = "unavailable"
	}
	if h.stopping.Load() {
		res["process"] = "shutting down"
	}
	return res
}

// Ready answers 200 when Check found everything well, else 503.
func (h *Health) Ready(w http.ResponseWriter, r *http.Request) {
	res := h.Check(r.Context())
	code := http.StatusOK
	for _, v := range res {
		if v != "ok" {
			code = http.StatusServiceUnavailable
		}
	}
	writeJSON(w, code, res)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// AsynqLogger adapts slog to asynq's Logger.
type AsynqLogger struct{ Log *slog.Logger }

func (l AsynqLogger) Debug(args ...any) { l.Log.Debug(fmt.Sprint(args...), "component", "asynq") }
func (l AsynqLogger) Info(args ...any)  { l.Log.Info(fmt.Sprint(args...), "component", "asynq") }
func (l AsynqLogger) Warn(args ...any)  { l.Log.Warn(fmt.Sprint(args...), "component", "asynq") }
func (l AsynqLogger) Error(args ...any) { l.Log.Error(fmt.Sprint(args...), "component", "asynq") }

// Fatal logs and exits, as asynq's Logger contract requires.
func (l AsynqLogger) Fatal(args ...any) {
	l.Log.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
	os.Exit(1)
}

// ServeHTTP serves srv on ln until ctx ends, then shuts it down within
// timeout. It returns when the server has stopped.
func ServeHTTP(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		return e
	}
	return err
}

// Probe GETs http://addr/readyz and fails unless it answers 200; container
// healthchecks run it through the binaries' "healthcheck" command, since the
// images carry no curl.
func Probe(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz answered %d", resp.StatusCode)
	}
	return nil
}
