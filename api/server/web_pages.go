package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/store"
)

// maxReportRows caps the report rows one page shows; the CSV has them all.
const maxReportRows = 500

// replayMethodChoices are the methods the upload form offers for replay.
var replayMethodChoices = []string{"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}

// pageOfItems trims a list read with pageOf to its limit and returns the
// cursor of the next page ("" on the last).
func pageOfItems[T any](items []T, limit int, idOf func(T) string) ([]T, string) {
	if len(items) > limit {
		return items[:limit], base64.RawURLEncoding.EncodeToString([]byte(idOf(items[limit-1])))
	}
	return items, ""
}

// withQuery returns the request's path and query with key set to value.
func withQuery(c echo.Context, key, value string) string {
	q := c.Request().URL.Query()
	q.Set(key, value)
	return c.Request().URL.Path + "?" + q.Encode()
}

func (s *Server) webUploadForm(c echo.Context) error {
	return s.render(c, http.StatusOK, "upload", "Upload a collection", "upload", uploadFormData(nil))
}

// uploadForm is what the upload form sent besides the files.
type uploadForm struct {
	AllowReplay   bool
	DryRun        bool
	AllMethods    bool
	Methods       []string
	KeepStatuses  string
	MaxRPSPerHost string
}

func uploadFormData(f *uploadForm) map[string]any {
	if f == nil {
		f = &uploadForm{Methods: []string{"GET", "HEAD", "OPTIONS"}, KeepStatuses: "2xx", MaxRPSPerHost: "10"}
	}
	return map[string]any{"Form": f, "Methods": replayMethodChoices}
}

// options turns the form into the import options JSON of POST /v1/imports.
// Replay options are sent only with replay on (the API refuses them
// otherwise, and a checked default method is not a choice).
func (f *uploadForm) options() ([]byte, error) {
	o := map[string]any{"allow_replay": f.AllowReplay}
	if f.AllowReplay {
		o["dry_run"] = f.DryRun
		switch {
		case f.AllMethods:
			o["replay_methods"] = "all"
		case len(f.Methods) > 0:
			o["replay_methods"] = f.Methods
		}
		if v := strings.TrimSpace(f.KeepStatuses); v != "" {
			var keep []string
			for _, k := range strings.Split(v, ",") {
				if k = strings.TrimSpace(k); k != "" {
					keep = append(keep, k)
				}
			}
			o["keep_statuses"] = keep
		}
		if v := strings.TrimSpace(f.MaxRPSPerHost); v != "" {
			var n int
			if _, err := fmt.Sscanf(v, "%d", &n); err != nil || fmt.Sprint(n) != v {
				return nil, pageError(http.StatusUnprocessableEntity, "Requests per second per host must be a whole number.")
			}
			o["max_rps_per_host"] = n
		}
	}
	return json.Marshal(o)
}

// webUpload reads the upload form (multipart, in one pass with the size
// limits of POST /v1/imports), checks its CSRF token, and submits it
// through the same core as the API.
func (s *Server) webUpload(c echo.Context) error {
	r := c.Request()
	max := s.cfg.MaxUploadBytes
	r.Body = http.MaxBytesReader(c.Response(), r.Body, 2*max+maxOptionsBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		if err := s.checkCSRF(c, c.FormValue(csrfField)); err != nil {
			return err
		}
		return pageError(http.StatusBadRequest, "Send the form as multipart/form-data.")
	}
	up, form, csrf := &upload{}, &uploadForm{}, ""
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return tooLarge("upload", mbe.Limit)
			}
			return pageError(http.StatusBadRequest, "The form could not be read: "+readErrorText(err))
		}
		switch name := part.FormName(); name {
		case "file":
			if up.file, err = readLimited(part, max, "collection"); err != nil {
				return err
			}
			up.fileName = part.FileName()
		case "environment":
			if up.env, err = readLimited(part, max, "environment"); err != nil {
				return err
			}
		default:
			v, err := readLimited(part, 4<<10, "form field "+name)
			if err != nil {
				return err
			}
			val := string(v)
			switch name {
			case csrfField:
				csrf = val
			case "allow_replay":
				form.AllowReplay = val != ""
			case "dry_run":
				form.DryRun = val != ""
			case "all_methods":
				form.AllMethods = val != ""
			case "replay_methods":
				if slices.Contains(replayMethodChoices, val) {
					form.Methods = append(form.Methods, val)
				}
			case "keep_statuses":
				form.KeepStatuses = val
			case "max_rps_per_host":
				form.MaxRPSPerHost = val
			}
		}
	}
	if err := s.checkCSRF(c, csrf); err != nil {
		return err
	}
	refuse := func(err error) error {
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status >= 500 {
			return err
		}
		c.Set("form_error", ae.Message)
		return s.render(c, ae.Status, "upload", "Upload a collection", "upload", uploadFormData(form))
	}
	if len(strings.TrimSpace(string(up.file))) == 0 {
		return refuse(pageError(http.StatusBadRequest, "Choose a collection file (Postman v1, v2.0 or v2.1 JSON)."))
	}
	if up.env != nil && len(strings.TrimSpace(string(up.env))) == 0 {
		up.env = nil
	}
	if up.options, err = form.options(); err != nil {
		return refuse(err)
	}
	imp, err := s.submitUpload(r.Context(), accountID(c), up)
	if err != nil {
		return refuse(err)
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/imports/"+imp.ID)
}

func (s *Server) webImports(c echo.Context) error {
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	items, err := s.store.ListImports(c.Request().Context(), accountID(c), p)
	if err != nil {
		return err
	}
	items, next := pageOfItems(items, limit, func(i inventory.Import) string { return i.ID })
	data := map[string]any{"Imports": items}
	if next != "" {
		data["Next"] = withQuery(c, "cursor", next)
	}
	return s.render(c, http.StatusOK, "imports", "Imports", "imports", data)
}

// progressView is an import's progress as the page shows it.
type progressView struct {
	Import   inventory.Import
	Finished bool
	// Done counts requests with an outcome; Pending, replays still to run.
	Done, Pending, Skipped int
	Reasons                []reasonCount
}

type reasonCount struct {
	Reason string
	Count  int
}

func newProgress(imp inventory.Import) progressView {
	v := progressView{Import: imp}
	switch imp.Status {
	case inventory.StatusCompleted, inventory.StatusFailed, inventory.StatusCancelled:
		v.Finished = true
	}
	for _, k := range slices.Sorted(maps.Keys(imp.Counts.Skipped)) {
		v.Skipped += imp.Counts.Skipped[k]
		v.Reasons = append(v.Reasons, reasonCount{Reason: k, Count: imp.Counts.Skipped[k]})
	}
	v.Done = imp.Counts.Imported + v.Skipped
	if r := imp.Counts.Replay; r != nil && !v.Finished {
		v.Pending = r.Total - r.Done
	}
	return v
}

func (s *Server) webImport(c echo.Context) error {
	ctx := c.Request().Context()
	imp, err := s.importWithProgress(ctx, accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	outcome, reason := c.QueryParam("outcome"), c.QueryParam("reason")
	_, all, err := s.report(ctx, accountID(c), imp.ID, "", "")
	if err != nil {
		return err
	}
	var reasons []string
	rows := slices.DeleteFunc(slices.Clone(all), func(r inventory.RequestOutcome) bool {
		return (outcome != "" && r.Outcome != outcome) || (reason != "" && r.Reason != reason)
	})
	for _, r := range all {
		if r.Reason != "" && !slices.Contains(reasons, r.Reason) {
			reasons = append(reasons, r.Reason)
		}
	}
	slices.Sort(reasons)
	matched := len(rows)
	if len(rows) > maxReportRows {
		rows = rows[:maxReportRows]
	}
	csv := WebPath + "/imports/" + imp.ID + "/report.csv?" + url.Values{"outcome": {outcome}, "reason": {reason}}.Encode()
	title := "Import " + imp.ID
	if imp.CollectionName != "" {
		title = "Import of " + imp.CollectionName
	}
	return s.render(c, http.StatusOK, "import", title, "imports", map[string]any{
		"Progress": newProgress(imp), "Rows": rows, "Matched": matched, "TotalRows": len(all),
		"Outcome": outcome, "Reason": reason, "Reasons": reasons, "CSV": csv,
		"Outcomes": []string{inventory.OutcomeImported, inventory.OutcomeSkipped, inventory.OutcomePending},
	})
}

// webImportProgress answers the progress fragment the import page polls.
func (s *Server) webImportProgress(c echo.Context) error {
	imp, err := s.importWithProgress(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.renderFragment(c, "import", "progress", newProgress(imp))
}

func (s *Server) webImportCSV(c echo.Context) error {
	imp, rows, err := s.report(c.Request().Context(), accountID(c), c.Param("id"), c.QueryParam("outcome"), c.QueryParam("reason"))
	if err != nil {
		return err
	}
	return reportCSV(c, imp, rows)
}

func (s *Server) webCancelImport(c echo.Context) error {
	if _, err := s.cancel(c.Request().Context(), accountID(c), c.Param("id")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/imports/"+c.Param("id"))
}

func (s *Server) webCollections(c echo.Context) error {
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	items, err := s.store.ListCollections(c.Request().Context(), accountID(c), p)
	if err != nil {
		return err
	}
	items, next := pageOfItems(items, limit, func(i inventory.Collection) string { return i.ID })
	data := map[string]any{"Collections": items}
	if next != "" {
		data["Next"] = withQuery(c, "cursor", next)
	}
	return s.render(c, http.StatusOK, "collections", "Collections", "collections", data)
}

// endpointFilters are the endpoint list's query parameters, as the filter
// form shows them back.
type endpointFilters struct {
	Method, Host, PathPrefix, Q, AuthType, SensitiveType, Status, Removed, Sort string
}

func (s *Server) webCollection(c echo.Context) error {
	ctx := c.Request().Context()
	col, err := s.store.GetCollection(ctx, accountID(c), c.Param("id"))
	if err != nil {
		return notFound(err)
	}
	f := endpointFilters{
		Method: c.QueryParam("method"), Host: c.QueryParam("host"), PathPrefix: c.QueryParam("path_prefix"),
		Q: c.QueryParam("q"), AuthType: c.QueryParam("auth_type"), SensitiveType: c.QueryParam("sensitive_type"),
		Status: c.QueryParam("status"), Removed: c.QueryParam("removed"), Sort: c.QueryParam("sort"),
	}
	data := map[string]any{
		"Collection": col, "Filters": f, "Filtered": f != (endpointFilters{Sort: f.Sort}),
		"Methods":   []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"},
		"AuthTypes": authtype.All, "Sensitive": sensitive.Types, "Sorts": store.EndpointSorts,
	}
	// The same query as GET /v1/collections/{id}/endpoints; a bad filter
	// is shown above the form, which stays usable.
	page, err := s.endpointPage(c)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
		c.Set("form_error", ae.Message)
		return s.render(c, http.StatusBadRequest, "collection", col.Name, "collections", data)
	case err != nil:
		return err
	}
	data["Endpoints"] = page.Items
	if page.NextCursor != nil {
		data["Next"] = withQuery(c, "cursor", *page.NextCursor)
	}
	return s.render(c, http.StatusOK, "collection", col.Name, "collections", data)
}

func (s *Server) webEndpoint(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.endpointWithSamples(ctx, accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	col, err := s.store.GetCollection(ctx, accountID(c), v.CollectionID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.render(c, http.StatusOK, "endpoint", v.Method+" "+v.Path, "collections", map[string]any{
		"Endpoint": v, "Collection": col, "Redacted": s.cfg.RedactSamples,
	})
}
