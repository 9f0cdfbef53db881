package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseInterleaved(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o importOptions
	o.register(fs)
	pos, err := parseInterleaved(fs, []string{"a.json", "--wait", "--env", "e.json"})
	require.NoError(t, err)
	require.Equal(t, []string{"a.json"}, pos)
	require.True(t, o.Wait)
	require.Equal(t, "e.json", o.EnvFile)
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	d := importDoc{Status: "completed"}
	require.Equal(t, exitOK, d.exitCode())
	d.Counts.Skipped = map[string]int{"no_saved_response": 0}
	require.Equal(t, exitOK, d.exitCode())
	d.Counts.Skipped["invalid_item"] = 2
	require.Equal(t, exitPartial, d.exitCode())
	require.Equal(t, exitFailed, importDoc{Status: "failed"}.exitCode())
	require.Equal(t, exitOK, importDoc{Status: "running"}.exitCode())
}

func TestHelpAndUsage(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	env := func(k string) string { return map[string]string{"APISCOUT_TOKEN": "aps_secret"}[k] }
	require.Equal(t, exitOK, run(context.Background(), []string{"help"}, env, &out, &errOut))
	require.Contains(t, out.String(), "endpoints list COLLECTION")
	out.Reset()
	require.Equal(t, exitOK, run(context.Background(), []string{"import", "--help"}, env, &out, &errOut))
	require.Contains(t, out.String(), "-wait")
	require.NotContains(t, out.String(), "aps_secret", "help never shows the token")
	require.Equal(t, exitFailed, run(context.Background(), []string{"imports", "show"}, env, &out, &errOut))
	require.Contains(t, errOut.String(), "imports show takes 1 argument(s)")
}

func TestProgressBar(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := newProgressBar(&buf, "plaid.json", clock)

	p.update(importDoc{Status: "queued"})
	require.Equal(t, "\rplaid.json [<=>                         ] queued        0s", buf.String())
	buf.Reset()
	now = now.Add(1500 * time.Millisecond)
	p.draw()
	require.Equal(t, "\rplaid.json [ <=>                        ] queued      1.5s", buf.String(), "the sweep moves")

	// Counts reported while running fill the bar.
	buf.Reset()
	d := importDoc{Status: "running"}
	d.Counts.Total, d.Counts.Imported = 112, 56
	p.update(d)
	require.Contains(t, buf.String(), "[==============>             ] running 56/112")

	buf.Reset()
	d.Status = "completed"
	d.Counts.Imported, d.Counts.Skipped = 99, map[string]int{"no_saved_response": 13}
	p.update(d)
	require.Contains(t, buf.String(), "[============================] completed")

	buf.Reset()
	p.clear()
	require.Equal(t, "\r"+strings.Repeat(" ", p.width)+"\r", buf.String())

	long := newProgressBar(io.Discard, strings.Repeat("x", 50)+".json", clock)
	require.Equal(t, maxLabel, len([]rune(long.label)))
	require.True(t, strings.HasPrefix(long.label, "…") && strings.HasSuffix(long.label, "x.json"))
}
