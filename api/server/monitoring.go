package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/labstack/echo/v4"
)

// QueueUIPath is where the queue dashboard (asynqmon: its UI, static files
// and JSON API) is mounted.
const QueueUIPath = "/monitoring/queues"

// queueUIMethods are the methods asynqmon answers.
var queueUIMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete}

// ErrNoOperatorCredentials is returned by MountQueueUI when
// APISCOUT_ADMIN_USER / APISCOUT_ADMIN_PASSWORD are unset: the dashboard is
// never served without authentication.
var ErrNoOperatorCredentials = errors.New("queue dashboard not mounted: set APISCOUT_ADMIN_USER and APISCOUT_ADMIN_PASSWORD")

var (
	errOperatorUnauthorized = newError(http.StatusUnauthorized, "unauthorized", "operator credentials required")
	errQueueUIReadOnly      = newError(http.StatusForbidden, "read_only",
		"the queue dashboard is read-only (APISCOUT_QUEUE_UI_READ_ONLY=true)")
)

// MountQueueUI serves asynqmon under QueueUIPath behind the operators'
// basic auth, read-only unless the configuration says otherwise. It refuses
// (ErrNoOperatorCredentials) without credentials. Close the returned closer
// after the HTTP server has stopped: it holds Redis connections.
func (s *Server) MountQueueUI(redis asynq.RedisConnOpt) (io.Closer, error) {
	if !s.cfg.QueueUIEnabled() {
		return nil, ErrNoOperatorCredentials
	}
	h := asynqmon.New(asynqmon.Options{
		RootPath:          QueueUIPath,
		RedisConnOpt:      redis,
		ReadOnly:          s.cfg.QueueUIReadOnly,
		PrometheusAddress: s.cfg.QueueUIPrometheusURL,
	})
	mw := []echo.MiddlewareFunc{s.operatorAuth}
	if s.cfg.QueueUIReadOnly {
		// asynqmon refuses writes itself too, but in plain text; this
		// answers in the API's error shape before it is reached.
		mw = append(mw, readOnly)
	}
	handler := echo.WrapHandler(h)
	s.echo.Match(queueUIMethods, QueueUIPath, handler, mw...)
	s.echo.Match(queueUIMethods, QueueUIPath+"/*", handler, mw...)
	return h, nil
}

// operatorAuth checks the operators' basic-auth credentials in constant time.
func (s *Server) operatorAuth(next echo.HandlerFunc) echo.HandlerFunc {
	wantUser := sha256.Sum256([]byte(s.cfg.AdminUser))
	wantPass := sha256.Sum256([]byte(s.cfg.AdminPassword))
	return func(c echo.Context) error {
		user, pass, ok := c.Request().BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		match := subtle.ConstantTimeCompare(gotUser[:], wantUser[:]) & subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || match != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="apiscout operators", charset="UTF-8"`)
			return errOperatorUnauthorized
		}
		return next(c)
	}
}

func readOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method != http.MethodGet {
			return errQueueUIReadOnly
		}
		return next(c)
	}
}

// quietRoute reports routes whose requests are not logged one by one:
// probes, scrapes, the queue dashboard's polling, the web page's progress
// polling and static files.
func quietRoute(route string) bool {
	switch route {
	case "/livez", "/readyz", "/metrics", WebPath + "/imports/:id/progress", WebPath + "/static/*":
		return true
	}
	return strings.HasPrefix(route, QueueUIPath)
}
