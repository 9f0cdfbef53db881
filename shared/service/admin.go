package service

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Admin is a process's small admin HTTP server: /metrics, /livez, /readyz.
type Admin struct {
	// Addr is the address it listens on ("" when off).
	Addr   string
	cancel context.CancelFunc
	done   chan error
}

// StartAdmin listens on addr ("off" disables it) and serves metrics and
// health until Stop.
func StartAdmin(addr string, metrics http.Handler, h *Health) (*Admin, error) {
	a := &Admin{done: make(chan error, 1), cancel: func() {}}
	if addr == "off" {
		close(a.done)
		return a, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	a.Addr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /livez", h.Live)
	mux.HandleFunc("GET /readyz", h.Ready)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() { a.done <- ServeHTTP(ctx, hs, ln, 5*time.Second) }()
	return a, nil
}

// Stop shuts the server down and waits for it.
func (a *Admin) Stop() error {
	a.cancel()
	if err := <-a.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
