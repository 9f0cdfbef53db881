package postman_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// corpusDir is $APISCOUT_CORPUS_DIR, else ../shared/corpus seen from the
// repository root. (The package does not import testenv, to stay free of the
// services it starts.)
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("APISCOUT_CORPUS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "INDEX.tsv")); err != nil {
		t.Skipf("corpus not found at %s (../shared/corpus next to the repository): %v", dir, err)
	}
	return dir
}

// environments maps corpus collections to the corpus environment that goes
// with them.
var environments = map[string]string{
	"commercetools-api": "commercetools-api-template.json",
	"mongodb-atlas":     "mongodb-atlas.json",
	"msgraph-v1":        "msgraph.json",
	"okta-users":        "okta-example.oktapreview.com.json",
	"twitter-ads":       "twitter-ads.json",
}

type corpusEntry struct {
	name, schema string
	requests     int
}

func corpusIndex(t *testing.T, dir string) []corpusEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	require.NoError(t, err)
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		require.GreaterOrEqual(t, len(cols), 8, sc.Text())
		if strings.HasPrefix(cols[0], "environments/") {
			continue
		}
		n, err := strconv.Atoi(cols[7])
		require.NoError(t, err, sc.Text())
		out = append(out, corpusEntry{name: cols[0], schema: cols[6], requests: n})
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

func parseCorpus(t *testing.T, dir, name string) *postman.Collection {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name+".json"))
	require.NoError(t, err)
	opts := testOptions()
	if env, ok := environments[name]; ok {
		envData, err := os.ReadFile(filepath.Join(dir, "environments", env))
		require.NoError(t, err)
		_, vars, err := postman.ParseEnvironment(envData)
		require.NoError(t, err)
		require.NotEmpty(t, vars)
		opts.Environment = vars
	}
	c, err := postman.Parse(data, opts)
	require.NoError(t, err)
	return c
}

// TestCorpus checks every corpus collection against INDEX.tsv, and the
// saved-response figures of corpus/README.md.
func TestCorpus(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t)
	examples := map[string]struct{ withUsable, usable int }{
		"plaid":                  {99, 101},
		"adyen-management-v3":    {111, 111},
		"paypal-partner":         {45, 229},
		"stripe":                 {0, 0},
		"commercetools-api":      {0, 0},
		"msgraph-v1":             {0, 0},
		"newman-sample-v1":       {0, 0},
		"newman-sample-v2.0":     {0, 0},
		"aws-perf-dashboard-api": {0, 0},
		"box-legacy":             {0, 0},
		"brightspace-test-data":  {0, 0},
		"contentstack-graphql":   {0, 0},
		"mongodb-atlas":          {0, 0},
		"okta-users":             {0, 0},
		"schema-ex-hawk-v2.0":    {0, 0},
		"schema-ex-helpers-v2.0": {0, 0},
		"schema-ex-helpers-v2.1": {0, 0},
		"schema-ex-ntlm-v2.1":    {0, 0},
		"twitter-ads":            {0, 0},
	}
	for _, e := range corpusIndex(t, dir) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			c := parseCorpus(t, dir, e.name)
			require.Equal(t, e.schema, c.Schema)
			require.Len(t, c.Requests, e.requests)
			require.Empty(t, c.Warnings)
			with, usable := 0, 0
			for _, r := range c.Requests {
				require.Empty(t, r.Invalid, r.Name)
				if len(r.Examples) > 0 {
					with++
				}
				usable += len(r.Examples)
			}
			want, ok := examples[e.name]
			require.True(t, ok, "no expected example figures for %s", e.name)
			require.Equal(t, want.withUsable, with, "requests with a usable example")
			require.Equal(t, want.usable, usable, "usable examples")
		})
	}
}

func TestCorpusPaypalStub(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t)
	c := parseCorpus(t, dir, "paypal-partner")
	stubs := 0
	for _, r := range c.Requests {
		stubs += r.StubExamples
	}
	require.Equal(t, 1, stubs, "INDEX.tsv counts 230 examples, one is a stub")
}

// TestCorpusGolden compares the normalised request list of every corpus
// collection with testdata/golden/<name>.golden (go test -update rewrites
// them).
func TestCorpusGolden(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t)
	for _, e := range corpusIndex(t, dir) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			got := golden(parseCorpus(t, dir, e.name), environments[e.name])
			path := filepath.Join("testdata", "golden", e.name+".golden")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./shared/postman -update to create it")
			require.Equal(t, string(want), got)
		})
	}
}

// golden renders a collection as a stable, reviewable text.
func golden(c *postman.Collection, env string) string {
	var b strings.Builder
	auth := "-"
	if c.Auth != nil {
		auth = c.Auth.Type
	}
	if env == "" {
		env = "-"
	}
	usable, stubs := 0, 0
	for _, r := range c.Requests {
		usable += len(r.Examples)
		stubs += r.StubExamples
	}
	fmt.Fprintf(&b, "# %s\n# schema=%s requests=%d usable_examples=%d stub_examples=%d auth=%s environment=%s variables=%d\n",
		c.Name, c.Schema, len(c.Requests), usable, stubs, auth, env, len(c.Variables))
	if len(c.SetByScript) > 0 {
		fmt.Fprintf(&b, "# set_by_script=%s\n", strings.Join(c.SetByScript, ","))
	}
	for _, r := range c.Requests {
		b.WriteString("\n")
		folder := strings.Join(r.Folders, " / ")
		if folder == "" {
			folder = "(root)"
		}
		fmt.Fprintf(&b, "%s :: %s\n", folder, r.Name)
		if r.Invalid != "" {
			fmt.Fprintf(&b, "  invalid: %s\n", r.Invalid)
			continue
		}
		fmt.Fprintf(&b, "  %s %s\n", r.Built.Method, r.Built.URL.Raw)
		var names []string
		for _, h := range r.Built.Headers {
			names = append(names, h.Key)
		}
		body := "-"
		if r.Built.Body != nil {
			body = r.Built.Body.Mode + " " + r.Built.Body.ContentType
		}
		ra := "-"
		if r.Auth != nil {
			ra = r.Auth.Type
		}
		fmt.Fprintf(&b, "  headers=[%s] body=%s auth=%s examples=%d", strings.Join(names, ","), body, ra, len(r.Examples))
		if r.StubExamples > 0 {
			fmt.Fprintf(&b, " stubs=%d", r.StubExamples)
		}
		b.WriteString("\n")
		for _, f := range []struct {
			k string
			v []string
		}{{"unresolved", r.Unresolved}, {"unresolved_host", r.HostUnresolved}, {"set_by_script", r.SetByScript}, {"flags", r.Flags}} {
			if len(f.v) > 0 {
				fmt.Fprintf(&b, "  %s=%s\n", f.k, strings.Join(f.v, ","))
			}
		}
	}
	return b.String()
}
