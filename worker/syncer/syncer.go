// Package syncer handles workspace sync tasks. sync:workspace runs a sync
// the API created; sync:scheduled creates the sync of one schedule for one
// scheduled instant (its id derives from both, so a run doubled by two
// schedulers lands once) and runs it.
//
// A sync lists the workspace's collections and environments, fetches each
// collection and, when its updatedAt (or the environment) changed since the
// last completed sync, or with the force option, submits an import for it
// through importjob, exactly as an upload would be. Each collection's
// outcome is recorded as it goes; a collection that fails (a Postman error,
// a file that is not a collection) is recorded as failed and never stops
// the others. The API key is unsealed only in memory, for the client.
package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/apiscout/apiscout/shared/credentials"
	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/importjob"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/postmanapi"
	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/shared/workspace"
)

// Store is what the syncer needs of the database.
type Store interface {
	importjob.Store
	credentials.Store
	TouchCredential(ctx context.Context, accountID, id string, now time.Time) error
	GetSchedule(ctx context.Context, accountID, id string) (workspace.Schedule, error)
	CreateSync(ctx context.Context, sy workspace.Sync) error
	GetSync(ctx context.Context, accountID, id string) (workspace.Sync, error)
	StartSync(ctx context.Context, accountID, id string, now time.Time) (workspace.Sync, error)
	SaveSyncProgress(ctx context.Context, sy workspace.Sync) error
	FinishSync(ctx context.Context, sy workspace.Sync, now time.Time) (bool, error)
	LastCompletedSync(ctx context.Context, accountID, workspaceID, beforeID string) (workspace.Sync, error)
	ImportsByID(ctx context.Context, accountID string, ids []string) ([]inventory.Import, error)
}

var _ Store = (*store.Store)(nil)

// Config configures a Handler.
type Config struct {
	// Keyring unseals stored keys; nil fails every sync with a message
	// saying APISCOUT_SECRET_KEY is not set.
	Keyring *secret.Keyring
	// Postman is the API client. Required.
	Postman *postmanapi.Client
	// MaxRetry is the retry budget of the imports it submits.
	MaxRetry int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler processes sync:workspace and sync:scheduled tasks.
type Handler struct {
	store   Store
	queue   importjob.Enqueuer
	metrics *metrics.Metrics
	log     *slog.Logger
	cfg     Config
}

// New returns a Handler.
func New(st Store, q importjob.Enqueuer, m *metrics.Metrics, log *slog.Logger, cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{store: st, queue: q, metrics: m, log: log, cfg: cfg}
}

// ProcessTask implements asynq.Handler for both task types.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	switch t.Type() {
	case tasks.TypeSyncWorkspace:
		p, err := tasks.ParseSyncWorkspace(t)
		if err != nil {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return h.run(ctx, p.AccountID, p.SyncID)
	case tasks.TypeSyncScheduled:
		p, err := tasks.ParseSyncScheduled(t)
		if err != nil {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return h.scheduled(ctx, p)
	}
	return fmt.Errorf("syncer: unexpected task type %q: %w", t.Type(), asynq.SkipRetry)
}

// scheduled creates the sync of one schedule run (once, whoever gets there
// first) and runs it.
func (h *Handler) scheduled(ctx context.Context, p tasks.SyncScheduled) error {
	sc, err := h.store.GetSchedule(ctx, p.AccountID, p.ScheduleID)
	if errors.Is(err, store.ErrNotFound) {
		h.log.Info("schedule deleted; scheduled sync dropped", "schedule_id", p.ScheduleID, "account_id", p.AccountID)
		return nil
	}
	if err != nil {
		return err
	}
	at := p.ScheduledFor.UTC()
	sy := workspace.Sync{
		ID:        ids.At("syn", at, sc.ID),
		AccountID: sc.AccountID, WorkspaceID: sc.WorkspaceID, CredentialID: sc.CredentialID,
		EnvironmentID: sc.EnvironmentID, Options: sc.Options,
		Trigger: workspace.TriggerSchedule, ScheduleID: sc.ID, ScheduledFor: &at,
		Status: workspace.StatusQueued, Collections: []workspace.SyncCollection{}, Environments: []workspace.Element{},
		CreatedAt: h.cfg.Now(),
	}
	switch err := h.store.CreateSync(ctx, sy); {
	case errors.Is(err, store.ErrExists):
		h.log.Info("scheduled sync already created; carrying on with it", "sync_id", sy.ID, "schedule_id", sc.ID)
	case err != nil:
		return err
	default:
		h.log.Info("scheduled sync created", "sync_id", sy.ID, "schedule_id", sc.ID, "scheduled_for", at)
	}
	return h.run(ctx, sy.AccountID, sy.ID)
}

// failure is a sync that cannot go on: it ends failed and is not retried.
type failure struct{ msg string }

func (f *failure) Error() string { return f.msg }

func (h *Handler) run(ctx context.Context, accountID, syncID string) error {
	sy, err := h.store.StartSync(ctx, accountID, syncID, h.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("sync %s no longer exists: %w", syncID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	log := h.log.With("sync_id", sy.ID, "account_id", sy.AccountID, "workspace_id", sy.WorkspaceID)
	if sy.Finished() {
		log.Info("sync already finished", "status", sy.Status)
		return nil
	}
	if sy.Collections == nil {
		sy.Collections = []workspace.SyncCollection{}
	}
	err = h.sync(ctx, &sy, log)
	var f *failure
	if err != nil && !errors.As(err, &f) && lastAttempt(ctx) && ctx.Err() == nil {
		// Out of retries: end the sync with the last error rather than
		// leave it running forever.
		f = &failure{msg: err.Error()}
	}
	if f != nil {
		sy.Status, sy.Error = workspace.StatusFailed, f.msg
		if _, ferr := h.finish(ctx, sy); ferr != nil {
			return ferr
		}
		log.Warn("sync failed", "error", f.msg)
		return fmt.Errorf("%s: %w", f.msg, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	sy.Status = workspace.StatusCompleted
	moved, err := h.finish(ctx, sy)
	if err != nil {
		return err
	}
	if moved {
		c := workspace.CountOutcomes(sy.Collections)
		log.Info("sync completed", "collections", c.Total, "imported", c.Imported, "unchanged", c.Unchanged, "failed", c.Failed)
	}
	return nil
}

func lastAttempt(ctx context.Context) bool {
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	return !ok1 || !ok2 || retried >= maxRetry
}

// sync does the work; it returns a *failure for a sync that cannot go on,
// another error for one worth retrying (progress is saved).
func (h *Handler) sync(ctx context.Context, sy *workspace.Sync, log *slog.Logger) error {
	cred, key, err := credentials.Open(ctx, h.store, h.cfg.Keyring, sy.AccountID, sy.CredentialID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &failure{"the Postman credential " + sy.CredentialID + " no longer exists"}
	case errors.Is(err, credentials.ErrNoSecretKey):
		return &failure{err.Error()}
	case errors.Is(err, secret.ErrUnknownKey), errors.Is(err, secret.ErrCorrupt):
		return &failure{"the stored Postman API key cannot be decrypted with APISCOUT_SECRET_KEY or APISCOUT_SECRET_KEY_PREVIOUS: " + err.Error()}
	case err != nil:
		return err
	}
	api := h.cfg.Postman.With(key)

	ws, err := api.Workspace(ctx, sy.WorkspaceID)
	if err != nil {
		return classify("workspace "+sy.WorkspaceID, err)
	}
	sy.WorkspaceName = ws.Name
	sy.Environments = make([]workspace.Element, 0, len(ws.Environments))
	for _, e := range ws.Environments {
		sy.Environments = append(sy.Environments, workspace.Element{UID: e.UID, Name: e.Name})
	}

	env := environment{}
	if sy.EnvironmentID != "" {
		raw, info, err := api.Environment(ctx, sy.EnvironmentID)
		if err != nil {
			return classify("environment "+sy.EnvironmentID, err)
		}
		name, vars, err := postman.ParseEnvironment(raw)
		if err != nil {
			return &failure{"environment " + sy.EnvironmentID + ": " + err.Error()}
		}
		env = environment{raw: raw, name: name, vars: vars, version: versionOf(info.UpdatedAt, raw)}
	}

	prev, err := h.previous(ctx, sy)
	if err != nil {
		return err
	}
	done := map[string]workspace.SyncCollection{}
	for _, c := range sy.Collections {
		done[c.UID] = c
	}
	out := make([]workspace.SyncCollection, 0, len(ws.Collections))
	var quota error
	for _, c := range ws.Collections {
		if d, ok := done[c.UID]; ok {
			out = append(out, d) // a redelivered task keeps what was done
			continue
		}
		var res outcome
		if quota != nil {
			// The monthly quota is gone: asking again only burns requests.
			res.SyncCollection = workspace.SyncCollection{UID: c.UID, Name: c.Name, Outcome: workspace.OutcomeFailed, Error: quota.Error()}
		} else {
			res, err = h.collection(ctx, api, sy, c, env, prev)
			if err != nil {
				return err
			}
			if res.Outcome == workspace.OutcomeFailed {
				log.Warn("collection failed", "collection_uid", c.UID, "error", res.Error)
				if res.quota {
					quota = errors.New(res.Error)
				}
			}
		}
		out = append(out, res.SyncCollection)
		sy.Collections = out
		if err := h.store.SaveSyncProgress(ctx, *sy); err != nil {
			return err
		}
	}
	sy.Collections = out
	_ = h.store.TouchCredential(ctx, sy.AccountID, cred.ID, h.cfg.Now())
	return nil
}

// environment is the environment a sync resolves variables with.
type environment struct {
	raw     []byte
	name    string
	vars    []postman.Variable
	version string
}

// previous returns, per collection uid, what the last completed sync of the
// workspace left: an import that holds the collection at some version.
// Collections whose import failed are left out, so they are imported again.
func (h *Handler) previous(ctx context.Context, sy *workspace.Sync) (map[string]workspace.SyncCollection, error) {
	last, err := h.store.LastCompletedSync(ctx, sy.AccountID, sy.WorkspaceID, sy.ID)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]workspace.SyncCollection{}, nil
	}
	if err != nil {
		return nil, err
	}
	var importIDs []string
	for _, c := range last.Collections {
		if c.ImportID != "" && c.Outcome != workspace.OutcomeFailed {
			importIDs = append(importIDs, c.ImportID)
		}
	}
	imps, err := h.store.ImportsByID(ctx, sy.AccountID, importIDs)
	if err != nil {
		return nil, err
	}
	good := map[string]bool{}
	for _, imp := range imps {
		good[imp.ID] = imp.Status != inventory.StatusFailed
	}
	out := map[string]workspace.SyncCollection{}
	for _, c := range last.Collections {
		if good[c.ImportID] {
			out[c.UID] = c
		}
	}
	return out, nil
}

type outcome struct {
	workspace.SyncCollection
	quota bool
}

// collection syncs one collection. A Postman or parse failure is an
// outcome, not an error; errors are for the database and the queue.
func (h *Handler) collection(ctx context.Context, api *postmanapi.Session, sy *workspace.Sync, c postmanapi.Element,
	env environment, prev map[string]workspace.SyncCollection) (outcome, error) {
	res := outcome{SyncCollection: workspace.SyncCollection{UID: c.UID, Name: c.Name}}
	failed := func(msg string) (outcome, error) {
		res.Outcome, res.Error = workspace.OutcomeFailed, msg
		return res, nil
	}
	body, info, err := api.Collection(ctx, c.UID)
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.quota = postmanapi.IsQuotaExhausted(err)
		return failed(err.Error())
	}
	if info.Name != "" {
		res.Name = info.Name
	}
	res.UpdatedAt = info.UpdatedAt
	res.Version = versionOf(info.UpdatedAt, body)
	if env.version != "" {
		res.Version += " env:" + env.version
	}
	if p, ok := prev[c.UID]; ok && !sy.Options.Force && p.Version == res.Version {
		res.Outcome, res.ImportID = workspace.OutcomeUnchanged, p.ImportID
		return res, nil
	}
	coll, err := postman.Parse(body, postman.Options{Environment: env.vars})
	if err != nil {
		return failed("collection: " + err.Error())
	}
	imp, err := importjob.Submit(ctx, h.store, h.queue, importjob.Input{
		AccountID:      sy.AccountID,
		Options:        sy.Options.ImportOptions,
		Source:         inventory.ImportSource{Kind: workspace.ImportSourceKind, FileName: res.Name, EnvName: env.name},
		File:           body,
		Env:            env.raw,
		CollectionName: coll.Name,
		Schema:         coll.Schema,
		Now:            h.cfg.Now(),
		MaxRetry:       h.cfg.MaxRetry,
	})
	if err != nil {
		return res, err
	}
	if h.metrics != nil {
		h.metrics.Imports.WithLabelValues(inventory.StatusQueued).Inc()
	}
	res.Outcome, res.ImportID = workspace.OutcomeImported, imp.ID
	return res, nil
}

// versionOf is what incremental syncs compare: Postman's updatedAt, or a
// hash of the content when it sent none.
func versionOf(updatedAt string, body []byte) string {
	if updatedAt != "" {
		return updatedAt
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:12])
}

// classify turns a Postman error on the workspace or environment into a
// failure (no retry can help) or a retryable error.
func classify(what string, err error) error {
	switch {
	case postmanapi.IsUnauthorized(err):
		return &failure{"Postman rejected the API key (" + what + "): " + err.Error()}
	case postmanapi.IsQuotaExhausted(err):
		return &failure{err.Error()}
	case postmanapi.IsTemporary(err):
		return err
	}
	var pe *postmanapi.Error
	if errors.As(err, &pe) {
		return &failure{what + ": " + err.Error()}
	}
	return err
}

// finish records the end and counts it once.
func (h *Handler) finish(ctx context.Context, sy workspace.Sync) (bool, error) {
	moved, err := h.store.FinishSync(ctx, sy, h.cfg.Now())
	if err != nil || !moved || h.metrics == nil {
		return moved, err
	}
	h.metrics.Syncs.WithLabelValues(sy.Status).Inc()
	for _, c := range sy.Collections {
		h.metrics.SyncCollections.WithLabelValues(c.Outcome).Inc()
	}
	return true, nil
}
