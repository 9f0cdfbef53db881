package server

import (
	"errors"
	"net"
	"os"
)

// readErrorText describes a failure to read a request body for the client:
// malformed input is described, but a connection failure is not, since its
// text names the server's own addresses.
func readErrorText(err error) string {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, os.ErrDeadlineExceeded) {
		return "the connection failed while reading"
	}
	return err.Error()
}
