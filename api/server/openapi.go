package server

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument describes this API (OpenAPI 3.1). Tests walk the
// registered routes and fail on any it lacks, and validate real requests and
// responses against it.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// OpenAPI returns the API's OpenAPI 3.1 document (YAML).
func OpenAPI() []byte { return openAPIDocument }

// serveOpenAPI answers GET /openapi.yaml.
func serveOpenAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/yaml", openAPIDocument)
}

// Route is one registered method and path, in Echo's notation (":id" for a
// parameter, "*" for the rest of the path).
type Route struct {
	Method string
	Path   string
}

// Routes lists every registered route, including the queue dashboard once
// mounted (Echo's internal not-found routes of groups excepted).
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.echo.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	return out
}
