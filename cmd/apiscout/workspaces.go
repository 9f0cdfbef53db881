package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"
)

// maxKeyBytes bounds a Postman API key read from stdin.
const maxKeyBytes = 4 << 10

// credentialDoc is a stored Postman API key as the server shows it: masked.
type credentialDoc struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	MaskedKey   string     `json:"masked_key"`
	PostmanUser string     `json:"postman_user"`
	CreatedAt   time.Time  `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
}

// credentialOptions are the options of `credentials add`.
type credentialOptions struct {
	APIKey string
}

func (o *credentialOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.APIKey, "api-key", o.APIKey,
		"the Postman API key (PMAK-...); without it the key is read from stdin (typed without echo on a terminal), which keeps it out of the shell history")
}

// readKey returns the key from the flag, or else from stdin: typed without
// echo when stdin is a terminal, or the first line of what is piped in.
func readKey(a *app, o credentialOptions) (string, error) {
	if o.APIKey != "" {
		return strings.TrimSpace(o.APIKey), nil
	}
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, "Postman API key: ")
		key, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the key: %w", err)
		}
		return strings.TrimSpace(string(key)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(a.stdin, maxKeyBytes)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the key from stdin: %w", err)
	}
	return strings.TrimSpace(line), nil
}

func addCredential(ctx context.Context, a *app, name string, o credentialOptions) (int, error) {
	key, err := readKey(a, o)
	if err != nil {
		return 0, err
	}
	if key == "" {
		return 0, errors.New("no API key: pipe it on stdin (apiscout credentials add NAME < key.txt) or pass --api-key")
	}
	var raw json.RawMessage
	body := map[string]string{"name": name, "api_key": key}
	if err := a.client.send(ctx, http.MethodPost, "/v1/postman/credentials", body, &raw); err != nil {
		return 0, err
	}
	if a.global.Output == "json" {
		return exitOK, writeJSON(a.stdout, raw)
	}
	var c credentialDoc
	if err := json.Unmarshal(raw, &c); err != nil {
		return 0, err
	}
	return exitOK, fields(a, [][2]string{
		{"credential", c.ID}, {"name", c.Name}, {"key", c.MaskedKey}, {"postman user", c.PostmanUser}, {"created", when(c.CreatedAt)},
	})
}

func listCredentials(ctx context.Context, a *app, o listOptions) (int, error) {
	raw, err := a.client.list(ctx, "/v1/postman/credentials", o.Limit)
	if err != nil {
		return 0, err
	}
	return exitOK, printList(a, raw, []string{"ID", "NAME", "KEY", "POSTMAN USER", "CREATED", "LAST USED"},
		func(c credentialDoc) []string {
			used := "-"
			if c.LastUsedAt != nil {
				used = when(*c.LastUsedAt)
			}
			return []string{c.ID, c.Name, c.MaskedKey, c.PostmanUser, when(c.CreatedAt), used}
		})
}

func deleteCredential(ctx context.Context, a *app, id string) (int, error) {
	if err := a.client.send(ctx, http.MethodDelete, "/v1/postman/credentials/"+pathEscape(id), nil, nil); err != nil {
		return 0, err
	}
	fmt.Fprintf(a.stderr, "credential %s deleted\n", id)
	return exitOK, nil
}

// postmanWorkspace is one workspace a key sees.
type postmanWorkspace struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

func listWorkspaces(ctx context.Context, a *app, credential string) (int, error) {
	var p page
	if err := a.client.get(ctx, "/v1/postman/credentials/"+pathEscape(credential)+"/workspaces", &p); err != nil {
		return 0, err
	}
	return exitOK, printList(a, p.Items, []string{"ID", "NAME", "TYPE"},
		func(w postmanWorkspace) []string { return []string{w.ID, w.Name, w.Type} })
}

// syncOptions are the options shared by `workspaces sync` and `workspaces
// schedule`: the credential, environment and what each import does.
type syncOptions struct {
	Credential  string
	Environment string
	Force       bool
	Replay      replayOptions
}

func (o *syncOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.Credential, "credential", o.Credential, "the stored Postman API key to use (default: the only one; apiscout credentials list)")
	fs.StringVar(&o.Environment, "environment", o.Environment, "a Postman environment uid of the workspace resolving the collections' variables")
	fs.BoolVar(&o.Force, "force", o.Force, "import every collection, changed or not")
	o.Replay.register(fs)
}

// request is the body of a sync or schedule request (cron added by the
// caller).
func (o syncOptions) request(ctx context.Context, c *client) (map[string]any, error) {
	opts, err := o.Replay.options()
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = map[string]any{}
	}
	if o.Force {
		opts["force"] = true
	}
	cred := o.Credential
	if cred == "" {
		if cred, err = onlyCredential(ctx, c); err != nil {
			return nil, err
		}
	}
	body := map[string]any{"credential_id": cred, "options": opts}
	if o.Environment != "" {
		body["environment_id"] = o.Environment
	}
	return body, nil
}

// onlyCredential is the account's credential when it has exactly one.
func onlyCredential(ctx context.Context, c *client) (string, error) {
	raw, err := c.list(ctx, "/v1/postman/credentials", 2)
	if err != nil {
		return "", err
	}
	creds, err := decodeAll[credentialDoc](raw)
	if err != nil {
		return "", err
	}
	switch len(creds) {
	case 0:
		return "", errors.New("no Postman credential: add one with apiscout credentials add NAME")
	case 1:
		return creds[0].ID, nil
	}
	return "", errors.New("several Postman credentials: choose one with --credential (apiscout credentials list)")
}

// syncDoc is what the CLI reads of a workspace sync.
type syncDoc struct {
	ID            string `json:"id"`
	WorkspaceID   string `json:"workspace_id"`
	WorkspaceName string `json:"workspace_name"`
	CredentialID  string `json:"credential_id"`
	EnvironmentID string `json:"environment_id"`
	Trigger       string `json:"trigger"`
	Status        string `json:"status"`
	Collections   []struct {
		UID          string `json:"uid"`
		Name         string `json:"name"`
		Outcome      string `json:"outcome"`
		ImportID     string `json:"import_id"`
		ImportStatus string `json:"import_status"`
		Error        string `json:"error"`
	} `json:"collections"`
	Counts struct {
		Total     int `json:"total"`
		Imported  int `json:"imported"`
		Unchanged int `json:"unchanged"`
		Failed    int `json:"failed"`
	} `json:"counts"`
	Error      string     `json:"error"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func (s syncDoc) finished() bool { return s.Status == "completed" || s.Status == "failed" }

// imports counts the imports the sync submitted, and those that ended.
func (s syncDoc) imports() (submitted, ended int) {
	for _, c := range s.Collections {
		if c.Outcome == "imported" && c.ImportID != "" {
			submitted++
			if (importDoc{Status: c.ImportStatus}).finished() {
				ended++
			}
		}
	}
	return submitted, ended
}

// settled reports whether the sync and every import it submitted ended.
func (s syncDoc) settled() bool {
	n, ended := s.imports()
	return s.finished() && ended == n
}

// exitCode: a failed sync 1; a finished one where a collection failed, or
// an import it submitted failed or was cancelled, 2; else 0 (also while it
// runs).
func (s syncDoc) exitCode() int {
	if s.Status == "failed" {
		return exitFailed
	}
	if !s.finished() {
		return exitOK
	}
	for _, c := range s.Collections {
		if c.Outcome == "failed" || c.ImportStatus == "failed" || c.ImportStatus == "cancelled" {
			return exitPartial
		}
	}
	return exitOK
}

// progress is the sync as the progress bar draws it: a sweep while the
// sync runs, then the submitted imports ending.
func (s syncDoc) progress() importDoc {
	d := importDoc{Status: s.Status}
	if n, ended := s.imports(); s.Status == "completed" && ended < n {
		d.Status = "importing"
		d.Counts.Total, d.Counts.Imported = n, ended
	}
	return d
}

// waitOptions are the options of `workspaces sync`.
type waitOptions struct {
	Wait    bool
	Timeout time.Duration
}

func (o *waitOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.Wait, "wait", o.Wait, "wait for the sync and the imports it submits to end, and print its summary")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "with --wait: give up after this long")
}

func syncWorkspace(ctx context.Context, a *app, workspace string, o syncOptions, w waitOptions) (int, error) {
	body, err := o.request(ctx, a.client)
	if err != nil {
		return 0, err
	}
	o.Replay.warn(a.stderr)
	var raw json.RawMessage
	if err := a.client.send(ctx, http.MethodPost, "/v1/workspaces/"+pathEscape(workspace)+"/sync", body, &raw); err != nil {
		return 0, err
	}
	var s syncDoc
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, err
	}
	if w.Wait {
		if raw, s, err = waitSync(ctx, a, s, w.Timeout); err != nil {
			return 0, err
		}
	}
	if err := printSync(a, raw, s); err != nil {
		return 0, err
	}
	return s.exitCode(), nil
}

func showSync(ctx context.Context, a *app, id string) (int, error) {
	raw, s, err := getSync(ctx, a.client, id)
	if err != nil {
		return 0, err
	}
	if err := printSync(a, raw, s); err != nil {
		return 0, err
	}
	return s.exitCode(), nil
}

func getSync(ctx context.Context, c *client, id string) (json.RawMessage, syncDoc, error) {
	return getDoc[syncDoc](ctx, c, "/v1/syncs/"+pathEscape(id))
}

// waitSync polls the sync until it and its imports have ended, drawing a
// progress bar on stderr when it is a terminal.
func waitSync(ctx context.Context, a *app, s syncDoc, timeout time.Duration) (json.RawMessage, syncDoc, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var bar *progressBar
	if a.progress {
		bar = newProgressBar(a.stderr, "workspace "+s.WorkspaceID, time.Now)
		defer bar.clear()
		bar.update(s.progress())
	}
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	draw := time.NewTicker(drawInterval)
	defer draw.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, s, fmt.Errorf("sync %s still %s after %s (apiscout syncs show %s)", s.ID, s.progress().Status, timeout, s.ID)
			}
			return nil, s, ctx.Err()
		case <-draw.C:
			if bar != nil {
				bar.draw()
			}
		case <-poll.C:
			raw, next, err := getSync(ctx, a.client, s.ID)
			if err != nil {
				return nil, s, err
			}
			s = next
			if bar != nil {
				bar.update(s.progress())
			}
			if s.settled() {
				return raw, s, nil
			}
		}
	}
}

func printSync(a *app, raw json.RawMessage, s syncDoc) error {
	if a.global.Output == "json" {
		return writeJSON(a.stdout, raw)
	}
	ws := s.WorkspaceID
	if s.WorkspaceName != "" {
		ws = s.WorkspaceName + " " + parens(s.WorkspaceID)
	}
	rows := [][2]string{{"sync", s.ID}, {"workspace", ws}, {"status", s.Status}, {"trigger", s.Trigger}}
	if s.EnvironmentID != "" {
		rows = append(rows, [2]string{"environment", s.EnvironmentID})
	}
	if s.Error != "" {
		rows = append(rows, [2]string{"error", s.Error})
	}
	if s.finished() {
		rows = append(rows, [2]string{"collections", fmt.Sprintf("%d total: %d imported, %d unchanged, %d failed",
			s.Counts.Total, s.Counts.Imported, s.Counts.Unchanged, s.Counts.Failed)})
	}
	if s.FinishedAt != nil {
		rows = append(rows, [2]string{"took", s.FinishedAt.Sub(s.CreatedAt).Round(time.Millisecond).String()})
	}
	if err := fields(a, rows); err != nil {
		return err
	}
	if len(s.Collections) == 0 {
		return nil
	}
	fmt.Fprintln(a.stdout)
	out := make([][]string, len(s.Collections))
	for i, c := range s.Collections {
		detail := c.Error
		if detail == "" {
			detail = strings.TrimSpace(c.ImportID + " " + c.ImportStatus)
		}
		out[i] = []string{c.Name, c.UID, c.Outcome, detail}
	}
	return table(a, []string{"COLLECTION", "UID", "OUTCOME", "IMPORT / ERROR"}, out)
}

func listSyncs(ctx context.Context, a *app, workspace string, o listOptions) (int, error) {
	raw, err := a.client.list(ctx, "/v1/workspaces/"+pathEscape(workspace)+"/syncs", o.Limit)
	if err != nil {
		return 0, err
	}
	return exitOK, printList(a, raw, []string{"ID", "STATUS", "TRIGGER", "COLLECTIONS", "IMPORTED", "UNCHANGED", "FAILED", "CREATED"},
		func(s syncDoc) []string {
			return []string{s.ID, s.Status, s.Trigger, fmt.Sprint(s.Counts.Total), fmt.Sprint(s.Counts.Imported),
				fmt.Sprint(s.Counts.Unchanged), fmt.Sprint(s.Counts.Failed), when(s.CreatedAt)}
		})
}

// scheduleOptions are the options of `workspaces schedule`.
type scheduleOptions struct {
	Every time.Duration
	Cron  string
	Off   bool
	Sync  syncOptions
}

func (o *scheduleOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.Every, "every", o.Every, "re-sync at this period, e.g. 6h (instants at multiples of it since the Unix epoch)")
	fs.StringVar(&o.Cron, "cron", o.Cron, `re-sync on this cron schedule in UTC, e.g. "0 */6 * * *", @daily`)
	fs.BoolVar(&o.Off, "off", o.Off, "stop re-syncing the workspace")
	o.Sync.register(fs)
}

// scheduleDoc is a workspace's re-sync schedule.
type scheduleDoc struct {
	WorkspaceID   string      `json:"workspace_id"`
	Cron          string      `json:"cron"`
	CredentialID  string      `json:"credential_id"`
	EnvironmentID string      `json:"environment_id"`
	UpdatedAt     time.Time   `json:"updated_at"`
	NextRuns      []time.Time `json:"next_runs"`
}

// scheduleWorkspace sets (--every, --cron), deletes (--off) or, without
// any of them, shows a workspace's schedule.
func scheduleWorkspace(ctx context.Context, a *app, workspace string, o scheduleOptions) (int, error) {
	n := 0
	for _, set := range []bool{o.Every != 0, o.Cron != "", o.Off} {
		if set {
			n++
		}
	}
	if n > 1 {
		return 0, errors.New("give one of --every, --cron and --off")
	}
	path := "/v1/workspaces/" + pathEscape(workspace) + "/schedule"
	var raw json.RawMessage
	switch {
	case o.Off:
		if err := a.client.send(ctx, http.MethodDelete, path, nil, nil); err != nil {
			return 0, err
		}
		fmt.Fprintf(a.stderr, "workspace %s is no longer synced on a schedule\n", workspace)
		return exitOK, nil
	case n == 0:
		if err := a.client.get(ctx, path, &raw); err != nil {
			return 0, err
		}
	default:
		cron := o.Cron
		if o.Every != 0 {
			cron = "@every " + shortDuration(o.Every)
		}
		body, err := o.Sync.request(ctx, a.client)
		if err != nil {
			return 0, err
		}
		body["cron"] = cron
		o.Sync.Replay.warn(a.stderr)
		if err := a.client.send(ctx, http.MethodPut, path, body, &raw); err != nil {
			return 0, err
		}
	}
	if a.global.Output == "json" {
		return exitOK, writeJSON(a.stdout, raw)
	}
	var sc scheduleDoc
	if err := json.Unmarshal(raw, &sc); err != nil {
		return 0, err
	}
	rows := [][2]string{{"workspace", sc.WorkspaceID}, {"schedule", sc.Cron + " (UTC)"}, {"credential", sc.CredentialID}}
	if sc.EnvironmentID != "" {
		rows = append(rows, [2]string{"environment", sc.EnvironmentID})
	}
	for i, t := range sc.NextRuns {
		k := ""
		if i == 0 {
			k = "next runs"
		}
		rows = append(rows, [2]string{k, t.UTC().Format(time.RFC3339)})
	}
	return exitOK, fields(a, rows)
}

// shortDuration writes d without trailing zero units: 6h, 1h30m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// fields prints key/value rows aligned, for -o table.
func fields(a *app, rows [][2]string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}
