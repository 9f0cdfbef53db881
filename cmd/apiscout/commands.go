package main

import (
	"context"
	"flag"
	"time"
)

// moreCommands are the commands for cancelling imports, their reports and
// Postman workspaces (credentials, syncs, schedules); commands() lists
// them after the import and inventory ones.
func moreCommands() []*command {
	cancel := &cancelOptions{Timeout: time.Hour}
	report := &reportOptions{}
	cred := &credentialOptions{}
	lim := &listOptions{Limit: 100}
	sync := &syncOptions{}
	wait := &waitOptions{Timeout: time.Hour}
	sched := &scheduleOptions{}
	return []*command{
		{name: "imports cancel", args: "ID", summary: "stop an import's pending replays (--wait: until it has ended)", nargs: 1,
			flags: cancel.register,
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return cancelImport(ctx, a, args[0], *cancel)
			}},
		{name: "imports report", args: "ID", summary: "what the import did with each request (-o table, json or csv; --outcome, --reason)", nargs: 1,
			flags: report.register, csv: true,
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return importReport(ctx, a, args[0], *report)
			}},
		{name: "credentials add", args: "NAME", summary: "store a Postman API key (read from stdin, or --api-key)", nargs: 1,
			flags: cred.register,
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return addCredential(ctx, a, args[0], *cred)
			}},
		{name: "credentials list", summary: "list stored Postman API keys (masked)", flags: lim.register,
			run: func(ctx context.Context, a *app, _ []string) (int, error) { return listCredentials(ctx, a, *lim) }},
		{name: "credentials delete", args: "ID", summary: "delete a stored Postman API key", nargs: 1,
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return deleteCredential(ctx, a, args[0])
			}},
		{name: "workspaces list", args: "CREDENTIAL", summary: "list the Postman workspaces a stored key sees", nargs: 1,
			run: func(ctx context.Context, a *app, args []string) (int, error) { return listWorkspaces(ctx, a, args[0]) }},
		{name: "workspaces sync", args: "WORKSPACE", summary: "import a Postman workspace's changed collections (--wait: until imported)", nargs: 1,
			flags: func(fs *flag.FlagSet) { sync.register(fs); wait.register(fs) },
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return syncWorkspace(ctx, a, args[0], *sync, *wait)
			}},
		{name: "workspaces schedule", args: "WORKSPACE", summary: "re-sync a workspace --every 6h or on a --cron schedule; --off stops; alone: show", nargs: 1,
			flags: sched.register,
			run: func(ctx context.Context, a *app, args []string) (int, error) {
				return scheduleWorkspace(ctx, a, args[0], *sched)
			}},
		{name: "workspaces syncs", args: "WORKSPACE", summary: "list a workspace's syncs, newest first", nargs: 1, flags: lim.register,
			run: func(ctx context.Context, a *app, args []string) (int, error) { return listSyncs(ctx, a, args[0], *lim) }},
		{name: "syncs show", args: "ID", summary: "show one sync and its collections (exit code as for workspaces sync --wait)", nargs: 1,
			run: func(ctx context.Context, a *app, args []string) (int, error) { return showSync(ctx, a, args[0]) }},
	}
}
