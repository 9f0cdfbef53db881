package server

import (
	"log/slog"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/importjob"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/postmanapi"
	"github.com/apiscout/apiscout/shared/service"
	"github.com/apiscout/apiscout/worker/syncer"
)

// newSyncer builds the workspace sync handler; it submits imports through
// the worker's queue client.
func newSyncer(cfg config.Config, deps *service.Deps, q importjob.Enqueuer, m *metrics.Metrics, log *slog.Logger) (*syncer.Handler, error) {
	kr, err := cfg.Keyring()
	if err != nil {
		return nil, err
	}
	if kr == nil {
		log.Warn(config.Prefix + "SECRET_KEY is not set: workspace syncs will fail until it is")
	}
	api, err := postmanapi.FromConfig(cfg, deps.Redis, m)
	if err != nil {
		return nil, err
	}
	return syncer.New(deps.Store, q, m, log, syncer.Config{Keyring: kr, Postman: api, MaxRetry: cfg.TaskMaxRetry}), nil
}
