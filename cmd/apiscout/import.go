package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Polling and drawing intervals while waiting for an import.
const (
	pollInterval = 500 * time.Millisecond
	drawInterval = 120 * time.Millisecond
	// uploadTimeout bounds sending a collection (25 MiB by default).
	uploadTimeout = 10 * time.Minute
)

// importOptions are the options of `apiscout import`. Options that change
// what the server does go through serverOptions.
type importOptions struct {
	File    string
	EnvFile string
	Wait    bool
	Timeout time.Duration
	Replay  replayOptions
}

func (o *importOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.EnvFile, "env", o.EnvFile, "a Postman environment file resolving the collection's variables")
	fs.BoolVar(&o.Wait, "wait", o.Wait, "wait for the import to finish and print its summary")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "with --wait: give up after this long")
	o.Replay.register(fs)
}

// serverOptions is the "options" form field of the upload; nil sends none
// (the server's defaults).
func (o importOptions) serverOptions() (map[string]any, error) { return o.Replay.options() }

// importDoc is what the CLI reads of an import; -o json prints the
// server's document as is.
type importDoc struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	CollectionID   string `json:"collection_id"`
	CollectionName string `json:"collection_name"`
	Source         struct {
		FileName    string `json:"file_name"`
		FileBytes   int64  `json:"file_bytes"`
		Environment string `json:"environment"`
	} `json:"source"`
	Counts struct {
		Total            int            `json:"total"`
		Imported         int            `json:"imported"`
		Skipped          map[string]int `json:"skipped"`
		Samples          int            `json:"samples"`
		SamplesByStatus  map[string]int `json:"samples_by_status"`
		EndpointsCreated int            `json:"endpoints_created"`
		EndpointsUpdated int            `json:"endpoints_updated"`
		Replay           *replayCounts  `json:"replay"`
	} `json:"counts"`
	Error      string     `json:"error"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func (d importDoc) finished() bool {
	return d.Status == "completed" || d.Status == "failed" || d.Status == "cancelled"
}

func (d importDoc) skipped() int {
	n := 0
	for _, v := range d.Counts.Skipped {
		n += v
	}
	return n
}

// exitCode maps an import to the CLI's exit code: failed 1, cancelled or
// completed with skipped requests (replays included) 2, else 0 (also while
// it is not finished).
func (d importDoc) exitCode() int {
	switch {
	case d.Status == "failed":
		return exitFailed
	case d.Status == "cancelled", d.Status == "completed" && d.skipped() > 0:
		return exitPartial
	}
	return exitOK
}

func runImport(ctx context.Context, a *app, o importOptions) (int, error) {
	o.Replay.warn(a.stderr)
	raw, err := upload(ctx, a.client, o)
	if err != nil {
		return 0, err
	}
	var doc importDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return 0, err
	}
	if o.Wait {
		if raw, doc, err = waitImport(ctx, a, doc, o.Timeout); err != nil {
			return 0, err
		}
	}
	if err := printImport(a, raw, doc); err != nil {
		return 0, err
	}
	return doc.exitCode(), nil
}

func showImport(ctx context.Context, a *app, id string) (int, error) {
	raw, doc, err := getImport(ctx, a.client, id)
	if err != nil {
		return 0, err
	}
	if err := printImport(a, raw, doc); err != nil {
		return 0, err
	}
	return doc.exitCode(), nil
}

func getImport(ctx context.Context, c *client, id string) (json.RawMessage, importDoc, error) {
	return getDoc[importDoc](ctx, c, "/v1/imports/"+pathEscape(id))
}

// getDoc reads one document, decoded and as sent (-o json prints it as is).
func getDoc[T any](ctx context.Context, c *client, path string) (json.RawMessage, T, error) {
	var raw json.RawMessage
	var doc T
	if err := c.get(ctx, path, &raw); err != nil {
		return nil, doc, err
	}
	err := json.Unmarshal(raw, &doc)
	return raw, doc, err
}

// upload streams the collection (and environment) as a multipart form.
func upload(ctx context.Context, c *client, o importOptions) (json.RawMessage, error) {
	files := []struct{ field, path string }{{"file", o.File}}
	if o.EnvFile != "" {
		files = append(files, struct{ field, path string }{"environment", o.EnvFile})
	}
	for _, f := range files {
		st, err := os.Stat(f.path)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a folder", f.path)
		}
	}
	var opts []byte
	so, err := o.serverOptions()
	if err != nil {
		return nil, err
	}
	if so != nil {
		if opts, err = json.Marshal(so); err != nil {
			return nil, err
		}
	}

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeForm(mw, files, opts))
	}()
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	var raw json.RawMessage
	err = c.do(ctx, http.MethodPost, "/v1/imports", pr, mw.FormDataContentType(), &raw)
	_ = pr.CloseWithError(errors.New("upload finished"))
	return raw, err
}

func writeForm(mw *multipart.Writer, files []struct{ field, path string }, opts []byte) error {
	for _, f := range files {
		in, err := os.Open(f.path)
		if err != nil {
			return err
		}
		w, err := mw.CreateFormFile(f.field, filepath.Base(f.path))
		if err == nil {
			_, err = io.Copy(w, in)
		}
		in.Close()
		if err != nil {
			return err
		}
	}
	if opts != nil {
		if err := mw.WriteField("options", string(opts)); err != nil {
			return err
		}
	}
	return mw.Close()
}

// waitImport polls the import until it finishes, drawing a progress bar on
// stderr when it is a terminal.
func waitImport(ctx context.Context, a *app, doc importDoc, timeout time.Duration) (json.RawMessage, importDoc, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var bar *progressBar
	if a.progress {
		bar = newProgressBar(a.stderr, doc.Source.FileName, time.Now)
		defer bar.clear()
		bar.update(doc)
	}
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	draw := time.NewTicker(drawInterval)
	defer draw.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, doc, fmt.Errorf("import %s still %s after %s (apiscout imports show %s)", doc.ID, doc.Status, timeout, doc.ID)
			}
			return nil, doc, ctx.Err()
		case <-draw.C:
			if bar != nil {
				bar.draw()
			}
		case <-poll.C:
			raw, next, err := getImport(ctx, a.client, doc.ID)
			if err != nil {
				return nil, doc, err
			}
			doc = next
			if bar != nil {
				bar.update(doc)
			}
			if doc.finished() {
				return raw, doc, nil
			}
		}
	}
}

func printImport(a *app, raw json.RawMessage, d importDoc) error {
	if a.global.Output == "json" {
		return writeJSON(a.stdout, raw)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("import", d.ID)
	row("status", d.Status)
	if d.CollectionName != "" || d.CollectionID != "" {
		row("collection", strings.TrimSpace(d.CollectionName+" "+parens(d.CollectionID)))
	}
	file := d.Source.FileName
	if d.Source.FileBytes > 0 {
		file = strings.TrimSpace(file + " " + parens(humanBytes(d.Source.FileBytes)))
	}
	if file != "" {
		row("file", file)
	}
	if d.Source.Environment != "" {
		row("environment", d.Source.Environment)
	}
	if d.Status == "failed" && d.Error != "" {
		row("error", d.Error)
	}
	if d.finished() {
		row("requests", fmt.Sprintf("%d total: %d imported, %d skipped", d.Counts.Total, d.Counts.Imported, d.skipped()))
		for _, reason := range sortedKeys(d.Counts.Skipped) {
			row("  skipped", fmt.Sprintf("%s: %d", reason, d.Counts.Skipped[reason]))
		}
		printReplayCounts(row, d.Counts.Replay)
		row("samples", fmt.Sprintf("%d%s", d.Counts.Samples, byClass(d.Counts.SamplesByStatus)))
		row("endpoints", fmt.Sprintf("%d created, %d updated", d.Counts.EndpointsCreated, d.Counts.EndpointsUpdated))
	}
	if d.FinishedAt != nil {
		row("took", d.FinishedAt.Sub(d.CreatedAt).Round(time.Millisecond).String())
	}
	return tw.Flush()
}

func byClass(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func parens(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
