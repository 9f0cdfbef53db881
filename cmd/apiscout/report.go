package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// rawBody, as client.do's out, receives a 2xx answer's bytes undecoded.
type rawBody []byte

// send is do for a request with a JSON body (nil: none) and a time limit.
func (c *client) send(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if body == nil {
		return c.do(ctx, method, path, nil, "", out)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, bytes.NewReader(data), "application/json", out)
}

// cancelOptions are the options of `imports cancel`.
type cancelOptions struct {
	Wait    bool
	Timeout time.Duration
}

func (o *cancelOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.Wait, "wait", o.Wait, "wait until the import has ended and print its summary")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "with --wait: give up after this long")
}

// cancelImport stops an import's pending replays. The server answers at
// once; the import ends (cancelled) when the replays in flight have
// reported, which --wait waits for.
func cancelImport(ctx context.Context, a *app, id string, o cancelOptions) (int, error) {
	var raw json.RawMessage
	if err := a.client.send(ctx, http.MethodPost, "/v1/imports/"+pathEscape(id)+"/cancel", nil, &raw); err != nil {
		return 0, err
	}
	var doc importDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return 0, err
	}
	if !o.Wait {
		return exitOK, printImport(a, raw, doc)
	}
	raw, doc, err := waitImport(ctx, a, doc, o.Timeout)
	if err != nil {
		return 0, err
	}
	if err := printImport(a, raw, doc); err != nil {
		return 0, err
	}
	return doc.exitCode(), nil
}

// reportOptions are the options of `imports report`.
type reportOptions struct {
	Outcome string
	Reason  string
}

func (o *reportOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.Outcome, "outcome", o.Outcome, "only requests with this outcome: imported, skipped or pending")
	fs.StringVar(&o.Reason, "reason", o.Reason, "only requests skipped for this reason, e.g. no_saved_response, non_2xx:404")
}

// reportRow is one request of an import's report.
type reportRow struct {
	Index       int      `json:"index"`
	Name        string   `json:"name"`
	Folders     []string `json:"folders"`
	Method      string   `json:"method"`
	URL         string   `json:"url"`
	Outcome     string   `json:"outcome"`
	Reason      string   `json:"reason"`
	Detail      string   `json:"detail"`
	Status      int      `json:"status"`
	Samples     int      `json:"samples"`
	EndpointIDs []string `json:"endpoint_ids"`
}

// importReport prints what an import did with each of its requests: the
// server's CSV as is (-o csv), its JSON document (-o json), or a table.
func importReport(ctx context.Context, a *app, id string, o reportOptions) (int, error) {
	q := url.Values{}
	if o.Outcome != "" {
		q.Set("outcome", o.Outcome)
	}
	if o.Reason != "" {
		q.Set("reason", o.Reason)
	}
	if a.global.Output == "csv" {
		q.Set("format", "csv")
	}
	path := "/v1/imports/" + pathEscape(id) + "/report"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var raw rawBody
	if err := a.client.get(ctx, path, &raw); err != nil {
		return 0, err
	}
	if a.global.Output == "csv" {
		_, err := a.stdout.Write(raw)
		return exitOK, err
	}
	if a.global.Output == "json" {
		return exitOK, writeJSON(a.stdout, json.RawMessage(raw))
	}
	var doc struct {
		Items []reportRow `json:"items"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return 0, fmt.Errorf("the report is unreadable JSON: %w", err)
	}
	rows := make([][]string, len(doc.Items))
	for i, r := range doc.Items {
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		reason := r.Reason
		if reason == "" {
			reason = "-"
		}
		name := strings.Join(append(append([]string{}, r.Folders...), r.Name), " / ")
		rows[i] = []string{fmt.Sprint(r.Index), r.Outcome, reason, r.Method, r.URL, status, fmt.Sprint(r.Samples), name}
	}
	return exitOK, table(a, []string{"#", "OUTCOME", "REASON", "METHOD", "URL", "STATUS", "SAMPLES", "REQUEST"}, rows)
}
