package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadErrorTextHidesConnections(t *testing.T) {
	t.Parallel()
	opErr := &net.OpError{Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 8080},
		Addr:   &net.TCPAddr{IP: net.IPv4(10, 9, 9, 9), Port: 5555}, Err: errors.New("i/o timeout")}
	got := readErrorText(fmt.Errorf("multipart: NextPart: %w", opErr))
	require.NotContains(t, got, "10.1.2.3")
	require.Equal(t, "the connection failed while reading", got)
	require.Equal(t, "multipart: NextPart: EOF", readErrorText(fmt.Errorf("multipart: NextPart: %w", io.EOF)))
}
