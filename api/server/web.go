package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/auth"
	"github.com/apiscout/apiscout/shared/store"
)

// The web page: server-rendered HTML under WebPath for people, behind the
// same accounts as the API. Signing in with an API token puts the token in
// an HttpOnly, SameSite=Strict cookie scoped to WebPath; every POST must
// carry a CSRF token derived from it (and pass Go's cross-origin check).
// The pages call the same cores as the JSON handlers.
const (
	// WebPath is where the web page is served.
	WebPath = "/ui"
	// sessionCookie holds the API token of a signed-in browser.
	sessionCookie = "apiscout_session"
	// signinCookie holds the sign-in form's one-off CSRF value (double
	// submit: there is no session yet to derive one from).
	signinCookie = "apiscout_signin"
	// sessionMaxAge is how long a browser stays signed in.
	sessionMaxAge = 12 * time.Hour
	// csrfField is the form field (or, for scripts, the X-CSRF-Token
	// header) carrying the CSRF token.
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

//go:embed web/templates/*.html web/static/*
var webFiles embed.FS

// web holds the parsed page templates.
type web struct {
	pages  map[string]*template.Template
	static http.Handler
	cross  *http.CrossOriginProtection
}

// newWeb parses the embedded templates: every page is the layout plus its
// own file (and the shared partials).
func newWeb() *web {
	w := &web{pages: map[string]*template.Template{}, cross: http.NewCrossOriginProtection()}
	names, err := fs.Glob(webFiles, "web/templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "web/templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t := template.New("layout.html").Funcs(webFuncs)
		t = template.Must(t.ParseFS(webFiles, "web/templates/layout.html", "web/templates/_*.html", name))
		w.pages[base] = t
	}
	sub, err := fs.Sub(webFiles, "web/static")
	if err != nil {
		panic(err)
	}
	w.static = http.StripPrefix(WebPath+"/static/", http.FileServerFS(sub))
	return w
}

// pageData is what every page template receives.
type pageData struct {
	Title string
	// Nav is the active navigation entry.
	Nav       string
	CSRF      string
	SignedIn  bool
	QueueUI   bool
	QueuePath string
	// Error is a message shown above the content (a refused form).
	Error string
	Data  any
}

// webRoutes registers the web page.
func (s *Server) webRoutes(e *echo.Echo) {
	s.web = newWeb()
	ui := e.Group(WebPath, s.webErrors, webHeaders)
	home := func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, WebPath+"/collections") }
	ui.GET("", home)
	ui.GET("/", home)
	ui.GET("/static/*", echo.WrapHandler(s.web.static))
	ui.GET("/signin", s.webSignInForm)
	ui.POST("/signin", s.webSignIn)

	in, csrf := s.webSession, s.webCSRF
	ui.POST("/signout", s.webSignOut, in, csrf)
	ui.GET("/upload", s.webUploadForm, in)
	ui.POST("/upload", s.webUpload, in) // multipart: the handler checks the CSRF token itself
	ui.GET("/imports", s.webImports, in)
	ui.GET("/imports/:id", s.webImport, in)
	ui.GET("/imports/:id/progress", s.webImportProgress, in)
	ui.GET("/imports/:id/report.csv", s.webImportCSV, in)
	ui.POST("/imports/:id/cancel", s.webCancelImport, in, csrf)
	ui.GET("/collections", s.webCollections, in)
	ui.GET("/collections/:id", s.webCollection, in)
	ui.GET("/collections/:id/openapi", s.exportOpenAPI, in) // the same export as /v1 (format=yaml)
	ui.GET("/endpoints/:id", s.webEndpoint, in)
	ui.GET("/workspaces", s.webWorkspaces, in)
	ui.POST("/credentials", s.webAddCredential, in, csrf)
	ui.GET("/credentials/:id", s.webCredential, in)
	ui.POST("/credentials/:id/delete", s.webDeleteCredential, in, csrf)
	ui.GET("/workspace", s.webWorkspaceGo, in)
	ui.GET("/workspaces/:id", s.webWorkspace, in)
	ui.POST("/workspaces/:id/sync", s.webSync, in, csrf)
	ui.POST("/workspaces/:id/schedule", s.webSchedule, in, csrf)
	ui.POST("/workspaces/:id/schedule/delete", s.webDeleteSchedule, in, csrf)
	ui.GET("/syncs/:id", s.webSyncPage, in)
	ui.GET("/operators", s.webOperators, in)
}

// webHeaders sets the page's security headers: scripts and styles from
// this origin only, no framing, no referrer to other sites, no caching of
// account data.
func webHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(c.Request().URL.Path, WebPath+"/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// webErrors renders the errors of web routes as an HTML page (the API's
// error handler answers JSON). Internal errors are logged, never shown.
func (s *Server) webErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		var ae *apiError
		var he *echo.HTTPError
		status, msg := http.StatusInternalServerError, "Something went wrong on our side. Try again."
		switch {
		case errors.As(err, &ae):
			status, msg = ae.Status, ae.Message
		case errors.As(err, &he):
			status, msg = he.Code, http.StatusText(he.Code)
			if m, ok := he.Message.(string); ok && he.Code < 500 {
				msg = m
			}
		default:
			s.log.Error("web request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
		}
		if status == http.StatusNotFound && ae == errNotFound {
			msg = "There is nothing here, or it belongs to another account."
		}
		if c.Request().Method == http.MethodHead {
			return c.NoContent(status)
		}
		return s.render(c, status, "error", http.StatusText(status), "", map[string]any{"Status": status, "Message": msg})
	}
}

// render writes a page.
func (s *Server) render(c echo.Context, status int, page, title, nav string, data any) error {
	t, ok := s.web.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	pd := pageData{Title: title, Nav: nav, Data: data, QueueUI: s.cfg.QueueUIEnabled(), QueuePath: QueueUIPath}
	if v, ok := c.Get("csrf").(string); ok {
		pd.CSRF, pd.SignedIn = v, true
	}
	if v, ok := c.Get("form_error").(string); ok {
		pd.Error = v
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, pd); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// renderFragment writes one named template of a page, without the layout.
func (s *Server) renderFragment(c echo.Context, page, name string, data any) error {
	var buf bytes.Buffer
	if err := s.web.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("web: render %s/%s: %w", page, name, err)
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// csrfToken derives a session's CSRF token from its API token: a page
// that can read it was served to this session; another site can neither
// read the page nor compute it.
func csrfToken(apiToken string) string {
	m := hmac.New(sha256.New, []byte(apiToken))
	m.Write([]byte("apiscout web csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// secureRequest reports whether the browser reached us over HTTPS (here or
// at a proxy in front), when cookies get the Secure flag.
func secureRequest(c echo.Context) bool {
	return c.Request().TLS != nil || strings.EqualFold(c.Request().Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name: name, Value: value, Path: WebPath, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: secureRequest(c), MaxAge: int(maxAge.Seconds()),
	}
	if maxAge < 0 {
		ck.MaxAge = -1
	}
	c.SetCookie(ck)
}

// webSession resolves the session cookie to an account, like authenticate
// does the bearer token. A page without a session sends the browser to
// the sign-in form; anything else answers 401.
func (s *Server) webSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(sessionCookie); err == nil {
			token = ck.Value
		}
		var account string
		var err error
		if token != "" {
			account, err = s.store.AccountByTokenHash(c.Request().Context(), auth.Hash(token))
		}
		switch {
		case token == "" || errors.Is(err, store.ErrNotFound):
			if c.Request().Method == http.MethodGet && c.Request().Header.Get("X-Requested-With") == "" {
				return c.Redirect(http.StatusSeeOther, WebPath+"/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return pageError(http.StatusUnauthorized, "Your session has ended: sign in again.")
		case err != nil:
			return err
		}
		c.Set("account_id", account)
		c.Set("csrf", csrfToken(token))
		return next(c)
	}
}

// pageError is an error of the web page alone: shown as HTML, so it has
// no API error code.
func pageError(status int, msg string) *apiError { return &apiError{Status: status, Message: msg} }

var errWebCSRF = pageError(http.StatusForbidden, "This form has expired or did not come from this site: reload the page and try again.")

// checkCSRF refuses cross-origin requests (Sec-Fetch-Site, Origin) and a
// missing or wrong CSRF token.
func (s *Server) checkCSRF(c echo.Context, got string) error {
	if err := s.web.cross.Check(c.Request()); err != nil {
		return errWebCSRF
	}
	want, _ := c.Get("csrf").(string)
	if got == "" {
		got = c.Request().Header.Get(csrfHeader)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errWebCSRF
	}
	return nil
}

// webCSRF checks the CSRF token of an urlencoded form POST.
func (s *Server) webCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
			return errWebCSRF // only the upload form is multipart, and it checks itself
		}
		c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxRequestBytes)
		if err := s.checkCSRF(c, c.FormValue(csrfField)); err != nil {
			return err
		}
		return next(c)
	}
}

// safeNext keeps a post-sign-in destination on the web page.
func safeNext(next string) string {
	if !strings.HasPrefix(next, WebPath+"/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return WebPath + "/collections"
	}
	return next
}

func (s *Server) webSignInForm(c echo.Context) error {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	s.setCookie(c, signinCookie, v, 30*time.Minute)
	return s.render(c, http.StatusOK, "signin", "Sign in", "", map[string]any{"SigninCSRF": v, "Next": safeNext(c.QueryParam("next"))})
}

func (s *Server) webSignIn(c echo.Context) error {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxRequestBytes)
	if err := s.web.cross.Check(c.Request()); err != nil {
		return errWebCSRF
	}
	ck, err := c.Cookie(signinCookie)
	got := c.FormValue(csrfField)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(got)) != 1 {
		return errWebCSRF
	}
	next := safeNext(c.FormValue("next"))
	token := strings.TrimSpace(c.FormValue("token"))
	if token != "" && len(token) <= 512 {
		_, err = s.store.AccountByTokenHash(c.Request().Context(), auth.Hash(token))
		if err == nil {
			s.setCookie(c, signinCookie, "", -1)
			s.setCookie(c, sessionCookie, token, sessionMaxAge)
			return c.Redirect(http.StatusSeeOther, next)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	c.Set("form_error", "That token is not valid. Use an API token of your account (aps_...).")
	return s.render(c, http.StatusUnauthorized, "signin", "Sign in", "", map[string]any{"SigninCSRF": ck.Value, "Next": next})
}

func (s *Server) webSignOut(c echo.Context) error {
	s.setCookie(c, sessionCookie, "", -1)
	return c.Redirect(http.StatusSeeOther, WebPath+"/signin")
}

func (s *Server) webOperators(c echo.Context) error {
	return s.render(c, http.StatusOK, "operators", "Operators", "operators", nil)
}
