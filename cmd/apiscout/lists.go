package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// listOptions are the options of the list commands.
type listOptions struct {
	Limit int
}

func (o *listOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.Limit, "limit", o.Limit, "show at most this many (0: all)")
}

func pathEscape(s string) string { return url.PathEscape(s) }

// table writes rows under a header, for -o table.
func table(a *app, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func decodeAll[T any](raw []json.RawMessage) ([]T, error) {
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// printList prints raw items as a JSON array, or as a table made by rows.
func printList[T any](a *app, raw []json.RawMessage, header []string, row func(T) []string) error {
	if a.global.Output == "json" {
		if raw == nil {
			raw = []json.RawMessage{}
		}
		return writeJSON(a.stdout, raw)
	}
	items, err := decodeAll[T](raw)
	if err != nil {
		return err
	}
	rows := make([][]string, len(items))
	for i, it := range items {
		rows[i] = row(it)
	}
	return table(a, header, rows)
}

func listImports(ctx context.Context, a *app, o listOptions) (int, error) {
	raw, err := a.client.list(ctx, "/v1/imports", o.Limit)
	if err != nil {
		return 0, err
	}
	return exitOK, printList(a, raw, []string{"ID", "STATUS", "COLLECTION", "REQUESTS", "IMPORTED", "SKIPPED", "CREATED"},
		func(d importDoc) []string {
			counts := []string{"-", "-", "-"}
			if d.finished() {
				counts = []string{fmt.Sprint(d.Counts.Total), fmt.Sprint(d.Counts.Imported), fmt.Sprint(d.skipped())}
			}
			name := d.CollectionName
			if name == "" {
				name = d.Source.FileName
			}
			return append(append([]string{d.ID, d.Status, name}, counts...), when(d.CreatedAt))
		})
}

type collectionDoc struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Schema       string    `json:"schema"`
	LastImportID string    `json:"last_import_id"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func listCollections(ctx context.Context, a *app, o listOptions) (int, error) {
	raw, err := a.client.list(ctx, "/v1/collections", o.Limit)
	if err != nil {
		return 0, err
	}
	return exitOK, printList(a, raw, []string{"ID", "NAME", "SCHEMA", "LAST IMPORT", "UPDATED"},
		func(c collectionDoc) []string {
			return []string{c.ID, c.Name, c.Schema, c.LastImportID, when(c.UpdatedAt)}
		})
}

type endpointDoc struct {
	ID          string    `json:"id"`
	Method      string    `json:"method"`
	Host        string    `json:"host"`
	Path        string    `json:"path"`
	StatusCodes []int     `json:"status_codes"`
	SampleCount int       `json:"sample_count"`
	LastSeen    time.Time `json:"last_seen"`
}

func listEndpoints(ctx context.Context, a *app, collection string, o listOptions, filters url.Values) (int, error) {
	id, err := resolveCollection(ctx, a.client, collection)
	if err != nil {
		return 0, err
	}
	path := "/v1/collections/" + pathEscape(id) + "/endpoints"
	if len(filters) > 0 {
		path += "?" + filters.Encode()
	}
	raw, err := a.client.list(ctx, path, o.Limit)
	if err != nil {
		return 0, err
	}
	return exitOK, printList(a, raw, []string{"METHOD", "HOST", "PATH", "STATUS", "SAMPLES", "LAST SEEN", "ID"},
		func(e endpointDoc) []string {
			codes := make([]string, len(e.StatusCodes))
			for i, c := range e.StatusCodes {
				codes[i] = fmt.Sprint(c)
			}
			return []string{e.Method, e.Host, e.Path, strings.Join(codes, ","), fmt.Sprint(e.SampleCount), when(e.LastSeen), e.ID}
		})
}

// resolveCollection accepts a collection id, or else an exact collection
// name that must be unique.
func resolveCollection(ctx context.Context, c *client, ref string) (string, error) {
	err := c.get(ctx, "/v1/collections/"+pathEscape(ref), nil)
	if err == nil {
		return ref, nil
	}
	if ae, ok := err.(*apiError); !ok || ae.Status != 404 {
		return "", err
	}
	raw, lerr := c.list(ctx, "/v1/collections", 0)
	if lerr != nil {
		return "", lerr
	}
	cols, lerr := decodeAll[collectionDoc](raw)
	if lerr != nil {
		return "", lerr
	}
	var ids []string
	for _, col := range cols {
		if col.Name == ref {
			ids = append(ids, col.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no collection with id or name %q (apiscout collections list)", ref)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d collections are named %q; use an id: %s", len(ids), ref, strings.Join(ids, ", "))
}
