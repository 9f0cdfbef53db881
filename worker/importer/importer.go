// Package importer handles import:collection tasks: it loads a stored
// collection, parses it, plans the inventory changes and writes them.
package importer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/replay"
	"github.com/apiscout/apiscout/shared/replaystate"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/shared/workspace"
	"github.com/apiscout/apiscout/worker/assemble"
)

// Store is what the importer needs of the database.
type Store interface {
	StartImport(ctx context.Context, accountID, id string, now time.Time) (inventory.Import, error)
	GetImport(ctx context.Context, accountID, id string) (inventory.Import, error)
	FinishImport(ctx context.Context, accountID, id string, r store.ImportResult, now time.Time) (bool, error)
	GetBlob(ctx context.Context, id string) ([]byte, error)
	UpsertCollection(ctx context.Context, c inventory.Collection) error
	SaveOutcomes(ctx context.Context, accountID, importID, key string, seq int, rows []inventory.RequestOutcome) error
	SetImportReplaying(ctx context.Context, accountID, id string, r store.ImportResult) error
	assemble.Store
	CollectionEndpoints(ctx context.Context, accountID, collectionID string) ([]inventory.Endpoint, error)
	MarkEndpointsRemoved(ctx context.Context, accountID string, ids []string, now time.Time) error
	AddChanges(ctx context.Context, step string, set changes.Set) (changes.Set, error)
	ChangesOfImport(ctx context.Context, accountID, importID string) (changes.Set, error)
}

// ReplayState is the in-flight replay state (replaystate.State).
type ReplayState interface {
	Start(ctx context.Context, importID string, total int) error
	Touch(ctx context.Context, importID string, created, touched []string) error
	Cancelled(ctx context.Context, importID string) (bool, error)
}

// Enqueuer puts tasks on the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

var _ Store = (*store.Store)(nil)

// Config configures a Handler.
type Config struct {
	// SamplesPerEndpoint is how many samples an endpoint keeps; >= 1.
	SamplesPerEndpoint int
	// SampleBodyMax caps stored bodies; 0 keeps them whole.
	SampleBodyMax int
	// NoRedaction stores samples as saved. False (the default) redacts
	// credentials and detected sensitive values.
	NoRedaction bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CheckHost refuses replay targets before any lookup (the egress
	// policy); nil allows all.
	CheckHost replay.HostChecker
	// ReplayMaxRetry is the retry count of replay tasks.
	ReplayMaxRetry int
	// State and Queue are needed for imports that replay.
	State ReplayState
	Queue Enqueuer
}

// Handler processes import:collection tasks.
type Handler struct {
	store   Store
	metrics *metrics.Metrics
	log     *slog.Logger
	cfg     Config
}

// New returns a Handler.
func New(s Store, m *metrics.Metrics, log *slog.Logger, cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{store: s, metrics: m, log: log, cfg: cfg}
}

// ProcessTask implements asynq.Handler. Permanent failures (bad payload,
// unknown import, a stored file that is not a collection) end the import as
// failed and return asynq.SkipRetry; database errors are returned as they
// are, so asynq retries the task.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParseImportCollection(t)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	log := h.log.With("import_id", p.ImportID, "account_id", p.AccountID)
	steps := newStepTimer(h.cfg.Now)
	imp, err := h.store.StartImport(ctx, p.AccountID, p.ImportID, h.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("import %s no longer exists: %w", p.ImportID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if imp.Status == inventory.StatusCompleted || imp.Status == inventory.StatusFailed {
		log.Info("import already finished", "status", imp.Status)
		return nil
	}
	if h.cfg.State != nil {
		if cancelled, err := h.cfg.State.Cancelled(ctx, imp.ID); err != nil {
			return err
		} else if cancelled {
			_, err := h.finish(ctx, imp, store.ImportResult{Status: inventory.StatusCancelled, Counts: inventory.NewCounts()})
			return err
		}
	}
	steps.done("start")
	res, err := h.run(ctx, imp, steps)
	var perm *permanentError
	if errors.As(err, &perm) {
		res.Status, res.Error = inventory.StatusFailed, perm.msg
		if _, ferr := h.finish(ctx, imp, res); ferr != nil {
			return ferr
		}
		log.Warn("import failed", "error", perm.msg)
		return fmt.Errorf("%s: %w", perm.msg, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if res.Counts.Replay != nil && res.Counts.Replay.Total > 0 {
		log.Info("import waits for replays", "collection_id", res.CollectionID, "replays", res.Counts.Replay.Total, "steps", steps)
		return nil
	}
	res.Status = inventory.StatusCompleted
	moved, err := h.finish(ctx, imp, res)
	if err != nil {
		return err
	}
	steps.done("finish")
	if moved {
		log.Info("import completed", "collection_id", res.CollectionID, "total", res.Counts.Total,
			"imported", res.Counts.Imported, "samples", res.Counts.Samples,
			"endpoints_created", res.Counts.EndpointsCreated, "endpoints_updated", res.Counts.EndpointsUpdated, "steps", steps)
	}
	return nil
}

// permanentError is a failure that no retry can mend.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

func (h *Handler) run(ctx context.Context, imp inventory.Import, steps *stepTimer) (store.ImportResult, error) {
	res := store.ImportResult{Counts: inventory.NewCounts()}
	data, err := h.store.GetBlob(ctx, imp.Source.FileBlobID)
	if errors.Is(err, store.ErrNotFound) {
		return res, &permanentError{"the stored collection file is missing"}
	}
	if err != nil {
		return res, err
	}
	var opts postman.Options
	if imp.Source.EnvBlobID != "" {
		envData, err := h.store.GetBlob(ctx, imp.Source.EnvBlobID)
		if errors.Is(err, store.ErrNotFound) {
			return res, &permanentError{"the stored environment file is missing"}
		}
		if err != nil {
			return res, err
		}
		if _, opts.Environment, err = postman.ParseEnvironment(envData); err != nil {
			return res, &permanentError{"environment: " + err.Error()}
		}
	}
	steps.done("load")
	coll, err := postman.Parse(data, opts)
	if err != nil {
		return res, &permanentError{"collection: " + err.Error()}
	}
	steps.done("parse")
	colID := inventory.CollectionID(imp.AccountID, coll.PostmanID, data)
	data = nil // the plan holds what is needed; let a 25 MiB file go.
	// The collection's stored endpoints: a new concrete path that fits one
	// of their templates joins it, and the change feed compares with them.
	prev, err := h.store.CollectionEndpoints(ctx, imp.AccountID, colID)
	if err != nil {
		return res, err
	}
	steps.done("read_endpoints")
	plan := inventory.PlanImport(coll, colID, inventory.PlanOptions{
		AccountID: imp.AccountID, ImportID: imp.ID, Now: imp.CreatedAt, SampleBodyMax: h.cfg.SampleBodyMax,
		NoRedaction: h.cfg.NoRedaction, Known: prev,
	})
	res.CollectionID, res.CollectionName, res.Schema = colID, coll.Name, coll.Schema
	replays := h.classify(coll, &plan, imp.Options)
	steps.done("plan")
	if err := h.store.UpsertCollection(ctx, plan.Collection); err != nil {
		return res, err
	}
	target := assemble.Target{
		AccountID: imp.AccountID, CollectionID: colID, ImportID: imp.ID,
		Now: imp.CreatedAt, Keep: h.cfg.SamplesPerEndpoint,
	}
	var gone []string
	if imp.Source.Kind == workspace.ImportSourceKind {
		gone = removedBy(prev, coll, plan)
	}
	// The change set is recorded before anything is written: a retry after
	// a crash compares with what was written already, finds less, and adds
	// nothing the first attempt did not record.
	recorded, err := h.store.AddChanges(ctx, "import", changeSet(imp, colID, prev, assemble.Preview(target, prev, plan.Observations), gone))
	if err != nil {
		return res, err
	}
	steps.done("changes")
	// The outcome rows go to their own collection while the inventory is
	// written (on two cores the database keeps both busy).
	outcomesDone := make(chan error, 1)
	go func() { outcomesDone <- h.store.SaveOutcomes(ctx, imp.AccountID, imp.ID, "import", 0, plan.Outcomes) }()
	written, err := assemble.WriteOver(ctx, h.store, h.log, target, plan.Observations, prev)
	if oerr := <-outcomesDone; err == nil {
		err = oerr
	}
	if err != nil {
		return res, err
	}
	steps.done("write")
	res.Counts = plan.Counts
	if len(gone) > 0 {
		if err := h.store.MarkEndpointsRemoved(ctx, imp.AccountID, gone, imp.CreatedAt); err != nil {
			return res, err
		}
		res.Counts.EndpointsRemoved = len(gone)
		h.log.Info("endpoints removed from the collection marked", "import_id", imp.ID, "collection_id", colID, "count", len(gone))
	}
	if len(replays) > 0 {
		res.Counts.Replay = &inventory.ReplayCounts{Total: len(replays)}
		if err := h.startReplays(ctx, imp, replays, res, written); err != nil {
			return res, err
		}
		return res, nil
	}
	// The only step: its recorded set is the import's.
	sum := recorded.Summarize()
	res.Changes = &sum
	res.Counts.EndpointsCreated = len(written.Created)
	res.Counts.EndpointsUpdated = len(written.Touched) - len(written.Created)
	return res, nil
}

// changeSet is what an import changes in its collection: prev is the
// stored state, merged the endpoints it observed as they will be written,
// gone the ids it marks removed.
func changeSet(imp inventory.Import, collectionID string, prev, merged []inventory.Endpoint, gone []string) changes.Set {
	byID := make(map[string]inventory.Endpoint, len(prev)+len(merged))
	for _, ep := range prev {
		byID[ep.ID] = ep
	}
	for _, ep := range merged {
		byID[ep.ID] = ep
	}
	for _, id := range gone {
		byID[id] = inventory.MarkRemoved(byID[id], imp.ID, imp.CreatedAt)
	}
	after := make([]inventory.Endpoint, 0, len(byID))
	for _, ep := range byID {
		if !ep.Removed {
			after = append(after, ep)
		}
	}
	set := changes.NewSet(imp.AccountID, collectionID, imp.ID, imp.CreatedAt, changes.Diff(prev, after))
	set.Source = imp.Source.Kind
	return set
}

// classify decides, for every request without a usable saved response,
// whether it is replayed. It rewrites the plan's outcomes and counts and
// returns the indices to replay (none for a dry run, which only counts them).
func (h *Handler) classify(coll *postman.Collection, plan *inventory.Plan, o inventory.ImportOptions) []int {
	if !o.AllowReplay {
		return nil
	}
	var replays []int
	planned := 0
	for i := range plan.Outcomes {
		out := &plan.Outcomes[i]
		if out.Reason != inventory.ReasonNoSavedResponse {
			continue
		}
		plan.Counts.Skipped[out.Reason]--
		reason, detail := replay.Classify(&coll.Requests[out.Index], o, h.cfg.CheckHost)
		switch {
		case reason != "":
			out.Reason, out.Detail = reason, detail
			plan.Counts.Skipped[reason]++
		case o.DryRun:
			out.Reason, out.Detail = replay.ReasonDryRun, "would be replayed"
			plan.Counts.Skipped[replay.ReasonDryRun]++
			planned++
		default:
			out.Outcome, out.Reason = inventory.OutcomePending, ""
			replays = append(replays, out.Index)
		}
	}
	for k, n := range plan.Counts.Skipped {
		if n == 0 {
			delete(plan.Counts.Skipped, k)
		}
	}
	if o.DryRun {
		plan.Counts.Replay = &inventory.ReplayCounts{Planned: planned}
	}
	return replays
}

// startReplays records the endpoints the import's first step wrote and the
// step itself, and enqueues one replay task per request. Task ids are
// derived from import and index, so a retried import enqueues nothing
// twice.
func (h *Handler) startReplays(ctx context.Context, imp inventory.Import, replays []int, res store.ImportResult, written assemble.Written) error {
	if h.cfg.State == nil || h.cfg.Queue == nil {
		return &permanentError{"this worker cannot replay (no queue configured)"}
	}
	// The endpoints this step wrote count when the import finalizes.
	if err := h.cfg.State.Touch(ctx, imp.ID, written.Created, written.Touched); err != nil {
		return err
	}
	if err := h.cfg.State.Start(ctx, imp.ID, len(replays)); err != nil {
		return err
	}
	if err := h.store.SetImportReplaying(ctx, imp.AccountID, imp.ID, res); err != nil {
		return err
	}
	timeout := time.Duration(imp.Options.ReplayTimeout)*(replay.MaxRedirects+2) + 30*time.Second
	// Several enqueuers at once: one after another, each waits a round
	// trip to Redis (2,000 replays took half a second before the last was
	// queued, while the first ones were long done).
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(enqueuers)
	for _, idx := range replays {
		if gctx.Err() != nil {
			break
		}
		eg.Go(func() error {
			t, err := tasks.NewReplayRequest(tasks.ReplayRequest{ImportID: imp.ID, AccountID: imp.AccountID, Index: idx}, h.cfg.ReplayMaxRetry, timeout)
			if err != nil {
				return err
			}
			return tasks.EnqueueOnce(gctx, h.cfg.Queue, t)
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	// Cancelled from outside: some were not enqueued.
	return ctx.Err()
}

// enqueuers is how many goroutines enqueue an import's replays.
const enqueuers = 8

// finish records the end of an import and, only when this call moved it,
// counts it in the metrics (so a redelivered task does not count twice).
func (h *Handler) finish(ctx context.Context, imp inventory.Import, res store.ImportResult) (bool, error) {
	moved, err := h.store.FinishImport(ctx, imp.AccountID, imp.ID, res, h.cfg.Now())
	if err != nil || !moved || h.metrics == nil {
		return moved, err
	}
	h.metrics.Imports.WithLabelValues(res.Status).Inc()
	if res.Status == inventory.StatusCompleted {
		h.metrics.ImportRequests.WithLabelValues(inventory.OutcomeImported, "").Add(float64(res.Counts.Imported))
		for reason, n := range res.Counts.Skipped {
			h.metrics.ImportRequests.WithLabelValues(inventory.OutcomeSkipped, reason).Add(float64(n))
		}
		for class, n := range res.Counts.SamplesByStatus {
			h.metrics.Samples.WithLabelValues(inventory.SourceExample, class).Add(float64(n))
		}
	}
	return true, nil
}

// FinalizeState is what finalizing needs of the replay state.
type FinalizeState interface {
	Progress(ctx context.Context, importID string) (replaystate.Progress, bool, error)
	EndpointCounts(ctx context.Context, importID string) (created, updated int, err error)
	Cancelled(ctx context.Context, importID string) (bool, error)
	Forget(ctx context.Context, importID string) error
}

// Finalizer handles import:finalize: once every replay of an import has
// reported, it adds the replay counters to the import's counts and ends it
// (completed, or cancelled when the user cancelled it).
type Finalizer struct {
	*Handler
	State FinalizeState
}

// ProcessTask implements asynq.Handler.
func (f *Finalizer) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParseImportCollection(t)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	imp, err := f.store.GetImport(ctx, p.AccountID, p.ImportID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("import %s no longer exists: %w", p.ImportID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if imp.Status != inventory.StatusRunning {
		return nil
	}
	prog, ok, err := f.State.Progress(ctx, imp.ID)
	if err != nil {
		return err
	}
	if !ok || prog.Total < 0 || prog.Done < prog.Total {
		return fmt.Errorf("import %s: replays not all reported (%d of %d)", imp.ID, prog.Done, prog.Total)
	}
	cancelled, err := f.State.Cancelled(ctx, imp.ID)
	if err != nil {
		return err
	}
	res := store.ImportResult{
		Status: inventory.StatusCompleted, CollectionID: imp.CollectionID,
		CollectionName: imp.CollectionName, Schema: imp.Schema, Counts: replaystate.AddTo(imp.Counts, prog),
	}
	if cancelled {
		res.Status = inventory.StatusCancelled
	}
	if res.Counts.EndpointsCreated, res.Counts.EndpointsUpdated, err = f.State.EndpointCounts(ctx, imp.ID); err != nil {
		return err
	}
	switch set, err := f.store.ChangesOfImport(ctx, imp.AccountID, imp.ID); {
	case err == nil:
		sum := set.Summarize()
		res.Changes = &sum
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	moved, err := f.finish(ctx, imp, res)
	if err != nil {
		return err
	}
	if moved {
		f.log.Info("import completed", "import_id", imp.ID, "status", res.Status, "total", res.Counts.Total,
			"imported", res.Counts.Imported, "replayed", prog.Done, "samples", res.Counts.Samples)
	}
	return f.State.Forget(ctx, imp.ID)
}

// stepTimer records how long each step of an import took, for the log
// line that ends it (an operator's first clue when imports slow down).
type stepTimer struct {
	now   func() time.Time
	last  time.Time
	names []string
	took  []time.Duration
}

func newStepTimer(now func() time.Time) *stepTimer {
	return &stepTimer{now: now, last: now()}
}

// done ends the step called name.
func (t *stepTimer) done(name string) {
	now := t.now()
	t.names, t.took = append(t.names, name), append(t.took, now.Sub(t.last))
	t.last = now
}

// LogValue implements slog.LogValuer: each step's milliseconds.
func (t *stepTimer) LogValue() slog.Value {
	attrs := make([]slog.Attr, len(t.names))
	for i, n := range t.names {
		attrs[i] = slog.Int64(n+"_ms", t.took[i].Milliseconds())
	}
	return slog.GroupValue(attrs...)
}
