package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Exit codes.
const (
	exitOK = 0
	// exitFailed: an error (usage, network, server) or a failed import.
	exitFailed = 1
	// exitPartial: an import completed but skipped some requests.
	exitPartial = 2
)

// DefaultURL is the server used when neither --url nor APISCOUT_URL is
// set: the one `make run` starts.
const DefaultURL = "http://127.0.0.1:8080"

// globalOptions are accepted by every command, before or after it.
type globalOptions struct {
	URL    string
	Token  string
	Output string // "table" or "json"
}

// register adds the global flags to fs, with empty defaults: values come
// from the command line, then the environment (merge), so --help never
// prints a token.
func (g *globalOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&g.URL, "url", "", "server URL (env APISCOUT_URL, default "+DefaultURL+")")
	fs.StringVar(&g.Token, "token", "", "account token (env APISCOUT_TOKEN)")
	if fs.Lookup("o") != nil {
		return
	}
	fs.StringVar(&g.Output, "o", "", "output: table (default) or json")
	fs.StringVar(&g.Output, "output", "", "output: table (default) or json")
}

// or returns the first non-empty value.
func or(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// app is one invocation: its options, streams and server.
type app struct {
	global globalOptions
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// progress reports whether a live progress bar may be drawn on stderr
	// (only when it is a terminal).
	progress bool
	client   *client
}

// command is one subcommand.
type command struct {
	name    string // as typed: "import", "imports list"
	args    string // positional arguments, for usage
	summary string
	// flags registers the command's own flags; nil when it has none.
	flags func(fs *flag.FlagSet)
	// nargs is the number of positional arguments required.
	nargs int
	run   func(ctx context.Context, a *app, args []string) (int, error)
	// csv: -o csv is accepted too.
	csv bool
}

func commands() []*command {
	imp := &importOptions{Timeout: time.Hour}
	lim := &listOptions{Limit: 100}
	return append([]*command{
		{name: "import", args: "FILE", summary: "upload a Postman collection (v1, v2.0, v2.1)", nargs: 1,
			flags: imp.register, run: func(ctx context.Context, a *app, args []string) (int, error) {
				imp.File = args[0]
				return runImport(ctx, a, *imp)
			}},
		{name: "imports list", summary: "list imports, newest first", flags: lim.register,
			run: func(ctx context.Context, a *app, _ []string) (int, error) { return listImports(ctx, a, *lim) }},
		{name: "imports show", args: "ID", summary: "show one import and its counts (exit code as for import --wait)", nargs: 1,
			run: func(ctx context.Context, a *app, args []string) (int, error) { return showImport(ctx, a, args[0]) }},
		{name: "collections list", summary: "list API collections", flags: lim.register,
			run: func(ctx context.Context, a *app, _ []string) (int, error) { return listCollections(ctx, a, *lim) }},
	}, moreCommands()...)
}

// run is the whole CLI; it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	a := &app{stdin: os.Stdin, stdout: stdout, stderr: stderr}
	cmds := append(commands(), intelCommands()...)

	// Global flags may come before the command (topFlags) or after it
	// (cmdFlags); the later wins, then the environment, then the default.
	var topFlags, cmdFlags globalOptions
	top := flag.NewFlagSet("apiscout", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	topFlags.register(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, cmds)
			return exitOK
		}
		return fail(stderr, err, true)
	}
	rest := top.Args()
	if len(rest) == 0 || rest[0] == "help" {
		usage(stdout, cmds)
		return exitOK
	}
	cmd, rest := find(cmds, rest)
	if cmd == nil {
		fmt.Fprintf(stderr, "apiscout: unknown command %q\n\n", strings.Join(top.Args(), " "))
		usage(stderr, cmds)
		return exitFailed
	}

	fs := flag.NewFlagSet("apiscout "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	cmdFlags.register(fs) // after: a command may own -o (export's file)
	pos, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		commandUsage(stdout, cmd, fs)
		return exitOK
	}
	if err == nil && len(pos) != cmd.nargs {
		err = fmt.Errorf("%s takes %d argument(s) (%s), got %d", cmd.name, cmd.nargs, cmd.args, len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "apiscout: %v\n", err)
		commandUsage(stderr, cmd, fs)
		return exitFailed
	}
	a.global = globalOptions{
		URL:    or(cmdFlags.URL, topFlags.URL, getenv("APISCOUT_URL"), DefaultURL),
		Token:  or(cmdFlags.Token, topFlags.Token, getenv("APISCOUT_TOKEN")),
		Output: or(cmdFlags.Output, topFlags.Output, "table"),
	}
	if a.global.Output != "table" && a.global.Output != "json" && (!cmd.csv || a.global.Output != "csv") {
		want := "table or json"
		if cmd.csv {
			want = "table, json or csv"
		}
		return fail(stderr, fmt.Errorf("-o %s: want %s", a.global.Output, want), false)
	}
	if a.global.Token == "" {
		return fail(stderr, errors.New("no token: pass --token or set APISCOUT_TOKEN (make run prints one)"), false)
	}
	a.client, err = newClient(a.global.URL, a.global.Token)
	if err != nil {
		return fail(stderr, err, false)
	}
	a.progress = isTerminal(stderr) && getenv("TERM") != "dumb"
	code, err := cmd.run(ctx, a, pos)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		return fail(stderr, err, false)
	}
	return code
}

func fail(w io.Writer, err error, showUsage bool) int {
	fmt.Fprintf(w, "apiscout: %v\n", err)
	if showUsage {
		fmt.Fprintln(w, "Run 'apiscout help' for usage.")
	}
	return exitFailed
}

// find matches the longest command name at the start of args.
func find(cmds []*command, args []string) (*command, []string) {
	for _, c := range cmds {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):]
		}
	}
	return nil, nil
}

// parseInterleaved parses flags placed anywhere among the positional
// arguments (the flag package stops at the first positional one).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer, cmds []*command) {
	fmt.Fprintln(w, "Usage: apiscout [--url URL] [--token TOKEN] [-o table|json] COMMAND")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-30s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(w, `
Options (before or after the command):
  --url URL        server (env APISCOUT_URL, default %s)
  --token TOKEN    account token (env APISCOUT_TOKEN)
  -o table|json    output format on stdout (default table)

import options:
  --env FILE       a Postman environment resolving the collection's variables
  --wait           wait for the import to finish and print its summary
                   (a progress bar on stderr when it is a terminal)
  --timeout D      give up waiting after D (default 1h)
  --replay         send requests without a saved response to their servers
                   (--replay-methods, --replay-timeout, --max-rps-per-host,
                   --keep-statuses, --no-follow-redirects, --insecure-tls,
                   --dry-run: see apiscout import --help)

Exit codes: 0 ok, 1 failed (an error, or a failed import), 2 partial (the
import was cancelled, or completed but skipped some requests, replays
included: see "skipped"; a workspace sync: some collection or its import
failed or was cancelled).
`, DefaultURL)
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: apiscout %s [options]\n  %s\n\nOptions:\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
