package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/testenv"
)

// artifactsDir is where browser tests leave screenshots (git-ignored).
const artifactsDir = "../../artifacts/web"

// chromium returns the browser the browser tests drive: APISCOUT_CHROMIUM,
// else Debian's /usr/bin/chromium. Without one the test skips, unless
// APISCOUT_REQUIRE_BROWSER=1 (CI), where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("APISCOUT_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := "browser tests need Chromium at " + path + " (apt-get install -y chromium chromium-driver, or set APISCOUT_CHROMIUM)"
		if os.Getenv("APISCOUT_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + "; APISCOUT_REQUIRE_BROWSER=1")
		}
		t.Skip(msg)
	}
	return path
}

// browser starts a headless Chromium with a fresh profile that reaches
// loopback only, and returns its context (closed at cleanup).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		// Quiet and small: no extensions, crash reports, phishing lists or
		// default apps; shared memory under /tmp (small /dev/shm in
		// containers). Any host name resolves to nothing: the pages live on
		// 127.0.0.1 and must not need anything else.
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1366, 900), // a laptop screen
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a timeout.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// step runs actions with a time limit.
func step(t *testing.T, ctx context.Context, d time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, actions...), what)
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// waitFor evaluates a JavaScript condition until it is true, across page
// loads (a form's submission navigates), for at most d.
func waitFor(t *testing.T, ctx context.Context, d time.Duration, js string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+js+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s (last error: %v)", d, js, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// screenshot saves what the browser shows (the viewport, or with full the
// whole page) as artifacts/web/name.png.
func screenshot(t *testing.T, ctx context.Context, name string, full bool) {
	t.Helper()
	require.NoError(t, os.MkdirAll(artifactsDir, 0o755))
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	act := chromedp.CaptureScreenshot()
	if full {
		act = chromedp.FullScreenshot(100) // 100: PNG
	}
	png, err := chromedp.Run(sctx, act)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(artifactsDir, name+".png"), png, 0o644))
}

// unlabelled lists the form controls of the page without a label (every
// control must have one) and the tables without a header row.
const unlabelled = `Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
	.filter(e => !e.labels || e.labels.length === 0).map(e => e.name || e.id)
	.concat(Array.from(document.querySelectorAll("table")).filter(t => !t.querySelector("th")).map(t => "table " + (t.id || "")))`

// TestWebBrowser drives a real Chromium through the web page of a running
// apiscout: sign in, upload a corpus collection, watch the import finish,
// read its report, filter the endpoints, open an endpoint and see its
// sample. It leaves screenshots in artifacts/web.
func TestWebBrowser(t *testing.T) {
	t.Parallel()
	const corpus = "plaid.json" // 112 requests, 102 with saved responses
	file := filepath.Join(testenv.CorpusDir(t), corpus)
	if _, err := os.Stat(file); err != nil {
		t.Skipf("corpus file %s is absent", file)
	}
	ctx := browser(t)
	b := setup(t, nil)

	// Sign in: a page without a session goes to the sign-in form.
	step(t, ctx, time.Minute, "sign in",
		chromedp.Navigate(b.base+"/ui/upload"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), b.tokenA),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("file")),
	)
	// Keyboard: the first Tab reaches the skip link.
	step(t, ctx, 10*time.Second, "tab", chromedp.KeyEvent("\t"))
	require.Equal(t, "skip", eval[string](t, ctx, `document.activeElement.className`))

	// Upload the collection with the default options.
	require.Empty(t, eval[[]string](t, ctx, unlabelled), "upload form")
	screenshot(t, ctx, "upload", false)
	step(t, ctx, time.Minute, "upload",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("progress")),
	)
	loc := eval[string](t, ctx, `location.pathname`)
	require.Regexp(t, `^/ui/imports/imp_`, loc)

	// The progress section updates without a reload until the import is
	// done; then the page shows the final report.
	step(t, ctx, 10*time.Minute, "import finishes", // as long as waitImport: slow under -race
		chromedp.WaitVisible(chromedp.CSS(`#progress[data-status="completed"]`)),
		chromedp.WaitVisible(chromedp.ID("report")),
	)
	require.Equal(t, loc, eval[string](t, ctx, `location.pathname`))
	// The page polled the progress fragment (the API counts requests by
	// route) rather than reloading itself.
	metrics := b.get(t, "/metrics", "")
	require.Contains(t, string(metrics.Body), `route="/ui/imports/:id/progress"`)
	screenshot(t, ctx, "import", false)
	progress := eval[string](t, ctx, `document.getElementById("progress").innerText`)
	require.Contains(t, progress, "112 of 112 requests done")

	// Report: only the skipped requests, each with its reason.
	step(t, ctx, time.Minute, "filter the report",
		chromedp.SetValue(chromedp.ID("outcome"), "skipped"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Filter the report"] button[type="submit"]`)),
	)
	waitFor(t, ctx, time.Minute, `location.search.includes("outcome=skipped") && document.getElementById("report")`)
	outcomes := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#report tbody tr")).map(r => r.cells[5].innerText + " " + r.cells[6].innerText)`)
	require.NotEmpty(t, outcomes)
	require.Empty(t, eval[[]string](t, ctx, unlabelled), "import page")
	for _, o := range outcomes {
		require.Regexp(t, `^skipped \w+`, o)
	}

	// The collection's endpoints.
	step(t, ctx, time.Minute, "endpoints",
		chromedp.Click(chromedp.CSS(`p.meta a[href^="/ui/collections/"]`)),
		chromedp.WaitVisible(chromedp.ID("endpoints")),
	)
	all := eval[int](t, ctx, `document.querySelectorAll("#endpoints tbody tr").length`)
	require.Greater(t, all, 10)
	require.Empty(t, eval[[]string](t, ctx, unlabelled), "collection page")
	screenshot(t, ctx, "collection", false)

	// Filter: a search and a method. Every row left matches both.
	step(t, ctx, time.Minute, "filter endpoints",
		chromedp.SendKeys(chromedp.ID("q"), "item"),
		chromedp.SetValue(chromedp.ID("method"), "POST"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Filter endpoints"] button[type="submit"]`)),
	)
	waitFor(t, ctx, time.Minute, `location.search.includes("q=item") && location.search.includes("method=POST") && document.getElementById("endpoints")`)
	rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#endpoints tbody tr")).map(r => r.cells[0].innerText + " " + r.cells[2].innerText)`)
	require.NotEmpty(t, rows)
	require.Less(t, len(rows), all)
	for _, r := range rows {
		require.Regexp(t, `^POST \S*(?i:item)`, r)
	}

	// Open an endpoint that has samples, the way a person would: its link.
	n := eval[int](t, ctx, `Array.from(document.querySelectorAll("#endpoints tbody tr")).findIndex(r => parseInt(r.cells[6].innerText, 10) > 0)`)
	require.GreaterOrEqual(t, n, 0, "an endpoint with samples")
	step(t, ctx, time.Minute, "open an endpoint",
		chromedp.Click(chromedp.CSS(`#endpoints tbody tr:nth-child(`+strconv.Itoa(n+1)+`) td.path a`)),
		chromedp.WaitVisible(chromedp.CSS(`article.sample pre[aria-label="Response body"]`)),
	)
	require.Regexp(t, `^/ui/endpoints/ep_`, eval[string](t, ctx, `location.pathname`))
	require.Empty(t, eval[[]string](t, ctx, unlabelled), "endpoint page")
	require.Equal(t, "POST", eval[string](t, ctx, `document.querySelector("h1 .method").innerText`))
	body := eval[string](t, ctx, `document.querySelector('article.sample pre[aria-label="Response body"]').innerText`)
	require.True(t, strings.HasPrefix(strings.TrimSpace(body), "{"), body)
	require.Contains(t, eval[string](t, ctx, `document.getElementById("schemas-h").parentElement.innerText`), "Response")

	// What a person sees on a laptop screen, the samples after following
	// the page's own link to them, and the whole page.
	screenshot(t, ctx, "endpoint", false)
	screenshot(t, ctx, "endpoint-full", true)
	step(t, ctx, 10*time.Second, "to the samples", chromedp.Click(chromedp.CSS(`nav.toc a[href="#samples-h"]`)))
	waitFor(t, ctx, 10*time.Second, `location.hash === "#samples-h"`)
	screenshot(t, ctx, "endpoint-samples", false)

	// The other pages open and read in the browser too.
	for _, page := range []string{"workspaces", "operators", "imports", "collections"} {
		step(t, ctx, time.Minute, page,
			chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/ui/`+page+`"]`)),
		)
		waitFor(t, ctx, 30*time.Second, `location.pathname === "/ui/`+page+`" && document.querySelector("h1")`)
		require.Equal(t, "page", eval[string](t, ctx, `document.querySelector('nav[aria-label="Main"] a[aria-current]').getAttribute("aria-current")`))
		require.Empty(t, eval[[]string](t, ctx, unlabelled), page)
		screenshot(t, ctx, page, false)
	}
	t.Logf("screenshots in %s", artifactsDir)
}
