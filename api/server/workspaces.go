package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/credentials"
	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postmanapi"
	"github.com/apiscout/apiscout/shared/replay"
	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/shared/workspace"
)

// WorkspaceStore is what the Postman workspace routes need of the database.
type WorkspaceStore interface {
	CreateCredential(ctx context.Context, c workspace.Credential) error
	GetCredential(ctx context.Context, accountID, id string) (workspace.Credential, error)
	ListCredentials(ctx context.Context, accountID string, p store.Page) ([]workspace.Credential, error)
	DeleteCredential(ctx context.Context, accountID, id string) error
	ResealCredential(ctx context.Context, accountID, id string, sealed secret.Sealed) error
	CreateSync(ctx context.Context, sy workspace.Sync) error
	GetSync(ctx context.Context, accountID, id string) (workspace.Sync, error)
	DeleteSync(ctx context.Context, accountID, id string) error
	ListSyncs(ctx context.Context, accountID, workspaceID string, p store.Page) ([]workspace.Sync, error)
	PutSchedule(ctx context.Context, sc workspace.Schedule) error
	GetSchedule(ctx context.Context, accountID, id string) (workspace.Schedule, error)
	DeleteSchedule(ctx context.Context, accountID, id string) error
	SchedulesUsingCredential(ctx context.Context, accountID, credentialID string) ([]workspace.Schedule, error)
	ImportsByID(ctx context.Context, accountID string, ids []string) ([]inventory.Import, error)
}

// maxRequestBytes caps the JSON body of the workspace routes.
const maxRequestBytes = 64 << 10

// workspaceAPI is the state of the Postman workspace routes.
type workspaceAPI struct {
	// keyring is nil when APISCOUT_SECRET_KEY is unset: credential routes
	// then answer 503.
	keyring *secret.Keyring
	postman *postmanapi.Client
}

// workspaceRoutes registers the Postman credential, sync and schedule routes.
func (s *Server) workspaceRoutes(g *echo.Group) {
	kr, err := s.cfg.Keyring()
	if err != nil {
		// Load validated the keys; this cannot happen with a loaded config.
		panic(fmt.Sprintf("server: secret keys: %v", err))
	}
	s.ws = &workspaceAPI{keyring: kr}
	s.usePostman(nil)
	g.POST("/postman/credentials", s.createCredential)
	g.GET("/postman/credentials", s.listCredentials)
	g.GET("/postman/credentials/:id", s.getCredential)
	g.DELETE("/postman/credentials/:id", s.deleteCredential)
	g.GET("/postman/credentials/:id/workspaces", s.listPostmanWorkspaces)
	g.POST("/workspaces/:id/sync", s.createSync)
	g.GET("/workspaces/:id/syncs", s.listSyncs)
	g.GET("/syncs/:id", s.getSync)
	g.PUT("/workspaces/:id/schedule", s.putSchedule)
	g.GET("/workspaces/:id/schedule", s.getSchedule)
	g.DELETE("/workspaces/:id/schedule", s.deleteSchedule)
}

// usePostman sets the Postman API client; with rdb, its rate limiter is the
// one shared with every worker through Redis.
func (s *Server) usePostman(rdb *redis.Client) {
	c, err := postmanapi.FromConfig(s.cfg, rdb, s.metrics)
	if err != nil {
		panic(fmt.Sprintf("server: postman client: %v", err)) // the URL was validated by config.Load
	}
	s.ws.postman = c
}

var errNoSecretKey = newError(http.StatusServiceUnavailable, "secret_key_missing",
	config.Prefix+"SECRET_KEY is not set on the API, so Postman API keys cannot be stored or used")

// decodeBody reads a JSON request body into v, refusing unknown fields.
func decodeBody(c echo.Context, v any) error {
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, maxRequestBytes+1))
	if err != nil {
		return newError(http.StatusBadRequest, "read_failed", "could not read the request body")
	}
	if len(data) > maxRequestBytes {
		return newError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the request body is larger than %d bytes", maxRequestBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return newError(http.StatusBadRequest, "invalid_json", "the request body is not a JSON object")
		}
		return newError(http.StatusUnprocessableEntity, "invalid_request", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// postmanError maps a Postman API failure to the API's answer. Postman's
// messages never contain the key (it is only ever sent in a header).
func postmanError(err error) error {
	switch {
	case postmanapi.IsUnauthorized(err):
		var pe *postmanapi.Error
		msg := "Postman rejected the API key"
		if errors.As(err, &pe) && pe.Message != "" {
			msg += ": " + pe.Message
		}
		return newError(http.StatusUnprocessableEntity, "invalid_api_key", msg)
	case postmanapi.IsQuotaExhausted(err):
		return newError(http.StatusTooManyRequests, "postman_quota_exhausted", err.Error())
	case postmanapi.IsNotFound(err):
		return newError(http.StatusNotFound, "postman_not_found", err.Error())
	}
	var pe *postmanapi.Error
	if errors.As(err, &pe) {
		return newError(http.StatusBadGateway, "postman_unavailable", err.Error())
	}
	return err
}

// credentialRequest is POST /v1/postman/credentials.
type credentialRequest struct {
	Name   string        `json:"name"`
	APIKey secret.Secret `json:"api_key"`
}

func (s *Server) createCredential(c echo.Context) error {
	if s.ws.keyring == nil {
		return errNoSecretKey
	}
	var req credentialRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	cred, err := s.addCredential(c.Request().Context(), accountID(c), req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/postman/credentials/"+cred.ID)
	return c.JSON(http.StatusCreated, cred)
}

// addCredential checks a Postman API key with Postman, seals and stores it.
func (s *Server) addCredential(ctx context.Context, account string, req credentialRequest) (workspace.Credential, error) {
	if s.ws.keyring == nil {
		return workspace.Credential{}, errNoSecretKey
	}
	req.Name = strings.TrimSpace(req.Name)
	key := secret.Secret(strings.TrimSpace(req.APIKey.Reveal()))
	switch {
	case req.Name == "" || len(req.Name) > 200:
		return workspace.Credential{}, newError(http.StatusUnprocessableEntity, "invalid_request", "name is required (at most 200 characters)")
	case key == "" || len(key) > 512 || strings.ContainsAny(key.Reveal(), " \t\r\n"):
		return workspace.Credential{}, newError(http.StatusUnprocessableEntity, "invalid_request", "api_key is required: a Postman API key (PMAK-...)")
	}
	user, err := s.ws.postman.With(key).Me(ctx)
	if err != nil {
		return workspace.Credential{}, postmanError(err)
	}
	now := s.now()
	cred := workspace.Credential{
		ID: ids.New("pmc", now), AccountID: account, Name: req.Name,
		MaskedKey: key.Mask(), PostmanUser: user.Username, CreatedAt: now,
	}
	if cred.Sealed, err = credentials.Seal(s.ws.keyring, cred.AccountID, cred.ID, key); err != nil {
		return workspace.Credential{}, err
	}
	if err := s.store.CreateCredential(ctx, cred); err != nil {
		return workspace.Credential{}, err
	}
	s.log.Info("postman credential added", "credential_id", cred.ID, "account_id", cred.AccountID, "key_id", cred.Sealed.KeyID)
	return cred, nil
}

func (s *Server) listCredentials(c echo.Context) error {
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	items, err := s.store.ListCredentials(c.Request().Context(), accountID(c), p)
	if err != nil {
		return err
	}
	return respondList(c, items, limit, func(i workspace.Credential) string { return i.ID })
}

func (s *Server) getCredential(c echo.Context) error {
	cred, err := s.store.GetCredential(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return notFound(err)
	}
	return c.JSON(http.StatusOK, cred)
}

func (s *Server) deleteCredential(c echo.Context) error {
	if err := s.removeCredential(c.Request().Context(), accountID(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// removeCredential deletes a credential no schedule uses.
func (s *Server) removeCredential(ctx context.Context, account, id string) error {
	if _, err := s.store.GetCredential(ctx, account, id); err != nil {
		return notFound(err)
	}
	using, err := s.store.SchedulesUsingCredential(ctx, account, id)
	if err != nil {
		return err
	}
	if len(using) > 0 {
		ws := make([]string, len(using))
		for i, sc := range using {
			ws[i] = sc.WorkspaceID
		}
		return newError(http.StatusConflict, "credential_in_use",
			"schedules use this credential; delete them first (DELETE /v1/workspaces/{id}/schedule)").with("workspace_ids", ws)
	}
	if err := s.store.DeleteCredential(ctx, account, id); err != nil {
		return notFound(err)
	}
	s.log.Info("postman credential deleted", "credential_id", id, "account_id", account)
	return nil
}

// openCredential unseals a credential's key for a request.
func (s *Server) openCredential(ctx context.Context, accountID, id string) (secret.Secret, error) {
	_, key, err := credentials.Open(ctx, s.store, s.ws.keyring, accountID, id)
	switch {
	case errors.Is(err, credentials.ErrNoSecretKey):
		return "", errNoSecretKey
	case errors.Is(err, store.ErrNotFound):
		return "", errNotFound
	case errors.Is(err, secret.ErrUnknownKey), errors.Is(err, secret.ErrCorrupt):
		s.log.Error("stored postman key cannot be decrypted", "credential_id", id, "error", err)
		return "", newError(http.StatusConflict, "credential_unreadable",
			"the stored key cannot be decrypted with "+config.Prefix+"SECRET_KEY or "+config.Prefix+"SECRET_KEY_PREVIOUS; add the credential again")
	}
	return key, err
}

// workspaceItem is one workspace the key can see.
type workspaceItem struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

func (s *Server) listPostmanWorkspaces(c echo.Context) error {
	items, err := s.postmanWorkspaces(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[workspaceItem]{Items: items})
}

// postmanWorkspaces lists the workspaces a stored credential's key sees.
func (s *Server) postmanWorkspaces(ctx context.Context, account, credentialID string) ([]workspaceItem, error) {
	key, err := s.openCredential(ctx, account, credentialID)
	if err != nil {
		return nil, err
	}
	found, err := s.ws.postman.With(key).Workspaces(ctx)
	if err != nil {
		return nil, postmanError(err)
	}
	items := make([]workspaceItem, len(found))
	for i, w := range found {
		items[i] = workspaceItem{ID: w.ID, Name: w.Name, Type: w.Type}
	}
	return items, nil
}

// syncRequest is the body of POST /v1/workspaces/{id}/sync and of PUT
// /v1/workspaces/{id}/schedule (which adds cron).
type syncRequest struct {
	Cron          string          `json:"cron,omitempty"`
	CredentialID  string          `json:"credential_id"`
	EnvironmentID string          `json:"environment_id"`
	Options       json.RawMessage `json:"options"`
}

// readSyncRequest validates a sync or schedule request.
func (s *Server) readSyncRequest(c echo.Context, withCron bool) (syncRequest, workspace.SyncOptions, error) {
	var req syncRequest
	if err := decodeBody(c, &req); err != nil {
		return req, workspace.SyncOptions{}, err
	}
	opts, err := s.checkSyncRequest(c.Request().Context(), accountID(c), c.Param("id"), req, withCron)
	return req, opts, err
}

// checkSyncRequest validates a sync or schedule request for workspace ws
// and returns its options with defaults applied.
func (s *Server) checkSyncRequest(ctx context.Context, account, ws string, req syncRequest, withCron bool) (workspace.SyncOptions, error) {
	var opts workspace.SyncOptions
	if req.Cron != "" && !withCron {
		return opts, newError(http.StatusUnprocessableEntity, "invalid_request", `unknown field "cron" (schedules: PUT /v1/workspaces/{id}/schedule)`)
	}
	if ws == "" || len(ws) > 200 {
		return opts, newError(http.StatusBadRequest, "invalid_workspace", "a Postman workspace id is required")
	}
	if req.CredentialID == "" {
		return opts, newError(http.StatusUnprocessableEntity, "invalid_request", "credential_id is required")
	}
	if _, err := s.store.GetCredential(ctx, account, req.CredentialID); errors.Is(err, store.ErrNotFound) {
		return opts, newError(http.StatusUnprocessableEntity, "unknown_credential", "no credential "+req.CredentialID+" (POST /v1/postman/credentials)")
	} else if err != nil {
		return opts, err
	}
	if len(bytes.TrimSpace(req.Options)) > 0 && string(bytes.TrimSpace(req.Options)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(req.Options))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opts); err != nil {
			return opts, newError(http.StatusUnprocessableEntity, "invalid_options", "options: "+strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if err := replay.Normalize(&opts.ImportOptions); err != nil {
		return opts, newError(http.StatusUnprocessableEntity, "invalid_options", "options: "+err.Error())
	}
	return opts, nil
}

func (s *Server) createSync(c echo.Context) error {
	if s.ws.keyring == nil {
		return errNoSecretKey
	}
	req, opts, err := s.readSyncRequest(c, false)
	if err != nil {
		return err
	}
	sy, err := s.startSync(c.Request().Context(), accountID(c), c.Param("id"), req, opts)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/syncs/"+sy.ID)
	return c.JSON(http.StatusAccepted, syncView{Sync: sy, Collections: []syncCollectionView{}})
}

// startSync creates a manual sync of workspace ws from a checked request
// and enqueues it; nothing stays stored when the queue refuses it.
func (s *Server) startSync(ctx context.Context, account, ws string, req syncRequest, opts workspace.SyncOptions) (workspace.Sync, error) {
	if s.ws.keyring == nil {
		return workspace.Sync{}, errNoSecretKey
	}
	now := s.now()
	sy := workspace.Sync{
		ID: ids.New("syn", now), AccountID: account, WorkspaceID: ws,
		CredentialID: req.CredentialID, EnvironmentID: req.EnvironmentID, Options: opts,
		Trigger: workspace.TriggerManual, Status: workspace.StatusQueued,
		Collections: []workspace.SyncCollection{}, Environments: []workspace.Element{}, CreatedAt: now,
	}
	if err := s.store.CreateSync(ctx, sy); err != nil {
		return workspace.Sync{}, err
	}
	task, err := tasks.NewSyncWorkspace(tasks.SyncWorkspace{SyncID: sy.ID, AccountID: sy.AccountID}, s.cfg.TaskMaxRetry)
	if err == nil {
		_, err = s.queue.EnqueueContext(ctx, task)
	}
	if err != nil {
		undo, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.store.DeleteSync(undo, sy.AccountID, sy.ID)
		s.log.Error("enqueue sync", "error", err)
		return workspace.Sync{}, newError(http.StatusServiceUnavailable, "queue_unavailable", "the job queue is unavailable; nothing was stored, try again")
	}
	s.log.Info("sync queued", "sync_id", sy.ID, "account_id", sy.AccountID, "workspace_id", sy.WorkspaceID)
	return sy, nil
}

// syncCollectionView is a collection outcome with its import's status.
type syncCollectionView struct {
	workspace.SyncCollection
	ImportStatus string `json:"import_status,omitempty"`
}

// syncView is a sync as the API shows it.
type syncView struct {
	workspace.Sync
	Collections []syncCollectionView `json:"collections"`
}

func (s *Server) getSync(c echo.Context) error {
	v, err := s.syncDetail(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// syncDetail reads a sync with the status of the imports it submitted.
func (s *Server) syncDetail(ctx context.Context, account, id string) (syncView, error) {
	sy, err := s.store.GetSync(ctx, account, id)
	if err != nil {
		return syncView{}, notFound(err)
	}
	var importIDs []string
	for _, col := range sy.Collections {
		if col.ImportID != "" {
			importIDs = append(importIDs, col.ImportID)
		}
	}
	imps, err := s.store.ImportsByID(ctx, sy.AccountID, importIDs)
	if err != nil {
		return syncView{}, err
	}
	status := map[string]string{}
	for _, imp := range imps {
		status[imp.ID] = imp.Status
	}
	v := syncView{Sync: sy, Collections: make([]syncCollectionView, len(sy.Collections))}
	for i, col := range sy.Collections {
		v.Collections[i] = syncCollectionView{SyncCollection: col, ImportStatus: status[col.ImportID]}
	}
	return v, nil
}

func (s *Server) listSyncs(c echo.Context) error {
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	items, err := s.store.ListSyncs(c.Request().Context(), accountID(c), c.Param("id"), p)
	if err != nil {
		return err
	}
	return respondList(c, items, limit, func(i workspace.Sync) string { return i.ID })
}

// scheduleView is a schedule with its next runs.
type scheduleView struct {
	workspace.Schedule
	NextRuns []time.Time `json:"next_runs"`
}

func scheduleID(accountID, workspaceID string) string {
	return ids.Stable("sch", accountID, workspaceID)
}

func (s *Server) putSchedule(c echo.Context) error {
	req, opts, err := s.readSyncRequest(c, true)
	if err != nil {
		return err
	}
	v, err := s.setSchedule(c.Request().Context(), accountID(c), c.Param("id"), req, opts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// setSchedule creates or replaces workspace ws's schedule from a checked
// request.
func (s *Server) setSchedule(ctx context.Context, account, ws string, req syncRequest, opts workspace.SyncOptions) (scheduleView, error) {
	spec, err := workspace.ParseSpec(req.Cron)
	if err != nil {
		return scheduleView{}, newError(http.StatusUnprocessableEntity, "invalid_cron", "cron: "+err.Error())
	}
	now := s.now()
	if gap := spec.MinGap(now, 100); gap < s.cfg.ScheduleMinInterval {
		return scheduleView{}, newError(http.StatusUnprocessableEntity, "schedule_too_frequent",
			fmt.Sprintf("cron: runs every %s at times; the shortest period allowed is %s (%sSCHEDULE_MIN_INTERVAL)", gap, s.cfg.ScheduleMinInterval, config.Prefix)).
			with("min_interval", s.cfg.ScheduleMinInterval.String())
	}
	sc := workspace.Schedule{
		ID: scheduleID(account, ws), AccountID: account, WorkspaceID: ws,
		Cron: spec.String(), CredentialID: req.CredentialID, EnvironmentID: req.EnvironmentID, Options: opts,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.PutSchedule(ctx, sc); err != nil {
		return scheduleView{}, err
	}
	if sc, err = s.store.GetSchedule(ctx, sc.AccountID, sc.ID); err != nil {
		return scheduleView{}, err
	}
	s.log.Info("schedule set", "schedule_id", sc.ID, "account_id", sc.AccountID, "workspace_id", sc.WorkspaceID, "cron", sc.Cron)
	return scheduleView{Schedule: sc, NextRuns: spec.Between(now, now.AddDate(1, 0, 0), 3)}, nil
}

func (s *Server) getSchedule(c echo.Context) error {
	v, err := s.scheduleOf(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// scheduleOf reads workspace ws's schedule with its next runs.
func (s *Server) scheduleOf(ctx context.Context, account, ws string) (scheduleView, error) {
	sc, err := s.store.GetSchedule(ctx, account, scheduleID(account, ws))
	if err != nil {
		return scheduleView{}, notFound(err)
	}
	v := scheduleView{Schedule: sc, NextRuns: []time.Time{}}
	if spec, err := workspace.ParseSpec(sc.Cron); err == nil {
		now := s.now()
		v.NextRuns = spec.Between(now, now.AddDate(1, 0, 0), 3)
	}
	return v, nil
}

func (s *Server) deleteSchedule(c echo.Context) error {
	if err := s.removeSchedule(c.Request().Context(), accountID(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// removeSchedule stops workspace ws's schedule.
func (s *Server) removeSchedule(ctx context.Context, account, ws string) error {
	if err := s.store.DeleteSchedule(ctx, account, scheduleID(account, ws)); err != nil {
		return notFound(err)
	}
	s.log.Info("schedule deleted", "account_id", account, "workspace_id", ws)
	return nil
}
