package server

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/replaystate"
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
	imp, err := s.importWithProgress(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	v, err := s.importView(c, imp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// importWithProgress reads an import with its live replay counters.
func (s *Server) importWithProgress(ctx context.Context, account, id string) (inventory.Import, error) {
	imp, err := s.store.GetImport(ctx, account, id)
	if err != nil {
		return imp, notFound(err)
	}
	if err := s.withProgress(ctx, &imp); err != nil {
		return imp, err
	}
	return imp, nil
}

// withProgress adds the live replay counters of a running import.
func (s *Server) withProgress(ctx context.Context, imp *inventory.Import) error {
	if imp.Status != inventory.StatusRunning || imp.Counts.Replay == nil || imp.Counts.Replay.Total == 0 {
		return nil
	}
	p, ok, err := s.state.Progress(ctx, imp.ID)
	if err != nil || !ok {
		return err
	}
	imp.Counts = replaystate.AddTo(imp.Counts, p)
	return nil
}

func (s *Server) cancelImport(c echo.Context) error {
	imp, err := s.cancel(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, imp)
}

// cancel stops an unfinished import's pending replays.
func (s *Server) cancel(ctx context.Context, account, id string) (inventory.Import, error) {
	imp, err := s.store.GetImport(ctx, account, id)
	if err != nil {
		return imp, notFound(err)
	}
	switch imp.Status {
	case inventory.StatusCompleted, inventory.StatusFailed, inventory.StatusCancelled:
		return imp, newError(http.StatusConflict, "already_finished", "the import is already "+imp.Status)
	}
	if err := s.state.Cancel(ctx, imp.ID); err != nil {
		return imp, err
	}
	s.log.Info("import cancel requested", "import_id", imp.ID, "account_id", imp.AccountID)
	if err := s.withProgress(ctx, &imp); err != nil {
		return imp, err
	}
	return imp, nil
}

// importReport lists what the import did with every request, as JSON or
// (format=csv, or Accept: text/csv) CSV.
func (s *Server) importReport(c echo.Context) error {
	imp, rows, err := s.report(c.Request().Context(), accountID(c), c.Param("id"), c.QueryParam("outcome"), c.QueryParam("reason"))
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "csv" || strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		return reportCSV(c, imp, rows)
	}
	return c.JSON(http.StatusOK, map[string]any{"import_id": imp.ID, "status": imp.Status, "items": rows})
}

// report reads an import and what it did with every request, keeping the
// rows of one outcome and one reason when those are not empty.
func (s *Server) report(ctx context.Context, account, id, outcome, reason string) (inventory.Import, []inventory.RequestOutcome, error) {
	imp, err := s.store.GetImport(ctx, account, id)
	if err != nil {
		return imp, nil, notFound(err)
	}
	rows, err := s.store.Outcomes(ctx, imp.AccountID, imp.ID)
	if err != nil {
		return imp, nil, err
	}
	if outcome != "" {
		rows = slices.DeleteFunc(rows, func(r inventory.RequestOutcome) bool { return r.Outcome != outcome })
	}
	if reason != "" {
		rows = slices.DeleteFunc(rows, func(r inventory.RequestOutcome) bool { return r.Reason != reason })
	}
	return imp, rows, nil
}

// reportCSV answers an import's report as a CSV attachment.
func reportCSV(c echo.Context, imp inventory.Import, rows []inventory.RequestOutcome) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+imp.ID+`-report.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"index", "folder", "name", "method", "url", "outcome", "reason", "detail", "status", "samples", "endpoint_ids"})
	for _, r := range rows {
		status := ""
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		_ = w.Write([]string{strconv.Itoa(r.Index), strings.Join(r.Folders, " / "), r.Name, r.Method, r.URL,
			r.Outcome, r.Reason, r.Detail, status, strconv.Itoa(r.Samples), strings.Join(r.EndpointIDs, " ")})
	}
	w.Flush()
	return w.Error()
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

func (s *Server) getEndpoint(c echo.Context) error {
	v, err := s.endpointWithSamples(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// endpointWithSamples reads an endpoint and its retained samples.
func (s *Server) endpointWithSamples(ctx context.Context, account, id string) (endpointView, error) {
	ep, err := s.store.GetEndpoint(ctx, account, id)
	if err != nil {
		return endpointView{}, notFound(err)
	}
	samples, err := s.store.SamplesByID(ctx, account, ep.SampleIDs)
	if err != nil {
		return endpointView{}, err
	}
	return endpointView{Endpoint: ep, SampleCount: len(ep.SampleIDs), Samples: samples}, nil
}
