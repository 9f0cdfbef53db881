package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// intelCommands are the inventory-intelligence commands: endpoints with
// filters, the OpenAPI export and the change feed.
func intelCommands() []*command {
	lim := &listOptions{Limit: 100}
	ef := &endpointFilters{}
	ex := &exportOptions{}
	chl := &listOptions{Limit: 20}
	return []*command{
		{name: "endpoints list", args: "COLLECTION", summary: "list a collection's endpoints (COLLECTION: its id or exact name), filtered and sorted", nargs: 1,
			flags: func(fs *flag.FlagSet) { lim.register(fs); ef.register(fs) },
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return listEndpoints(ctx, a, args[0], *lim, ef.query())
			}},
		{name: "export openapi", args: "COLLECTION", summary: "write a collection's OpenAPI 3.1 document (stdout, or -o FILE)", nargs: 1,
			flags: ex.register,
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return exportOpenAPI(ctx, a, args[0], *ex)
			}},
		{name: "changes", args: "COLLECTION", summary: "what each import changed in a collection, newest first", nargs: 1,
			flags: chl.register,
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return listChanges(ctx, a, args[0], *chl)
			}},
	}
}

// endpointFilters are the filters and order of endpoints list; empty ones
// are not sent, and the server checks the values.
type endpointFilters struct {
	Method, Host, PathPrefix, Search, AuthType, SensitiveType, Status, Removed, Sort string
}

func (f *endpointFilters) register(fs *flag.FlagSet) {
	fs.StringVar(&f.Method, "method", "", "only these methods, comma-separated (GET,POST)")
	fs.StringVar(&f.Host, "host", "", "only this host[:port]")
	fs.StringVar(&f.PathPrefix, "path-prefix", "", "only path templates starting with this (/v1/users)")
	fs.StringVar(&f.Search, "q", "", "only path templates containing this, any case")
	fs.StringVar(&f.AuthType, "auth-type", "", "only endpoints with this auth type (BEARER, API_KEY, UNAUTHENTICATED...)")
	fs.StringVar(&f.SensitiveType, "sensitive-type", "", "only endpoints carrying this sensitive data type (EMAIL, CREDIT_CARD...)")
	fs.StringVar(&f.Status, "status", "", "only endpoints that answered this HTTP status code")
	fs.StringVar(&f.Removed, "removed", "", "true: only endpoints a sync found gone; false: only present ones; any (default)")
	fs.StringVar(&f.Sort, "sort", "", "path (default), method, host, last_seen or -last_seen")
}

// query is the filters as the API's query parameters.
func (f endpointFilters) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{
		"method": f.Method, "host": f.Host, "path_prefix": f.PathPrefix, "q": f.Search, "auth_type": f.AuthType,
		"sensitive_type": f.SensitiveType, "status": f.Status, "removed": f.Removed, "sort": f.Sort,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// exportOptions are the options of export openapi.
type exportOptions struct {
	Format string
	File   string
}

// register takes -o/--output for the file: this command's output is a
// document, not a table (the global -o table|json does not apply).
func (o *exportOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.Format, "format", "", "json or yaml (default: yaml for a .yaml/.yml FILE, else json)")
	fs.StringVar(&o.File, "o", "", "write the document to FILE instead of stdout")
	fs.StringVar(&o.File, "output", "", "write the document to FILE instead of stdout")
}

func exportOpenAPI(ctx context.Context, a *app, collection string, o exportOptions) (int, error) {
	format := o.Format
	if format == "" {
		format = "json"
		if ext := strings.ToLower(filepath.Ext(o.File)); ext == ".yaml" || ext == ".yml" {
			format = "yaml"
		}
	}
	if format != "json" && format != "yaml" {
		return 0, fmt.Errorf("--format %s: want json or yaml", format)
	}
	id, err := resolveCollection(ctx, a.client, collection)
	if err != nil {
		return 0, err
	}
	doc, err := a.client.getRaw(ctx, "/v1/collections/"+pathEscape(id)+"/openapi?format="+format)
	if err != nil {
		return 0, err
	}
	if o.File == "" {
		_, err := a.stdout.Write(doc)
		return exitOK, err
	}
	if err := os.WriteFile(o.File, doc, 0o644); err != nil {
		return 0, err
	}
	fmt.Fprintf(a.stderr, "wrote %s (%d bytes, OpenAPI 3.1 %s)\n", o.File, len(doc), format)
	return exitOK, nil
}

// getRaw GETs a document and returns its bytes as they are.
func (c *client) getRaw(ctx context.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	u, err := c.base.Parse(c.base.Path + path)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "apiscout-cli")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", c.base.Host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, decodeError(resp.StatusCode, data)
	}
	return data, nil
}

// changeSetDoc is a change set as the CLI reads it.
type changeSetDoc struct {
	ImportID string    `json:"import_id"`
	Source   string    `json:"source"`
	At       time.Time `json:"at"`
	Counts   struct {
		Added   int `json:"added"`
		Changed int `json:"changed"`
		Removed int `json:"removed"`
	} `json:"counts"`
	Changes []struct {
		Kind       string `json:"kind"`
		Method     string `json:"method"`
		Host       string `json:"host"`
		Path       string `json:"path"`
		Reappeared bool   `json:"reappeared"`
		Details    []struct {
			Facet string `json:"facet"`
			Op    string `json:"op"`
			Value string `json:"value"`
		} `json:"details"`
	} `json:"changes"`
	Truncated bool `json:"truncated"`
}

// listChanges prints the change feed: with -o table one line per change
// (an import that changed nothing gets one line saying so), with -o json
// the sets as the API answers them.
func listChanges(ctx context.Context, a *app, collection string, o listOptions) (int, error) {
	id, err := resolveCollection(ctx, a.client, collection)
	if err != nil {
		return 0, err
	}
	raw, err := a.client.list(ctx, "/v1/collections/"+pathEscape(id)+"/changes", o.Limit)
	if err != nil {
		return 0, err
	}
	if a.global.Output == "json" {
		if raw == nil {
			raw = []json.RawMessage{}
		}
		return exitOK, writeJSON(a.stdout, raw)
	}
	sets, err := decodeAll[changeSetDoc](raw)
	if err != nil {
		return 0, err
	}
	var rows [][]string
	for _, s := range sets {
		head := []string{when(s.At), s.ImportID}
		if len(s.Changes) == 0 {
			rows = append(rows, append(head, "-", "", "", "", "no change"))
			continue
		}
		for _, c := range s.Changes {
			kind := c.Kind
			if c.Reappeared {
				kind += " (again)"
			}
			var details []string
			for _, d := range c.Details {
				op := "+"
				if d.Op == "removed" {
					op = "-"
				}
				details = append(details, op+strings.ReplaceAll(d.Facet, "_", " ")+" "+d.Value)
			}
			rows = append(rows, append(head, kind, c.Method, c.Host, c.Path, strings.Join(details, "; ")))
		}
		if s.Truncated {
			rows = append(rows, append(head, "...", "", "", "", fmt.Sprintf("%d added, %d changed, %d removed in all (list truncated)", s.Counts.Added, s.Counts.Changed, s.Counts.Removed)))
		}
	}
	return exitOK, table(a, []string{"WHEN", "IMPORT", "CHANGE", "METHOD", "HOST", "PATH", "DETAILS"}, rows)
}
