package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiError is the one error shape every route answers with:
// {"error": {"code", "message", "details"}}.
type apiError struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func newError(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

func (e *apiError) with(k string, v any) *apiError {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[k] = v
	return e
}

var (
	errUnauthorized = newError(http.StatusUnauthorized, "unauthorized", "missing or invalid bearer token")
	errNotFound     = newError(http.StatusNotFound, "not_found", "no such resource")
)

// errorHandler maps every error to the shared JSON shape. Internal errors
// are logged, never shown.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *apiError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &he):
		ae = newError(he.Code, httpCode(he.Code), http.StatusText(he.Code))
		if msg, ok := he.Message.(string); ok && he.Code < 500 {
			ae.Message = msg
		}
	default:
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
		ae = newError(http.StatusInternalServerError, "internal", "internal error")
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, map[string]any{"error": ae})
}

func httpCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "bad_request"
}
