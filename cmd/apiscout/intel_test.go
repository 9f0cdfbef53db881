package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestEndpointFilterFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want url.Values
	}{
		{nil, url.Values{}},
		{[]string{"--method", "GET,post"}, url.Values{"method": {"GET,post"}}},
		{[]string{"--host", "api.example.com", "--path-prefix", "/v1", "--q", "user"},
			url.Values{"host": {"api.example.com"}, "path_prefix": {"/v1"}, "q": {"user"}}},
		{[]string{"--auth-type", "bearer", "--sensitive-type", "EMAIL", "--status", "404", "--removed", "false", "--sort", "-last_seen"},
			url.Values{"auth_type": {"bearer"}, "sensitive_type": {"EMAIL"}, "status": {"404"}, "removed": {"false"}, "sort": {"-last_seen"}}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var f endpointFilters
			f.register(fs)
			require.NoError(t, fs.Parse(tc.args))
			require.Equal(t, tc.want, f.query())
		})
	}
}

func TestExportOwnsDashO(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	env := func(k string) string { return map[string]string{"APISCOUT_TOKEN": "aps_x"}[k] }
	require.Equal(t, exitOK, run(context.Background(), []string{"export", "openapi", "--help"}, env, &out, &errOut))
	require.Contains(t, out.String(), "write the document to FILE")
	require.NotContains(t, out.String(), "table (default) or json", "export's -o is its file")
	out.Reset()
	require.Equal(t, exitOK, run(context.Background(), []string{"help"}, env, &out, &errOut))
	for _, c := range []string{"endpoints list COLLECTION", "export openapi COLLECTION", "changes COLLECTION"} {
		require.Contains(t, out.String(), c)
	}
	require.Equal(t, exitFailed, run(context.Background(), []string{"export", "openapi", "x", "--format", "xml", "--url", "http://127.0.0.1:1"}, env, &out, &errOut))
	require.Contains(t, errOut.String(), "--format xml: want json or yaml")
}

// TestCLIIntel drives endpoints list with filters, export openapi and
// changes against a real server.
func TestCLIIntel(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	s := startServer(t)
	example := filepath.Join("..", "..", "testdata", "example.postman_collection.json")
	r := cli(t, bin, s, nil, "-o", "json", "import", example, "--wait")
	require.Equal(t, exitPartial, r.code, r.stderr)
	var imp struct {
		CollectionID string `json:"collection_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &imp))
	col := imp.CollectionID

	// Filters and sort reach the server.
	r = cli(t, bin, s, nil, "endpoints", "list", col, "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var all []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &all))
	require.Len(t, all, 3)
	r = cli(t, bin, s, nil, "endpoints", "list", col, "--method", "post", "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var posts []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &posts))
	for _, ep := range posts {
		require.Equal(t, "POST", ep["method"])
	}
	require.Less(t, len(posts), len(all))
	r = cli(t, bin, s, nil, "endpoints", "list", col, "--sort", "method", "--limit", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 2, "a header and one endpoint")
	r = cli(t, bin, s, nil, "endpoints", "list", col, "--status", "999")
	require.Equal(t, exitFailed, r.code)
	require.Contains(t, r.stderr, "invalid_filter")
	require.Contains(t, r.stderr, `"param":"status"`)

	// export openapi: stdout JSON, a YAML file by its extension.
	r = cli(t, bin, s, nil, "export", "openapi", col)
	require.Equal(t, exitOK, r.code, r.stderr)
	doc, err := libopenapi.NewDocument([]byte(r.stdout))
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	require.Equal(t, "3.1.0", model.Model.Version)
	require.Equal(t, "Bookshop API (apiscout example)", model.Model.Info.Title)
	file := filepath.Join(t.TempDir(), "bookshop.yaml")
	r = cli(t, bin, s, nil, "export", "openapi", "Bookshop API (apiscout example)", "-o", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "wrote "+file)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var y map[string]any
	require.NoError(t, yaml.Unmarshal(data, &y))
	require.Equal(t, "3.1.0", y["openapi"])
	r = cli(t, bin, s, nil, "export", "openapi", col, "--format", "yaml")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, string(data), r.stdout)

	// changes: the first import added every endpoint; the same file again
	// changed nothing.
	r = cli(t, bin, s, nil, "import", example, "--wait")
	require.Equal(t, exitPartial, r.code, r.stderr)
	r = cli(t, bin, s, nil, "changes", col)
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Regexp(t, `WHEN\s+IMPORT\s+CHANGE\s+METHOD\s+HOST\s+PATH\s+DETAILS`, lines[0])
	require.Regexp(t, `no change`, lines[1], "newest first")
	require.Len(t, lines, 2+len(all))
	for _, l := range lines[2:] {
		require.Regexp(t, `\sadded\s`, l)
	}
	r = cli(t, bin, s, nil, "changes", col, "-o", "json", "--limit", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	var sets []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sets))
	require.Len(t, sets, 1)
}
