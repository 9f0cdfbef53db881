package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/importjob"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/replay"
)

// maxOptionsBytes caps the options JSON of a multipart upload.
const maxOptionsBytes = 64 << 10

// upload is what a POST /v1/imports carried.
type upload struct {
	file     []byte
	fileName string
	env      []byte
	envName  string
	options  []byte
}

func (s *Server) createImport(c echo.Context) error {
	up, err := s.readUpload(c)
	if err != nil {
		return err
	}
	imp, err := s.submitUpload(c.Request().Context(), accountID(c), up)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/imports/"+imp.ID)
	return c.JSON(http.StatusAccepted, imp)
}

// submitUpload validates an upload and its options, stores it and enqueues
// its import: the one path of POST /v1/imports and of the web page's upload
// form.
func (s *Server) submitUpload(ctx context.Context, account string, up *upload) (inventory.Import, error) {
	opts, err := parseOptions(up.options)
	if err != nil {
		return inventory.Import{}, err
	}
	// Validate everything before storing anything: a rejected upload
	// leaves no trace.
	var popts postman.Options
	if up.env != nil {
		name, vars, err := postman.ParseEnvironment(up.env)
		if err != nil {
			return inventory.Import{}, inputError("environment", err)
		}
		up.envName, popts.Environment = name, vars
	}
	coll, err := postman.Parse(up.file, popts)
	if err != nil {
		return inventory.Import{}, inputError("file", err)
	}

	imp, err := importjob.Submit(ctx, s.store, s.queue, importjob.Input{
		AccountID:      account,
		Options:        opts,
		Source:         inventory.ImportSource{Kind: "upload", FileName: up.fileName, EnvName: up.envName},
		File:           up.file,
		Env:            up.env,
		CollectionName: coll.Name,
		Schema:         coll.Schema,
		Now:            s.now(),
		MaxRetry:       s.cfg.TaskMaxRetry,
	})
	var qerr *importjob.EnqueueError
	if errors.As(err, &qerr) {
		s.log.Error("enqueue import", "error", qerr.Err)
		return inventory.Import{}, newError(http.StatusServiceUnavailable, "queue_unavailable", "the job queue is unavailable; nothing was stored, try again")
	}
	if err != nil {
		return inventory.Import{}, err
	}
	s.metrics.Imports.WithLabelValues(inventory.StatusQueued).Inc()
	s.log.Info("import queued", "import_id", imp.ID, "account_id", imp.AccountID, "bytes", len(up.file), "requests", len(coll.Requests))
	return imp, nil
}

// readUpload reads a raw JSON body or a multipart form, enforcing the size
// limit while reading.
func (s *Server) readUpload(c echo.Context) (*upload, error) {
	r := c.Request()
	ct := r.Header.Get(echo.HeaderContentType)
	mediaType, _, _ := mime.ParseMediaType(ct)
	max := s.cfg.MaxUploadBytes
	// The whole body may hold a collection, an environment and options.
	r.Body = http.MaxBytesReader(c.Response(), r.Body, 2*max+maxOptionsBytes+1<<20)
	switch mediaType {
	case "application/json", "":
		if mediaType == "" && r.ContentLength == 0 {
			return nil, newError(http.StatusBadRequest, "missing_file", "send the collection as an application/json body or a multipart form with a file field")
		}
		data, err := readLimited(r.Body, max, "collection")
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, newError(http.StatusBadRequest, "missing_file", "the request body is empty")
		}
		return &upload{file: data}, nil
	case "multipart/form-data":
		return s.readMultipart(r, max)
	default:
		return nil, newError(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send application/json (the collection) or multipart/form-data (file, environment, options)")
	}
}

func (s *Server) readMultipart(r *http.Request, max int64) (*upload, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, newError(http.StatusBadRequest, "bad_multipart", "malformed multipart body: "+readErrorText(err))
	}
	up := &upload{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge("upload", mbe.Limit)
			}
			return nil, newError(http.StatusBadRequest, "bad_multipart", "malformed multipart body: "+readErrorText(err))
		}
		name := part.FormName()
		switch name {
		case "file":
			if up.file, err = readLimited(part, max, "collection"); err != nil {
				return nil, err
			}
			up.fileName = part.FileName()
		case "environment":
			if up.env, err = readLimited(part, max, "environment"); err != nil {
				return nil, err
			}
		case "options":
			if up.options, err = readLimited(part, maxOptionsBytes, "options"); err != nil {
				return nil, err
			}
		default:
			return nil, newError(http.StatusBadRequest, "unknown_field",
				fmt.Sprintf("unknown form field %q (expected file, environment, options)", name))
		}
	}
	if len(bytes.TrimSpace(up.file)) == 0 {
		return nil, newError(http.StatusBadRequest, "missing_file", "the multipart form has no (or an empty) file field")
	}
	if up.env != nil && len(bytes.TrimSpace(up.env)) == 0 {
		up.env = nil
	}
	return up, nil
}

// readLimited reads at most max bytes; more is a 413.
func readLimited(r io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(what, max)
		}
		return nil, newError(http.StatusBadRequest, "read_failed", "could not read the "+what+": "+readErrorText(err))
	}
	if int64(len(data)) > max {
		return nil, tooLarge(what, max)
	}
	return data, nil
}

func tooLarge(what string, max int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, "too_large",
		fmt.Sprintf("the %s is larger than the limit of %d bytes", what, max)).with("limit_bytes", max)
}

// inputError maps a parse error of the collection or environment to 400
// (not JSON) or 422 (not a Postman document we can read).
func inputError(field string, err error) error {
	var se *postman.SyntaxError
	var fe *postman.FormatError
	var le *postman.LimitError
	switch {
	case errors.As(err, &se):
		return newError(http.StatusBadRequest, "invalid_json", field+": "+se.Error()).
			with("field", field).with("offset", se.Offset).with("line", se.Line).with("column", se.Column)
	case errors.As(err, &fe):
		return newError(http.StatusUnprocessableEntity, "not_a_collection", field+": "+fe.Error()).with("field", field)
	case errors.As(err, &le):
		return newError(http.StatusUnprocessableEntity, "limit_exceeded", field+": "+le.Error()).with("field", field)
	}
	return newError(http.StatusUnprocessableEntity, "unreadable", field+": "+err.Error()).with("field", field)
}

// parseOptions reads the import options; unknown keys are refused so a typo
// is not silently ignored.
func parseOptions(data []byte) (inventory.ImportOptions, error) {
	var o inventory.ImportOptions
	if len(bytes.TrimSpace(data)) == 0 {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		msg := err.Error()
		if strings.HasPrefix(msg, "json: unknown field") {
			msg = strings.TrimPrefix(msg, "json: ")
		}
		return o, newError(http.StatusUnprocessableEntity, "invalid_options", "options: "+msg)
	}
	if err := replay.Normalize(&o); err != nil {
		return o, newError(http.StatusUnprocessableEntity, "invalid_options", "options: "+err.Error())
	}
	return o, nil
}
