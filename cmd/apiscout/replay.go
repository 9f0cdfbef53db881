package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// safeMethods are the methods that do not change anything on a server that
// follows HTTP's semantics; replaying any other one sends a write.
var safeMethods = []string{"GET", "HEAD", "OPTIONS", "TRACE"}

// replayOptions are the replay flags of `import`, `workspaces sync` and
// `workspaces schedule`. They map onto the server's import options
// (allow_replay, replay_methods, ...); a zero value leaves the server's
// default.
type replayOptions struct {
	Replay            bool
	Methods           string // "GET,HEAD" or "all"
	Timeout           time.Duration
	MaxRPSPerHost     int
	KeepStatuses      string // "2xx,404,200-399"
	NoFollowRedirects bool
	InsecureTLS       bool
	DryRun            bool
}

func (o *replayOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.Replay, "replay", o.Replay, "send requests without a saved response to their servers (rate-limited per host)")
	fs.StringVar(&o.Methods, "replay-methods", o.Methods,
		"with --replay: methods replayed, e.g. GET,HEAD (server default GET,HEAD,OPTIONS); all sends writes (POST, PUT, DELETE...) to real servers")
	fs.DurationVar(&o.Timeout, "replay-timeout", o.Timeout, "with --replay: bound of one replayed request (server default 30s)")
	fs.IntVar(&o.MaxRPSPerHost, "max-rps-per-host", o.MaxRPSPerHost, "with --replay: requests per second per target host, across all workers (server default 10)")
	fs.StringVar(&o.KeepStatuses, "keep-statuses", o.KeepStatuses,
		"with --replay: answers kept as samples: classes, codes, ranges, e.g. 2xx,404,300-399 (server default 2xx)")
	fs.BoolVar(&o.NoFollowRedirects, "no-follow-redirects", o.NoFollowRedirects, "with --replay: keep a redirect as the answer instead of following it")
	fs.BoolVar(&o.InsecureTLS, "insecure-tls", o.InsecureTLS, "with --replay: skip TLS certificate verification")
	fs.BoolVar(&o.DryRun, "dry-run", o.DryRun, "with --replay: report what would be replayed, send nothing")
}

// methods returns the replayed methods as the server reads them: "all" or
// an upper-case list; nil for the server's default.
func (o replayOptions) methods() (any, error) {
	m := strings.TrimSpace(o.Methods)
	switch {
	case m == "":
		return nil, nil
	case strings.EqualFold(m, "all"):
		return "all", nil
	}
	var list []string
	for _, part := range strings.Split(m, ",") {
		part = strings.ToUpper(strings.TrimSpace(part))
		if part == "" || strings.IndexFunc(part, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			return nil, fmt.Errorf("--replay-methods %q: want methods like GET,HEAD or all", o.Methods)
		}
		if !slices.Contains(list, part) {
			list = append(list, part)
		}
	}
	return list, nil
}

// options returns the server's import options for the flags; nil when
// replay is off (the server's defaults). Replay flags without --replay are
// an error, as they are for the server.
func (o replayOptions) options() (map[string]any, error) {
	if !o.Replay {
		var set []string
		for name, on := range map[string]bool{
			"--replay-methods": o.Methods != "", "--replay-timeout": o.Timeout != 0, "--max-rps-per-host": o.MaxRPSPerHost != 0,
			"--keep-statuses": o.KeepStatuses != "", "--no-follow-redirects": o.NoFollowRedirects,
			"--insecure-tls": o.InsecureTLS, "--dry-run": o.DryRun,
		} {
			if on {
				set = append(set, name)
			}
		}
		if len(set) > 0 {
			slices.Sort(set)
			return nil, fmt.Errorf("%s: replay options need --replay", strings.Join(set, ", "))
		}
		return nil, nil
	}
	opts := map[string]any{"allow_replay": true}
	methods, err := o.methods()
	if err != nil {
		return nil, err
	}
	if methods != nil {
		opts["replay_methods"] = methods
	}
	switch {
	case o.Timeout < 0:
		return nil, errors.New("--replay-timeout: want a positive duration")
	case o.Timeout > 0:
		opts["replay_timeout"] = o.Timeout.String()
	}
	switch {
	case o.MaxRPSPerHost < 0:
		return nil, errors.New("--max-rps-per-host: want a positive number")
	case o.MaxRPSPerHost > 0:
		opts["max_rps_per_host"] = o.MaxRPSPerHost
	}
	if o.KeepStatuses != "" {
		var keep []string
		for _, s := range strings.Split(o.KeepStatuses, ",") {
			if s = strings.TrimSpace(s); s != "" {
				keep = append(keep, s)
			}
		}
		opts["keep_statuses"] = keep
	}
	if o.NoFollowRedirects {
		opts["follow_redirects"] = false
	}
	if o.InsecureTLS {
		opts["insecure_tls"] = true
	}
	if o.DryRun {
		opts["dry_run"] = true
	}
	return opts, nil
}

// writes lists the methods that change things which the options replay:
// every one for "all", else the unsafe ones named.
func (o replayOptions) writes() []string {
	if !o.Replay || o.DryRun {
		return nil
	}
	m, err := o.methods()
	if err != nil {
		return nil
	}
	if m == "all" {
		return []string{"POST", "PUT", "PATCH", "DELETE", "every other method"}
	}
	list, _ := m.([]string)
	var out []string
	for _, x := range list {
		if !slices.Contains(safeMethods, x) {
			out = append(out, x)
		}
	}
	return out
}

// warn tells the user, on stderr, that the replay will send writes to the
// real servers of the collection.
func (o replayOptions) warn(w io.Writer) {
	if writes := o.writes(); len(writes) > 0 {
		fmt.Fprintf(w, "apiscout: warning: replaying %s sends writes to the real servers of the collection; they may change or delete data there (--dry-run shows what would be sent)\n",
			strings.Join(writes, ", "))
	}
}

// replayCounts are an import's replay figures.
type replayCounts struct {
	Total    int            `json:"total"`
	Done     int            `json:"done"`
	Planned  int            `json:"planned"`
	Imported int            `json:"imported"`
	Skipped  map[string]int `json:"skipped"`
}

// printReplayCounts adds the replay rows of an import's summary.
func printReplayCounts(row func(k, v string), r *replayCounts) {
	switch {
	case r == nil:
	case r.Total > 0:
		skipped := 0
		for _, n := range r.Skipped {
			skipped += n
		}
		row("replayed", fmt.Sprintf("%d of %d: %d imported, %d skipped", r.Done, r.Total, r.Imported, skipped))
	case r.Planned > 0:
		row("replayed", fmt.Sprintf("none (dry run): %d would be sent", r.Planned))
	}
}
