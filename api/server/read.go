package server

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/store"
)

// List paging limits.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// list is the shape of every list answer.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// pageOf reads limit and cursor. It asks the store for one more item than
// the limit, to know whether a next page exists.
func pageOf(c echo.Context) (store.Page, int, error) {
	limit := defaultLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return store.Page{}, 0, newError(http.StatusBadRequest, "invalid_limit", "limit must be an integer from 1 to 1000")
		}
		limit = n
	}
	p := store.Page{Limit: limit + 1}
	if v := c.QueryParam("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return store.Page{}, 0, newError(http.StatusBadRequest, "invalid_cursor", "cursor is not one this API returned")
		}
		p.After = string(b)
	}
	return p, limit, nil
}

func respondList[T any](c echo.Context, items []T, limit int, idOf func(T) string) error {
	out := list[T]{Items: items}
	if len(items) > limit {
		out.Items = items[:limit]
		next := base64.RawURLEncoding.EncodeToString([]byte(idOf(items[limit-1])))
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

// notFound maps store.ErrNotFound to the API's 404.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

func (s *Server) getImport(c echo.Context) error {
	imp, err := s.store.GetImport(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return notFound(err)
	}
	return c.JSON(http.StatusOK, imp)
}

func (s *Server) listImports(c echo.Context) error {
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	items, err := s.store.ListImports(c.Request().Context(), accountID(c), p)
	if err != nil {
		return err
	}
	return respondList(c, items, limit, func(i inventory.Import) string { return i.ID })
}

func (s *Server) getCollection(c echo.Context) error {
	col, err := s.store.GetCollection(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return notFound(err)
	}
	return c.JSON(http.StatusOK, col)
}

func (s *Server) listCollections(c echo.Context) error {
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	items, err := s.store.ListCollections(c.Request().Context(), accountID(c), p)
	if err != nil {
		return err
	}
	return respondList(c, items, limit, func(i inventory.Collection) string { return i.ID })
}

// endpointView is an endpoint as the API shows it.
type endpointView struct {
	inventory.Endpoint
	SampleCount int                `json:"sample_count"`
	Samples     []inventory.Sample `json:"samples,omitempty"`
}

func (s *Server) listEndpoints(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := s.store.GetCollection(ctx, accountID(c), c.Param("id")); err != nil {
		return notFound(err)
	}
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	eps, err := s.store.ListEndpoints(ctx, accountID(c), c.Param("id"), p)
	if err != nil {
		return err
	}
	views := make([]endpointView, len(eps))
	for i, ep := range eps {
		views[i] = endpointView{Endpoint: ep, SampleCount: len(ep.SampleIDs)}
	}
	return respondList(c, views, limit, func(v endpointView) string { return v.ID })
}

func (s *Server) getEndpoint(c echo.Context) error {
	ctx := c.Request().Context()
	ep, err := s.store.GetEndpoint(ctx, accountID(c), c.Param("id"))
	if err != nil {
		return notFound(err)
	}
	samples, err := s.store.SamplesByID(ctx, accountID(c), ep.SampleIDs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, endpointView{Endpoint: ep, SampleCount: len(ep.SampleIDs), Samples: samples})
}
