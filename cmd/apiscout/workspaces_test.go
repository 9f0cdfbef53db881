package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postmanapi/postmanfake"
	"github.com/apiscout/apiscout/shared/secret"
)

// cliStdin is cli with stdin fed from a string.
func cliStdin(t *testing.T, bin string, s server, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "APISCOUT_URL=" + s.url, "APISCOUT_TOKEN=" + s.token}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// TestCLIWorkspaces drives credentials, workspace syncs and schedules
// through the real binary against a real server and a fake Postman API.
func TestCLIWorkspaces(t *testing.T) {
	t.Parallel()
	const key = "PMAK-0123456789abcdef-cli1a2b"
	fake := postmanfake.New(t)
	fake.AddKey(key, 42)
	example, err := os.ReadFile(filepath.Join("..", "..", "testdata", "example.postman_collection.json"))
	require.NoError(t, err)
	require.NoError(t, fake.SetCollection("42-example", "example-id", "2026-01-01T00:00:00.000Z", example))
	require.NoError(t, fake.SetCollection("42-broken", "broken-id", "2026-01-01T00:00:00.000Z", example))
	fake.Fail("/collections/42-broken", http.StatusInternalServerError)
	fake.AddWorkspace(postmanfake.Workspace{ID: "ws-cli", Name: "CLI team", Type: "team", Collections: []string{"42-example", "42-broken"}})
	fake.AddWorkspace(postmanfake.Workspace{ID: "ws-mine", Name: "Mine", Type: "personal"})

	bin := buildCLI(t)
	s := startServerWith(t, map[string]string{
		"APISCOUT_SECRET_KEY":            secret.NewKey(),
		"APISCOUT_POSTMAN_API_URL":       fake.URL, // never the real Postman
		"APISCOUT_SCHEDULE_MIN_INTERVAL": "1h",
	})
	noKey := func(t *testing.T, r result) {
		t.Helper()
		require.NotContains(t, r.stdout+r.stderr, key, "the key is never shown")
		require.NotContains(t, r.stdout+r.stderr, "0123456789abcdef")
	}

	// No credential yet: sync says how to add one.
	r := cli(t, bin, s, nil, "workspaces", "sync", "ws-cli")
	require.Equal(t, exitFailed, r.code)
	require.Contains(t, r.stderr, "no Postman credential: add one with apiscout credentials add NAME")

	// The key from stdin (a pipe): stored, shown masked.
	r = cliStdin(t, bin, s, key+"\n", "credentials", "add", "team key")
	require.Equal(t, exitOK, r.code, r.stderr)
	noKey(t, r)
	require.Regexp(t, `key\s+\*\*\*\*1a2b`, r.stdout)
	require.Regexp(t, `name\s+team key`, r.stdout)
	cred := strings.Fields(strings.Split(r.stdout, "\n")[0])[1]
	require.True(t, strings.HasPrefix(cred, "pmc_"), cred)

	for _, tt := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"a key Postman refuses", "", []string{"credentials", "add", "bad", "--api-key", "PMAK-wrong-0123456789abcdef"}, "invalid_api_key"},
		{"no key at all", "", []string{"credentials", "add", "empty"}, "no API key: pipe it on stdin"},
		{"a blank line", "  \n", []string{"credentials", "add", "empty"}, "no API key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := cliStdin(t, bin, s, tt.stdin, tt.args...)
			require.Equal(t, exitFailed, r.code)
			require.Contains(t, r.stderr, tt.want)
			require.NotContains(t, r.stderr, "PMAK-wrong", "not even a refused key")
			require.Empty(t, r.stdout)
		})
	}

	r = cli(t, bin, s, nil, "credentials", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	noKey(t, r)
	require.Regexp(t, `ID\s+NAME\s+KEY\s+POSTMAN USER\s+CREATED\s+LAST USED`, r.stdout)
	require.Regexp(t, cred+`\s+team key\s+\*\*\*\*1a2b`, r.stdout)
	require.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 2)

	r = cli(t, bin, s, nil, "workspaces", "list", cred)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `ws-cli\s+CLI team\s+team`, r.stdout)
	require.Regexp(t, `ws-mine\s+Mine\s+personal`, r.stdout)
	r = cli(t, bin, s, nil, "-o", "json", "workspaces", "list", cred)
	require.Equal(t, exitOK, r.code, r.stderr)
	var wss []postmanWorkspace
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &wss))
	require.Len(t, wss, 2)

	// First sync, the only credential picked: one collection fails at
	// Postman, so the sync is partial.
	r = cli(t, bin, s, nil, "workspaces", "sync", "ws-cli", "--wait")
	require.Equal(t, exitPartial, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	require.Empty(t, r.stderr, "no progress bar in a pipe")
	require.Regexp(t, `status\s+completed`, r.stdout)
	require.Regexp(t, `collections\s+2 total: 1 imported, 0 unchanged, 1 failed`, r.stdout)
	require.Regexp(t, `Bookshop API \(apiscout example\)\s+42-example\s+imported\s+imp_\w+ completed`, r.stdout)
	require.Regexp(t, `42-broken\s+failed\s+.*500`, r.stdout)
	firstSync := strings.Fields(strings.Split(r.stdout, "\n")[0])[1]

	// Postman heals: the broken one imports, the other is unchanged; with
	// replay options, which go with the import.
	fake.Fail("/collections/42-broken", 0)
	r = cli(t, bin, s, nil, "-o", "json", "workspaces", "sync", "ws-cli", "--credential", cred, "--wait", "--replay", "--dry-run")
	require.Equal(t, exitOK, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	var second struct {
		Status  string `json:"status"`
		Options struct {
			AllowReplay bool `json:"allow_replay"`
			DryRun      bool `json:"dry_run"`
		} `json:"options"`
		Collections []struct {
			UID          string `json:"uid"`
			Outcome      string `json:"outcome"`
			ImportStatus string `json:"import_status"`
		} `json:"collections"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &second), r.stdout)
	require.Equal(t, "completed", second.Status)
	require.True(t, second.Options.AllowReplay && second.Options.DryRun)
	outcomes := map[string]string{}
	for _, c := range second.Collections {
		outcomes[c.UID] = c.Outcome + " " + c.ImportStatus
	}
	require.Equal(t, map[string]string{"42-example": "unchanged completed", "42-broken": "imported completed"}, outcomes)

	r = cli(t, bin, s, nil, "workspaces", "syncs", "ws-cli")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `ID\s+STATUS\s+TRIGGER\s+COLLECTIONS\s+IMPORTED\s+UNCHANGED\s+FAILED\s+CREATED`, lines[0])
	require.Regexp(t, `^syn_\w+\s+completed\s+manual\s+2\s+1\s+1\s+0\s`, lines[1], "newest first")
	require.Regexp(t, `^`+firstSync+`\s+completed\s+manual\s+2\s+1\s+0\s+1\s`, lines[2])

	r = cli(t, bin, s, nil, "syncs", "show", firstSync)
	require.Equal(t, exitPartial, r.code, r.stderr)
	require.Regexp(t, `workspace\s+CLI team \(ws-cli\)`, r.stdout)

	// Schedules: none yet, set, shown, replaced, refused, stopped.
	r = cli(t, bin, s, nil, "workspaces", "schedule", "ws-cli")
	require.Equal(t, exitFailed, r.code)
	require.Contains(t, r.stderr, "not_found")

	r = cli(t, bin, s, nil, "workspaces", "schedule", "ws-cli", "--every", "6h")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `schedule\s+@every 6h \(UTC\)`, r.stdout)
	require.Regexp(t, `credential\s+`+cred, r.stdout)
	require.Regexp(t, `next runs\s+\d{4}-\d\d-\d\dT(00|06|12|18):00:00Z\n\s+\d{4}-`, r.stdout)

	r = cli(t, bin, s, nil, "workspaces", "schedule", "ws-cli", "--cron", "30 2 * * *", "--replay", "--replay-methods", "all")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: replaying POST, PUT, PATCH, DELETE")
	require.Regexp(t, `schedule\s+30 2 \* \* \* \(UTC\)`, r.stdout)

	r = cli(t, bin, s, nil, "-o", "json", "workspaces", "schedule", "ws-cli")
	require.Equal(t, exitOK, r.code, r.stderr)
	var sched struct {
		Cron     string      `json:"cron"`
		NextRuns []time.Time `json:"next_runs"`
		Options  struct {
			ReplayMethods []string `json:"replay_methods"`
		} `json:"options"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sched))
	require.Equal(t, "30 2 * * *", sched.Cron)
	require.Equal(t, []string{"ALL"}, sched.Options.ReplayMethods)
	require.Len(t, sched.NextRuns, 3)
	require.Equal(t, 2, sched.NextRuns[0].Hour())

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"too frequent", []string{"workspaces", "schedule", "ws-cli", "--every", "10m"}, "schedule_too_frequent"},
		{"not cron", []string{"workspaces", "schedule", "ws-cli", "--cron", "every tuesday"}, "invalid_cron"},
		{"two at once", []string{"workspaces", "schedule", "ws-cli", "--every", "6h", "--off"}, "give one of --every, --cron and --off"},
		{"unknown credential", []string{"workspaces", "sync", "ws-cli", "--credential", "pmc_nope"}, "unknown_credential"},
		{"in use by the schedule", []string{"credentials", "delete", cred}, "credential_in_use"},
		{"unknown sync", []string{"syncs", "show", "syn_nope"}, "not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, bin, s, nil, tt.args...)
			require.Equal(t, exitFailed, r.code, r.stdout)
			require.Contains(t, r.stderr, tt.want)
			require.Empty(t, r.stdout)
		})
	}

	r = cli(t, bin, s, nil, "workspaces", "schedule", "ws-cli", "--off")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "workspace ws-cli is no longer synced on a schedule")
	r = cli(t, bin, s, nil, "credentials", "delete", cred)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stderr, "credential "+cred+" deleted")
	r = cli(t, bin, s, nil, "-o", "json", "credentials", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.JSONEq(t, "[]", r.stdout)
}
