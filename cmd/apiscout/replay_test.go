package main

import (
	"bytes"
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReplayOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		args    []string
		want    map[string]any
		err     string
		writes  []string
		warning bool
	}{
		{name: "no replay", args: nil, want: nil},
		{name: "replay with server defaults", args: []string{"--replay"}, want: map[string]any{"allow_replay": true}},
		{
			name: "every flag",
			args: []string{"--replay", "--replay-methods", " get, head,GET", "--replay-timeout", "1m30s", "--max-rps-per-host", "3",
				"--keep-statuses", "2xx, 404,300-399,", "--no-follow-redirects", "--insecure-tls"},
			want: map[string]any{"allow_replay": true, "replay_methods": []string{"GET", "HEAD"}, "replay_timeout": "1m30s",
				"max_rps_per_host": 3, "keep_statuses": []string{"2xx", "404", "300-399"}, "follow_redirects": false, "insecure_tls": true},
		},
		{name: "all", args: []string{"--replay", "--replay-methods", "ALL"}, want: map[string]any{"allow_replay": true, "replay_methods": "all"},
			writes: []string{"POST", "PUT", "PATCH", "DELETE", "every other method"}, warning: true},
		{name: "named writes", args: []string{"--replay", "--replay-methods", "get,post,delete,options"},
			want:   map[string]any{"allow_replay": true, "replay_methods": []string{"GET", "POST", "DELETE", "OPTIONS"}},
			writes: []string{"POST", "DELETE"}, warning: true},
		{name: "a dry run sends no write", args: []string{"--replay", "--replay-methods", "all", "--dry-run"},
			want: map[string]any{"allow_replay": true, "replay_methods": "all", "dry_run": true}},
		{name: "replay flags need --replay", args: []string{"--keep-statuses", "2xx", "--insecure-tls"},
			err: "--insecure-tls, --keep-statuses: replay options need --replay"},
		{name: "not a method", args: []string{"--replay", "--replay-methods", "GET,,HEAD"}, err: "want methods like GET,HEAD or all"},
		{name: "negative rate", args: []string{"--replay", "--max-rps-per-host", "-1"}, err: "--max-rps-per-host: want a positive number"},
		{name: "negative timeout", args: []string{"--replay", "--replay-timeout", "-1s"}, err: "--replay-timeout: want a positive duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var o replayOptions
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			o.register(fs)
			require.NoError(t, fs.Parse(tt.args))
			got, err := o.options()
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.writes, o.writes())
			var buf bytes.Buffer
			o.warn(&buf)
			require.Equal(t, tt.warning, buf.Len() > 0, buf.String())
		})
	}
}

func TestImportExitCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status  string
		skipped map[string]int
		want    int
	}{
		{"queued", nil, exitOK},
		{"running", map[string]int{"non_2xx:404": 1}, exitOK},
		{"completed", nil, exitOK},
		{"completed", map[string]int{"non_2xx:404": 1}, exitPartial},
		{"completed", map[string]int{"dry_run": 3}, exitPartial},
		{"cancelled", nil, exitPartial},
		{"cancelled", map[string]int{"cancelled": 5}, exitPartial},
		{"failed", nil, exitFailed},
	} {
		d := importDoc{Status: tt.status}
		d.Counts.Skipped = tt.skipped
		require.Equal(t, tt.want, d.exitCode(), "%s %v", tt.status, tt.skipped)
		require.Equal(t, tt.status != "queued" && tt.status != "running", d.finished(), tt.status)
	}
}

func TestProgressBarWhileReplaying(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgressBar(&buf, "api.json", func() time.Time { return now })
	d := importDoc{Status: "running"}
	d.Counts.Total, d.Counts.Imported = 10, 4
	d.Counts.Skipped = map[string]int{"non_2xx:404": 1}
	d.Counts.Replay = &replayCounts{Total: 6, Done: 1}
	p.update(d)
	require.Contains(t, buf.String(), "[==============>             ] replaying 5/10")
}

func TestSync(t *testing.T) {
	t.Parallel()
	type col struct{ outcome, importID, importStatus string }
	mk := func(status string, cols ...col) syncDoc {
		s := syncDoc{Status: status}
		for _, c := range cols {
			s.Collections = append(s.Collections, struct {
				UID          string `json:"uid"`
				Name         string `json:"name"`
				Outcome      string `json:"outcome"`
				ImportID     string `json:"import_id"`
				ImportStatus string `json:"import_status"`
				Error        string `json:"error"`
			}{Outcome: c.outcome, ImportID: c.importID, ImportStatus: c.importStatus})
		}
		return s
	}
	for _, tt := range []struct {
		name     string
		sync     syncDoc
		settled  bool
		code     int
		progress string
		total    int
		done     int
	}{
		{"queued", mk("queued"), false, exitOK, "queued", 0, 0},
		{"running", mk("running", col{"imported", "imp_1", "running"}), false, exitOK, "running", 0, 0},
		{"imports running", mk("completed", col{"imported", "imp_1", "completed"}, col{"imported", "imp_2", "running"}, col{"unchanged", "imp_0", "completed"}),
			false, exitOK, "importing", 2, 1},
		{"all done", mk("completed", col{"imported", "imp_1", "completed"}, col{"unchanged", "imp_0", "completed"}), true, exitOK, "completed", 0, 0},
		{"a collection failed", mk("completed", col{"imported", "imp_1", "completed"}, col{"failed", "", ""}), true, exitPartial, "completed", 0, 0},
		{"an import failed", mk("completed", col{"imported", "imp_1", "failed"}), true, exitPartial, "completed", 0, 0},
		{"an import was cancelled", mk("completed", col{"imported", "imp_1", "cancelled"}), true, exitPartial, "completed", 0, 0},
		{"the sync failed", mk("failed"), true, exitFailed, "failed", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.settled, tt.sync.settled())
			require.Equal(t, tt.code, tt.sync.exitCode())
			p := tt.sync.progress()
			require.Equal(t, tt.progress, p.Status)
			require.Equal(t, tt.total, p.Counts.Total)
			require.Equal(t, tt.done, p.Counts.Imported)
		})
	}
}

func TestShortDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		6 * time.Hour: "6h", 90 * time.Minute: "1h30m", 10 * time.Minute: "10m", 30 * time.Second: "30s",
		time.Hour + time.Second: "1h0m1s", 24 * time.Hour: "24h",
	} {
		require.Equal(t, want, shortDuration(d), d.String())
	}
}
