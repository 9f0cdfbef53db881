// Package server is apiscout's HTTP API: an Echo application that accepts
// collection uploads, enqueues import tasks and serves the inventory back.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/auth"
	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/replaystate"
	"github.com/apiscout/apiscout/shared/service"
	"github.com/apiscout/apiscout/shared/store"
)

// Store is what the API needs of the database.
type Store interface {
	AccountByTokenHash(ctx context.Context, tokenHash string) (string, error)
	PutBlob(ctx context.Context, id string, data []byte) error
	DeleteBlob(ctx context.Context, id string) error
	CreateImport(ctx context.Context, imp inventory.Import) error
	DeleteImport(ctx context.Context, accountID, id string) error
	GetImport(ctx context.Context, accountID, id string) (inventory.Import, error)
	ListImports(ctx context.Context, accountID string, p store.Page) ([]inventory.Import, error)
	Outcomes(ctx context.Context, accountID, importID string) ([]inventory.RequestOutcome, error)
	GetCollection(ctx context.Context, accountID, id string) (inventory.Collection, error)
	ListCollections(ctx context.Context, accountID string, p store.Page) ([]inventory.Collection, error)
	QueryEndpoints(ctx context.Context, accountID, collectionID string, q store.EndpointQuery) ([]inventory.Endpoint, error)
	GetEndpoint(ctx context.Context, accountID, id string) (inventory.Endpoint, error)
	SamplesByID(ctx context.Context, accountID string, ids []string) ([]inventory.Sample, error)
	CollectionEndpoints(ctx context.Context, accountID, collectionID string) ([]inventory.Endpoint, error)
	ListChanges(ctx context.Context, accountID, collectionID string, p store.Page) ([]changes.Set, error)
	ChangesOfImport(ctx context.Context, accountID, importID string) (changes.Set, error)
	ImportChanges(ctx context.Context, accountID, id string) (*changes.Summary, error)
	WorkspaceStore
}

var _ Store = (*store.Store)(nil)

// ReplayState is the in-flight replay state (replaystate.State).
type ReplayState interface {
	Progress(ctx context.Context, importID string) (replaystate.Progress, bool, error)
	Cancel(ctx context.Context, importID string) error
}

// Enqueuer puts tasks on the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Server is the API.
type Server struct {
	cfg     config.Config
	store   Store
	queue   Enqueuer
	state   ReplayState
	health  *service.Health
	metrics *metrics.Metrics
	log     *slog.Logger
	now     func() time.Time
	echo    *echo.Echo
	ws      *workspaceAPI
	web     *web
}

// New builds the Echo application.
func New(cfg config.Config, st Store, q Enqueuer, state ReplayState, health *service.Health, m *metrics.Metrics, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, store: st, queue: q, state: state, health: health, metrics: m, log: log, now: time.Now}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.recoverer, s.observe)

	e.GET("/livez", echo.WrapHandler(http.HandlerFunc(health.Live)))
	e.GET("/readyz", echo.WrapHandler(http.HandlerFunc(health.Ready)))
	e.GET("/metrics", echo.WrapHandler(m.Handler()))
	e.GET("/openapi.yaml", serveOpenAPI)

	v1 := e.Group("/v1", s.authenticate)
	v1.POST("/imports", s.createImport)
	v1.GET("/imports", s.listImports)
	v1.GET("/imports/:id", s.getImport)
	v1.POST("/imports/:id/cancel", s.cancelImport)
	v1.GET("/imports/:id/report", s.importReport)
	v1.GET("/collections", s.listCollections)
	v1.GET("/collections/:id", s.getCollection)
	v1.GET("/collections/:id/endpoints", s.listEndpoints)
	v1.GET("/collections/:id/openapi", s.exportOpenAPI)
	v1.GET("/collections/:id/changes", s.listChanges)
	v1.GET("/endpoints/:id", s.getEndpoint)
	s.workspaceRoutes(v1)
	s.webRoutes(e)
	s.echo = e
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Options are hooks for embedding the API (tests, the dev launcher).
type Options struct {
	// Ready, when set, is called with the listen address once the API serves.
	Ready func(addr string)
}

// Run serves the API until ctx is cancelled, then shuts down gracefully:
//  1. readiness turns 503, so a load balancer stops sending traffic;
//  2. the HTTP server stops accepting and waits for in-flight requests
//     (uploads included) up to the shutdown timeout;
//  3. the queue dashboard's and the queue collector's Redis connections
//     close, then the asynq client (after the last enqueue);
//  4. the Redis and MongoDB connections close.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) error {
	deps, err := service.Connect(ctx, cfg, 30*time.Second)
	if err != nil {
		return err
	}
	defer deps.Close(context.Background())
	client := asynq.NewClient(deps.AsynqRedis)
	defer client.Close()
	health := service.NewHealth(deps)
	m := metrics.New()
	if cfg.QueueMetrics == config.QueueMetricsAPI {
		closeQueueMetrics, err := m.RegisterQueueMetrics(deps.AsynqRedis)
		if err != nil {
			return fmt.Errorf("queue metrics: %w", err)
		}
		defer closeQueueMetrics()
	}
	s := New(cfg, deps.Store, client, replaystate.New(deps.Redis), health, m, log)
	s.usePostman(deps.Redis)
	queueUI, err := s.MountQueueUI(deps.AsynqRedis)
	switch {
	case err == nil:
		defer queueUI.Close() // after the HTTP server has stopped
		log.Info("queue dashboard mounted", "path", QueueUIPath, "read_only", cfg.QueueUIReadOnly)
	case errors.Is(err, ErrNoOperatorCredentials):
		log.Warn(err.Error())
	default:
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("api listener: %w", err)
	}
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	srvCtx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- service.ServeHTTP(srvCtx, hs, ln, cfg.ShutdownTimeout) }()
	log.Info("api ready", "addr", ln.Addr().String())
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		return fmt.Errorf("api server: %w", err)
	case <-ctx.Done():
	}
	log.Info("api shutting down")
	health.Stopping()
	stop()
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("api server stop", "error", err)
	}
	log.Info("api stopped")
	return nil
}

type ctxKey struct{}

// authenticate resolves the bearer token to an account.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := auth.BearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
		if !ok {
			return errUnauthorized
		}
		accountID, err := s.store.AccountByTokenHash(c.Request().Context(), auth.Hash(token))
		if errors.Is(err, store.ErrNotFound) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		c.Set("account_id", accountID)
		return next(c)
	}
}

func accountID(c echo.Context) string { return c.Get("account_id").(string) }

// recoverer turns a panic into a 500 (logged with the shared error shape).
func (s *Server) recoverer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// observe logs each request and records its duration by route.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		code := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.HTTPRequests.WithLabelValues(c.Request().Method, route, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
		if !quietRoute(route) {
			s.log.Info("http request", "method", c.Request().Method, "route", route, "status", code,
				"duration_ms", time.Since(start).Milliseconds(), "bytes_in", c.Request().ContentLength)
		}
		return nil
	}
}
