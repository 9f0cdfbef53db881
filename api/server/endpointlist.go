package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/store"
)

// maxFilterLen caps the text filters of the endpoint list.
const maxFilterLen = 512

// methodToken is an HTTP method as the filter accepts it.
var methodToken = regexp.MustCompile(`^[A-Za-z]{1,20}$`)

func badFilter(param, msg string) error {
	return newError(http.StatusBadRequest, "invalid_filter", msg).with("param", param)
}

// endpointFilter reads the endpoint list's filters: method (comma
// separated), host, path_prefix, q, auth_type, sensitive_type, status and
// removed (true, false or any).
func endpointFilter(c echo.Context) (store.EndpointFilter, error) {
	var f store.EndpointFilter
	for _, p := range []string{"host", "path_prefix", "q"} {
		if len(c.QueryParam(p)) > maxFilterLen {
			return f, badFilter(p, p+" must be at most "+strconv.Itoa(maxFilterLen)+" bytes")
		}
	}
	if v := c.QueryParam("method"); v != "" {
		for m := range strings.SplitSeq(v, ",") {
			m = strings.TrimSpace(m)
			if !methodToken.MatchString(m) {
				return f, badFilter("method", "method must be a comma-separated list of HTTP methods")
			}
			if m = strings.ToUpper(m); !slices.Contains(f.Methods, m) {
				f.Methods = append(f.Methods, m)
			}
		}
	}
	f.Host = strings.ToLower(c.QueryParam("host"))
	if f.PathPrefix = c.QueryParam("path_prefix"); f.PathPrefix != "" && !strings.HasPrefix(f.PathPrefix, "/") {
		return f, badFilter("path_prefix", "path_prefix must start with /")
	}
	f.Search = c.QueryParam("q")
	if v := c.QueryParam("auth_type"); v != "" {
		f.AuthType = strings.ToUpper(v)
		if !slices.Contains(authtype.All, authtype.Type(f.AuthType)) {
			return f, badFilter("auth_type", "auth_type must be one of "+joinTypes(authtype.All))
		}
	}
	if v := c.QueryParam("sensitive_type"); v != "" {
		f.SensitiveType = strings.ToUpper(v)
		if !slices.Contains(sensitive.Types, sensitive.Type(f.SensitiveType)) {
			return f, badFilter("sensitive_type", "sensitive_type must be one of "+joinTypes(sensitive.Types))
		}
	}
	if v := c.QueryParam("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			return f, badFilter("status", "status must be an HTTP status code from 100 to 599")
		}
		f.Status = n
	}
	switch v := c.QueryParam("removed"); v {
	case "", "any":
	case "true", "false":
		b := v == "true"
		f.Removed = &b
	default:
		return f, badFilter("removed", "removed must be true, false or any")
	}
	return f, nil
}

func joinTypes[T ~string](ts []T) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// endpointCursor is the endpoint list's cursor: the order it continues
// and the sort values of the last endpoint shown.
type endpointCursor struct {
	Sort     string `json:"s"`
	ID       string `json:"i"`
	Method   string `json:"m,omitempty"`
	Host     string `json:"h,omitempty"`
	Path     string `json:"p,omitempty"`
	LastSeen int64  `json:"t,omitempty"` // Unix milliseconds
}

func encodeEndpointCursor(sort store.EndpointSort, c store.EndpointCursor) string {
	b, _ := json.Marshal(endpointCursor{
		Sort: string(sort), ID: c.ID, Method: c.Method, Host: c.Host, Path: c.Path, LastSeen: c.LastSeen.UnixMilli(),
	})
	return base64.RawURLEncoding.EncodeToString(b)
}

// endpointQuery reads the endpoint list's filters, sort, limit and cursor.
func endpointQuery(c echo.Context) (store.EndpointQuery, int, error) {
	f, err := endpointFilter(c)
	if err != nil {
		return store.EndpointQuery{}, 0, err
	}
	q := store.EndpointQuery{Filter: f, Sort: store.SortPath}
	if v := c.QueryParam("sort"); v != "" {
		q.Sort = store.EndpointSort(v)
		if !slices.Contains(store.EndpointSorts, q.Sort) {
			return q, 0, newError(http.StatusBadRequest, "invalid_sort", "sort must be one of "+joinTypes(store.EndpointSorts))
		}
	}
	limit := defaultLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return q, 0, newError(http.StatusBadRequest, "invalid_limit", "limit must be an integer from 1 to 1000")
		}
		limit = n
	}
	q.Limit = limit + 1
	if v := c.QueryParam("cursor"); v != "" {
		var ec endpointCursor
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || json.Unmarshal(b, &ec) != nil || ec.ID == "" {
			return q, 0, newError(http.StatusBadRequest, "invalid_cursor", "cursor is not one this API returned")
		}
		if ec.Sort != string(q.Sort) {
			return q, 0, newError(http.StatusBadRequest, "invalid_cursor", "cursor belongs to sort="+ec.Sort+"; keep the sort of the first page")
		}
		q.After = &store.EndpointCursor{
			ID: ec.ID, Method: ec.Method, Host: ec.Host, Path: ec.Path, LastSeen: time.UnixMilli(ec.LastSeen).UTC(),
		}
	}
	return q, limit, nil
}

// listEndpoints lists a collection's endpoints, filtered and sorted, a page
// at a time.
func (s *Server) listEndpoints(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := s.store.GetCollection(ctx, accountID(c), c.Param("id")); err != nil {
		return notFound(err)
	}
	out, err := s.endpointPage(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// endpointPage reads one page of collection c.Param("id")'s endpoints with
// the filters, sort, limit and cursor of the query string (the JSON list
// and the web page's table).
func (s *Server) endpointPage(c echo.Context) (list[endpointView], error) {
	q, limit, err := endpointQuery(c)
	if err != nil {
		return list[endpointView]{}, err
	}
	eps, err := s.store.QueryEndpoints(c.Request().Context(), accountID(c), c.Param("id"), q)
	if err != nil {
		return list[endpointView]{}, err
	}
	out := list[endpointView]{Items: make([]endpointView, 0, min(len(eps), limit))}
	for _, ep := range eps[:min(len(eps), limit)] {
		out.Items = append(out.Items, endpointView{Endpoint: ep, SampleCount: len(ep.SampleIDs)})
	}
	if len(eps) > limit {
		next := encodeEndpointCursor(q.Sort, store.CursorOf(eps[limit-1]))
		out.NextCursor = &next
	}
	return out, nil
}
