// Command apiscout is the command-line client of an apiscout server.
//
//	apiscout import FILE [--env FILE] [--wait]   upload a Postman collection
//	apiscout imports list | show ID              imports, newest first
//	apiscout collections list                    API collections
//	apiscout endpoints list COLLECTION           a collection's endpoints (--method, --sort...)
//	apiscout export openapi COLLECTION [-o FILE] its OpenAPI 3.1 document
//	apiscout changes COLLECTION                  what each import changed
//
// The server and token come from --url / --token or APISCOUT_URL /
// APISCOUT_TOKEN. Data goes to stdout (-o table or json); progress and
// errors go to stderr. Exit codes: 0 ok, 1 failed (an error, or a failed
// import), 2 partial (an import that skipped some requests).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
