package server_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	apiserver "github.com/apiscout/apiscout/api/server"
	"github.com/apiscout/apiscout/shared/postmanapi/postmanfake"
)

// webClient is a browser without a browser: it keeps the session cookie
// and does not follow redirects, so tests see them.
type webClient struct {
	b       *testBundle
	session *http.Cookie
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (w *webClient) do(t *testing.T, method, path string, header map[string]string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, w.b.base+path, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if w.session != nil {
		req.AddCookie(w.session)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(data)
}

func (w *webClient) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return w.do(t, http.MethodGet, path, nil, nil)
}

// post sends an urlencoded form as a same-origin browser would.
func (w *webClient) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return w.do(t, http.MethodPost, path, map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Origin": w.b.base, "Sec-Fetch-Site": "same-origin",
	}, strings.NewReader(form.Encode()))
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// signIn signs in with token through the sign-in form.
func signIn(t *testing.T, b *testBundle, token string) *webClient {
	t.Helper()
	w := &webClient{b: b}
	resp, body := w.get(t, apiserver.WebPath+"/signin")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	pre := cookieNamed(resp, "apiscout_signin")
	require.NotNil(t, pre)
	m := csrfInput.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	req, err := http.NewRequest(http.MethodPost, b.base+apiserver.WebPath+"/signin",
		strings.NewReader(url.Values{"csrf": {m[1]}, "token": {token}, "next": {"/ui/imports"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/ui/imports", r.Header.Get("Location"))
	w.session = cookieNamed(r, "apiscout_session")
	require.NotNil(t, w.session)
	return w
}

// csrfOf reads the CSRF token a page carries.
func (w *webClient) csrfOf(t *testing.T, path string) string {
	t.Helper()
	resp, body := w.get(t, path)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	m := csrfInput.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	return m[1]
}

func TestWebSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	anon := &webClient{b: b}

	// Without a session a page sends the browser to the sign-in form,
	// remembering where it was going.
	resp, _ := anon.get(t, "/ui/collections?q=x")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/ui/signin?next=%2Fui%2Fcollections%3Fq%3Dx", resp.Header.Get("Location"))
	for _, home := range []string{"/ui", "/ui/"} {
		resp, _ = anon.get(t, home)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, home)
	}

	resp, body := anon.get(t, "/ui/signin?next=/ui/collections")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	require.Contains(t, body, `<label for="token">API token</label>`)
	pre := cookieNamed(resp, "apiscout_signin")
	require.NotNil(t, pre)
	require.True(t, pre.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, pre.SameSite)
	csrf := csrfInput.FindStringSubmatch(body)[1]
	require.Equal(t, pre.Value, csrf)

	signInWith := func(header map[string]string, cookie *http.Cookie, form url.Values) *http.Response {
		req, err := http.NewRequest(http.MethodPost, b.base+"/ui/signin", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := client.Do(req)
		require.NoError(t, err)
		r.Body.Close()
		return r
	}
	good := url.Values{"csrf": {csrf}, "token": {b.tokenA}, "next": {"/ui/collections"}}

	// Login CSRF: no sign-in cookie, a wrong value, another site.
	require.Equal(t, http.StatusForbidden, signInWith(nil, nil, good).StatusCode)
	require.Equal(t, http.StatusForbidden, signInWith(nil, pre, url.Values{"csrf": {"nope"}, "token": {b.tokenA}}).StatusCode)
	require.Equal(t, http.StatusForbidden, signInWith(map[string]string{"Sec-Fetch-Site": "cross-site"}, pre, good).StatusCode)
	require.Equal(t, http.StatusForbidden, signInWith(map[string]string{"Origin": "http://evil.invalid"}, pre, good).StatusCode)

	// A wrong token: 401, no session.
	r := signInWith(nil, pre, url.Values{"csrf": {csrf}, "token": {"aps_wrong"}})
	require.Equal(t, http.StatusUnauthorized, r.StatusCode)
	require.Nil(t, cookieNamed(r, "apiscout_session"))

	// The right one: a session cookie only this site's pages get, and
	// the page the browser was going to.
	r = signInWith(nil, pre, good)
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/ui/collections", r.Header.Get("Location"))
	sess := cookieNamed(r, "apiscout_session")
	require.NotNil(t, sess)
	require.True(t, sess.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, sess.SameSite)
	require.Equal(t, "/ui", sess.Path)
	require.False(t, sess.Secure, "plain HTTP on loopback")
	require.Positive(t, sess.MaxAge)

	// Behind an HTTPS proxy the cookie is Secure; next stays on the page.
	r = signInWith(map[string]string{"X-Forwarded-Proto": "https"}, pre,
		url.Values{"csrf": {csrf}, "token": {b.tokenA}, "next": {"//evil.invalid/ui/x"}})
	require.Equal(t, "/ui/collections", r.Header.Get("Location"))
	require.True(t, cookieNamed(r, "apiscout_session").Secure)

	w := &webClient{b: b, session: sess}
	resp, body = w.get(t, "/ui/collections")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Sign out")

	// The session cookie is not a bearer token for /v1 (and /v1 ignores it).
	resp, _ = w.get(t, "/v1/collections")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// A cookie with a token no account has is no session.
	bad := &webClient{b: b, session: &http.Cookie{Name: "apiscout_session", Value: "aps_forged"}}
	resp, _ = bad.get(t, "/ui/collections")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// Sign out: CSRF-checked, then the cookie is cleared.
	resp, _ = w.post(t, "/ui/signout", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = w.post(t, "/ui/signout", url.Values{"csrf": {w.csrfOf(t, "/ui/collections")}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cleared := cookieNamed(resp, "apiscout_session")
	require.NotNil(t, cleared)
	require.Negative(t, cleared.MaxAge)
}

// TestWebPostsNeedCSRF walks every POST route of the web page: without
// the session's CSRF token, with another session's, or from another site,
// each answers 403 and does nothing.
func TestWebPostsNeedCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"APISCOUT_SECRET_KEY": ""})
	a := signIn(t, b, b.tokenA)
	other := signIn(t, b, b.tokenB)
	csrfA, csrfB := a.csrfOf(t, "/ui/upload"), other.csrfOf(t, "/ui/upload")
	require.NotEqual(t, csrfA, csrfB)

	var posts []string
	for _, r := range allRoutesServer(t).Routes() {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, apiserver.WebPath+"/") && r.Path != "/ui/signin" {
			posts = append(posts, strings.ReplaceAll(r.Path, ":id", "x1"))
		}
	}
	require.Contains(t, posts, "/ui/upload")
	require.Contains(t, posts, "/ui/workspaces/x1/sync")
	for _, path := range posts {
		for name, form := range map[string]url.Values{"none": nil, "other session's": {"csrf": {csrfB}}, "garbage": {"csrf": {"x"}}} {
			resp, _ := a.post(t, path, form)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s with %s token", path, name)
		}
		resp, _ := a.do(t, http.MethodPost, path, map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site",
		}, strings.NewReader(url.Values{"csrf": {csrfA}}.Encode()))
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s from another site", path)
	}

	// The multipart upload form: a valid collection without the token
	// stores nothing.
	body, ct := uploadForm(t, map[string]string{}, "example.json", exampleCollection(t))
	resp, _ := a.do(t, http.MethodPost, "/ui/upload", map[string]string{"Content-Type": ct}, body)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	list := b.get(t, "/v1/imports", b.tokenA)
	require.Equal(t, `{"items":[],"next_cursor":null}`, strings.TrimSpace(string(list.Body)))
}

func exampleCollection(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	return data
}

// uploadForm builds the upload page's multipart form.
func uploadForm(t *testing.T, fields map[string]string, fileName string, file []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", fileName)
	require.NoError(t, err)
	_, _ = fw.Write(file)
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

var importLocation = regexp.MustCompile(`^/ui/imports/(imp_[A-Za-z0-9_-]+)$`)

// TestWebPages uploads through the form and reads every page of the result,
// and checks what another account sees (404s) and what refused input shows.
func TestWebPages(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	w := signIn(t, b, b.tokenA)
	csrf := w.csrfOf(t, "/ui/upload")

	// Refused uploads show the form again with the API's message.
	body, ct := uploadForm(t, map[string]string{"csrf": csrf}, "x.json", []byte(`{"a": 1}`))
	resp, page := w.do(t, http.MethodPost, "/ui/upload", map[string]string{"Content-Type": ct, "Origin": b.base}, body)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, `role="alert"`)
	require.Contains(t, page, "not a Postman collection")
	body, ct = uploadForm(t, map[string]string{"csrf": csrf, "dry_run": "on", "allow_replay": "on", "max_rps_per_host": "lots"}, "x.json", exampleCollection(t))
	resp, page = w.do(t, http.MethodPost, "/ui/upload", map[string]string{"Content-Type": ct, "Origin": b.base}, body)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, page)
	require.Contains(t, page, "whole number")

	body, ct = uploadForm(t, map[string]string{"csrf": csrf}, "example.json", exampleCollection(t))
	resp, page = w.do(t, http.MethodPost, "/ui/upload", map[string]string{"Content-Type": ct, "Origin": b.base}, body)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	m := importLocation.FindStringSubmatch(resp.Header.Get("Location"))
	require.NotNil(t, m, resp.Header.Get("Location"))
	imp := b.waitImport(t, b.tokenA, m[1])
	require.Equal(t, "completed", imp.Status)

	resp, page = w.get(t, "/ui/imports/"+imp.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, `class="state st-completed"`)
	require.Contains(t, page, "no_saved_response")
	require.NotContains(t, page, "data-poll", "a finished import does not poll")
	resp, page = w.get(t, "/ui/imports/"+imp.ID+"?outcome=skipped")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "1 of 4 requests")
	resp, page = w.get(t, "/ui/imports/"+imp.ID+"/progress")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(strings.TrimSpace(page), `<section id="progress"`), page)
	resp, page = w.get(t, "/ui/imports/"+imp.ID+"/report.csv?outcome=imported")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 4, strings.Count(page, "\n"), page) // header and 3 imported requests

	resp, page = w.get(t, "/ui/collections")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "/ui/collections/"+imp.CollectionID)

	resp, page = w.get(t, "/ui/collections/"+imp.CollectionID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, `<table id="endpoints">`)
	ep := regexp.MustCompile(`href="/ui/endpoints/(ep_[^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, ep)
	resp, page = w.get(t, "/ui/collections/"+imp.CollectionID+"?method=DELETE")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "No endpoint matches these filters.")
	resp, page = w.get(t, "/ui/collections/"+imp.CollectionID+"?status=abc")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, page, "status must be an HTTP status code")

	resp, page = w.get(t, "/ui/collections/"+imp.CollectionID+"/openapi")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	require.Contains(t, page, `"openapi": "3.1.0"`)
	resp, page = w.get(t, "/ui/collections/"+imp.CollectionID+"/openapi?format=yaml")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "openapi: 3.1.0")
	resp, _ = w.get(t, "/ui/collections/"+imp.CollectionID+"/openapi?format=xml")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")

	resp, page = w.get(t, "/ui/endpoints/"+ep[1])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "Samples")
	require.Contains(t, page, `aria-label="Response body"`)

	for _, path := range []string{"/ui/workspaces", "/ui/operators", "/ui/imports", "/ui/upload", "/ui/workspaces/ws-1"} {
		resp, _ = w.get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	resp, _ = w.get(t, "/ui/static/app.css")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/css")

	// Another account sees none of it; unknown things are HTML 404s.
	other := signIn(t, b, b.tokenB)
	for _, path := range []string{
		"/ui/imports/" + imp.ID, "/ui/imports/" + imp.ID + "/progress", "/ui/imports/" + imp.ID + "/report.csv",
		"/ui/collections/" + imp.CollectionID, "/ui/collections/" + imp.CollectionID + "/openapi", "/ui/endpoints/" + ep[1], "/ui/syncs/syn_nope", "/ui/credentials/pmc_nope",
		"/ui/nothing/here",
	} {
		resp, page = other.get(t, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.Contains(t, resp.Header.Get("Content-Type"), "text/html", path)
		require.Contains(t, page, "404", path)
	}
	resp, _ = other.post(t, "/ui/imports/"+imp.ID+"/cancel", url.Values{"csrf": {other.csrfOf(t, "/ui/upload")}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Cancelling a finished import is refused with the API's message.
	resp, page = w.do(t, http.MethodPost, "/ui/imports/"+imp.ID+"/cancel", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": b.base},
		strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, page, "already completed")
}

// TestWebWorkspaces goes through the workspace pages against the fake
// Postman API: add a credential, list its workspaces, sync now, set and
// stop a schedule, read the history, delete the credential. The key is
// never on a page.
func TestWebWorkspaces(t *testing.T) {
	t.Parallel()
	b := wsSetup(t, wsOptions{env: map[string]string{"APISCOUT_SCHEDULE_MIN_INTERVAL": "15m"}})
	require.NoError(t, b.fake.SetCollection("7-example", "example-id", "2026-01-01T00:00:00.000Z", exampleCollection(t)))
	b.fake.AddWorkspace(postmanfake.Workspace{ID: "ws-web", Name: "Web team", Type: "team", Collections: []string{"7-example"}})
	w := signIn(t, b.testBundle, b.tokenA)
	csrf := w.csrfOf(t, "/ui/workspaces")
	noKey := func(page string) {
		t.Helper()
		require.NotContains(t, page, postmanKey)
		require.NotContains(t, page, postmanKey[5:20])
	}

	resp, page := w.post(t, "/ui/credentials", url.Values{"csrf": {csrf}, "name": {"team"}, "api_key": {"PMAK-refused-by-postman"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "Postman rejected the API key")
	require.NotContains(t, page, "PMAK-refused-by-postman")

	resp, page = w.post(t, "/ui/credentials", url.Values{"csrf": {csrf}, "name": {"team"}, "api_key": {postmanKey}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	credPath := resp.Header.Get("Location")
	require.Regexp(t, `^/ui/credentials/pmc_`, credPath)
	credID := strings.TrimPrefix(credPath, "/ui/credentials/")
	resp, page = w.get(t, credPath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "Web team")
	require.Contains(t, page, "****"+postmanKey[len(postmanKey)-4:])
	require.Contains(t, page, `href="/ui/workspaces/ws-web?credential=`+credID+`"`)
	noKey(page)
	resp, page = w.get(t, "/ui/workspaces")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	noKey(page)

	resp, page = w.get(t, "/ui/workspaces/ws-web?credential="+credID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "No sync yet.")
	resp, page = w.post(t, "/ui/workspaces/ws-web/sync", url.Values{"csrf": {csrf}, "credential_id": {credID}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	syncPath := resp.Header.Get("Location")
	require.Regexp(t, `^/ui/syncs/syn_`, syncPath)
	sy := b.waitSync(t, strings.TrimPrefix(syncPath, "/ui/syncs/"))
	require.Equal(t, "completed", sy.Status)
	resp, page = w.get(t, syncPath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "/ui/imports/"+sy.Collections[0].ImportID)
	require.NotContains(t, page, "data-refresh", "a finished sync does not reload")
	resp, page = w.get(t, "/ui/workspaces/ws-web")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, `href="/ui/syncs/`+sy.ID+`"`)

	// Schedules: the API's rules, shown on the form.
	resp, page = w.post(t, "/ui/workspaces/ws-web/schedule", url.Values{"csrf": {csrf}, "credential_id": {credID}, "cron": {"* * * * *"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "the shortest period allowed is 15m0s")
	resp, _ = w.post(t, "/ui/workspaces/ws-web/schedule", url.Values{"csrf": {csrf}, "credential_id": {credID}, "cron": {"0 * * * *"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, page = w.get(t, "/ui/workspaces/ws-web")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "Runs <code>0 * * * *</code>")

	// A credential a schedule uses cannot go; once the schedule stops, it can.
	resp, page = w.post(t, "/ui/credentials/"+credID+"/delete", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, page, "schedules use this credential")
	resp, _ = w.post(t, "/ui/workspaces/ws-web/schedule/delete", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, page = w.get(t, "/ui/workspaces/ws-web")
	require.Contains(t, page, "No schedule.")
	resp, _ = w.post(t, "/ui/credentials/"+credID+"/delete", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, page = w.get(t, "/ui/workspaces")
	require.Contains(t, page, "No credential stored yet.")
}
