package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/workspace"
)

// maxCredentialsShown bounds the credentials the workspace pages list.
const maxCredentialsShown = 200

// formRefusal renders page again with a refused form's message when err is
// the user's to fix (a 4xx); anything else goes to the error page.
func (s *Server) formRefusal(c echo.Context, err error, again func() error) error {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status >= 500 && ae.Status != http.StatusServiceUnavailable && ae.Status != http.StatusBadGateway {
		return err
	}
	c.Set("form_error", ae.Message)
	c.Response().Status = ae.Status
	return again()
}

func (s *Server) credentialsOf(c echo.Context) ([]workspace.Credential, error) {
	return s.store.ListCredentials(c.Request().Context(), accountID(c), store.Page{Limit: maxCredentialsShown})
}

func (s *Server) webWorkspaces(c echo.Context) error {
	return s.workspacesPage(c, http.StatusOK)
}

func (s *Server) workspacesPage(c echo.Context, status int) error {
	creds, err := s.credentialsOf(c)
	if err != nil {
		return err
	}
	return s.render(c, status, "workspaces", "Workspaces", "workspaces", map[string]any{
		"Credentials": creds, "KeysEnabled": s.ws.keyring != nil,
	})
}

func (s *Server) webAddCredential(c echo.Context) error {
	req := credentialRequest{Name: c.FormValue("name"), APIKey: secret.Secret(c.FormValue("api_key"))}
	cred, err := s.addCredential(c.Request().Context(), accountID(c), req)
	if err != nil {
		return s.formRefusal(c, err, func() error { return s.workspacesPage(c, c.Response().Status) })
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/credentials/"+cred.ID)
}

func (s *Server) webDeleteCredential(c echo.Context) error {
	if err := s.removeCredential(c.Request().Context(), accountID(c), c.Param("id")); err != nil {
		return s.formRefusal(c, err, func() error { return s.workspacesPage(c, c.Response().Status) })
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/workspaces")
}

// webCredential shows a credential and the workspaces its key sees (one
// call to Postman).
func (s *Server) webCredential(c echo.Context) error {
	ctx := c.Request().Context()
	cred, err := s.store.GetCredential(ctx, accountID(c), c.Param("id"))
	if err != nil {
		return notFound(err)
	}
	data := map[string]any{"Credential": cred}
	items, err := s.postmanWorkspaces(ctx, accountID(c), cred.ID)
	var ae *apiError
	switch {
	case err == nil:
		data["Workspaces"] = items
	case errors.As(err, &ae) && ae != errNotFound:
		data["PostmanError"] = ae.Message
	default:
		return err
	}
	return s.render(c, http.StatusOK, "credential", cred.Name, "workspaces", data)
}

// webWorkspaceGo sends the "open a workspace by id" form to its page.
func (s *Server) webWorkspaceGo(c echo.Context) error {
	ws := strings.TrimSpace(c.QueryParam("id"))
	if ws == "" {
		return c.Redirect(http.StatusSeeOther, WebPath+"/workspaces")
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/workspaces/"+url.PathEscape(ws))
}

func (s *Server) webWorkspace(c echo.Context) error {
	return s.workspacePage(c, http.StatusOK)
}

func (s *Server) workspacePage(c echo.Context, status int) error {
	ctx := c.Request().Context()
	ws := c.Param("id")
	creds, err := s.credentialsOf(c)
	if err != nil {
		return err
	}
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	syncs, err := s.store.ListSyncs(ctx, accountID(c), ws, p)
	if err != nil {
		return err
	}
	syncs, next := pageOfItems(syncs, limit, func(i workspace.Sync) string { return i.ID })
	data := map[string]any{
		"WorkspaceID": ws, "Credentials": creds, "Syncs": syncs, "KeysEnabled": s.ws.keyring != nil,
		"Credential": c.QueryParam("credential"), "MinInterval": s.cfg.ScheduleMinInterval.String(),
	}
	if next != "" {
		data["Next"] = withQuery(c, "cursor", next)
	}
	switch sc, err := s.scheduleOf(ctx, accountID(c), ws); {
	case err == nil:
		data["Schedule"] = sc
		if data["Credential"] == "" {
			data["Credential"] = sc.CredentialID
		}
	case err != errNotFound:
		return err
	}
	name := ws
	for _, sy := range syncs {
		if sy.WorkspaceName != "" {
			name = sy.WorkspaceName
			break
		}
	}
	data["Name"] = name
	return s.render(c, status, "workspace", "Workspace "+name, "workspaces", data)
}

// syncForm reads the sync and schedule forms into the request the JSON
// routes take.
func syncForm(c echo.Context) syncRequest {
	opts := map[string]any{"force": c.FormValue("force") != ""}
	if c.FormValue("allow_replay") != "" {
		opts["allow_replay"] = true
	}
	raw, _ := json.Marshal(opts)
	return syncRequest{
		Cron:          strings.TrimSpace(c.FormValue("cron")),
		CredentialID:  c.FormValue("credential_id"),
		EnvironmentID: strings.TrimSpace(c.FormValue("environment_id")),
		Options:       raw,
	}
}

func (s *Server) webSync(c echo.Context) error {
	ctx, ws := c.Request().Context(), c.Param("id")
	req := syncForm(c)
	req.Cron = ""
	again := func() error { return s.workspacePage(c, c.Response().Status) }
	opts, err := s.checkSyncRequest(ctx, accountID(c), ws, req, false)
	if err != nil {
		return s.formRefusal(c, err, again)
	}
	sy, err := s.startSync(ctx, accountID(c), ws, req, opts)
	if err != nil {
		return s.formRefusal(c, err, again)
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/syncs/"+sy.ID)
}

func (s *Server) webSchedule(c echo.Context) error {
	ctx, ws := c.Request().Context(), c.Param("id")
	req := syncForm(c)
	again := func() error { return s.workspacePage(c, c.Response().Status) }
	opts, err := s.checkSyncRequest(ctx, accountID(c), ws, req, true)
	if err != nil {
		return s.formRefusal(c, err, again)
	}
	if _, err := s.setSchedule(ctx, accountID(c), ws, req, opts); err != nil {
		return s.formRefusal(c, err, again)
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/workspaces/"+url.PathEscape(ws))
}

func (s *Server) webDeleteSchedule(c echo.Context) error {
	ws := c.Param("id")
	if err := s.removeSchedule(c.Request().Context(), accountID(c), ws); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, WebPath+"/workspaces/"+url.PathEscape(ws))
}

func (s *Server) webSyncPage(c echo.Context) error {
	v, err := s.syncDetail(c.Request().Context(), accountID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "sync", "Sync "+v.ID, "workspaces", map[string]any{"Sync": v, "Finished": v.Finished()})
}
