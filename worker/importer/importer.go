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

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/tasks"
)

// Store is what the importer needs of the database.
type Store interface {
	StartImport(ctx context.Context, accountID, id string, now time.Time) (inventory.Import, error)
	FinishImport(ctx context.Context, accountID, id string, r store.ImportResult, now time.Time) (bool, error)
	GetBlob(ctx context.Context, id string) ([]byte, error)
	UpsertCollection(ctx context.Context, c inventory.Collection) error
	EndpointsByID(ctx context.Context, accountID string, ids []string) ([]inventory.Endpoint, error)
	SaveEndpoints(ctx context.Context, eps []inventory.Endpoint) error
	SaveSamples(ctx context.Context, samples []inventory.Sample) error
	DeleteSamples(ctx context.Context, accountID string, ids []string) error
}

var _ Store = (*store.Store)(nil)

// maxMergeAttempts bounds the reload-and-merge loop when another import of
// the same collection writes the same endpoints at the same time.
const maxMergeAttempts = 5

// Config configures a Handler.
type Config struct {
	// SamplesPerEndpoint is how many samples an endpoint keeps; >= 1.
	SamplesPerEndpoint int
	// SampleBodyMax caps stored bodies; 0 keeps them whole.
	SampleBodyMax int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
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
	res, err := h.run(ctx, imp)
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
	res.Status = inventory.StatusCompleted
	moved, err := h.finish(ctx, imp, res)
	if err != nil {
		return err
	}
	if moved {
		log.Info("import completed", "collection_id", res.CollectionID, "total", res.Counts.Total,
			"imported", res.Counts.Imported, "samples", res.Counts.Samples,
			"endpoints_created", res.Counts.EndpointsCreated, "endpoints_updated", res.Counts.EndpointsUpdated)
	}
	return nil
}

// permanentError is a failure that no retry can mend.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

func (h *Handler) run(ctx context.Context, imp inventory.Import) (store.ImportResult, error) {
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
	coll, err := postman.Parse(data, opts)
	if err != nil {
		return res, &permanentError{"collection: " + err.Error()}
	}
	colID := inventory.CollectionID(imp.AccountID, coll.PostmanID, data)
	data = nil // the plan holds what is needed; let a 25 MiB file go.
	plan := inventory.PlanImport(coll, colID, inventory.PlanOptions{
		AccountID: imp.AccountID, ImportID: imp.ID, Now: imp.CreatedAt, SampleBodyMax: h.cfg.SampleBodyMax,
	})
	res.CollectionID, res.CollectionName, res.Schema = colID, coll.Name, coll.Schema
	if err := h.store.UpsertCollection(ctx, plan.Collection); err != nil {
		return res, err
	}
	created, updated, err := h.write(ctx, imp, plan)
	if err != nil {
		return res, err
	}
	res.Counts = plan.Counts
	res.Counts.EndpointsCreated, res.Counts.EndpointsUpdated = created, updated
	return res, nil
}

// write merges the plan's observations into the stored endpoints. Samples
// are written before the endpoints that reference them, and dropped samples
// are deleted last, so a crash at any point leaves no dangling reference and
// a retry converges.
func (h *Handler) write(ctx context.Context, imp inventory.Import, plan inventory.Plan) (created, updated int, err error) {
	if len(plan.Observations) == 0 {
		return 0, 0, nil
	}
	idList := make([]string, len(plan.Observations))
	for i, o := range plan.Observations {
		idList[i] = inventory.EndpointID(plan.Collection.ID, o.Key)
	}
	mo := inventory.MergeOptions{
		AccountID: imp.AccountID, CollectionID: plan.Collection.ID, ImportID: imp.ID,
		Now: imp.CreatedAt, Keep: h.cfg.SamplesPerEndpoint,
	}
	for attempt := 1; ; attempt++ {
		existing, err := h.store.EndpointsByID(ctx, imp.AccountID, idList)
		if err != nil {
			return 0, 0, err
		}
		byID := make(map[string]*inventory.Endpoint, len(existing))
		for i := range existing {
			byID[existing[i].ID] = &existing[i]
		}
		eps := make([]inventory.Endpoint, 0, len(plan.Observations))
		var samples []inventory.Sample
		var dropped []string
		created, updated = 0, 0
		for i, obs := range plan.Observations {
			ep, write, drop := inventory.Merge(byID[idList[i]], obs, mo)
			eps = append(eps, ep)
			samples = append(samples, write...)
			dropped = append(dropped, drop...)
			if ep.CreatedByImport == imp.ID {
				created++
			} else {
				updated++
			}
		}
		if err := h.store.SaveSamples(ctx, samples); err != nil {
			return 0, 0, err
		}
		err = h.store.SaveEndpoints(ctx, eps)
		if errors.Is(err, store.ErrConflict) && attempt < maxMergeAttempts {
			h.log.Info("endpoints changed concurrently; merging again", "import_id", imp.ID, "attempt", attempt)
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		if err := h.store.DeleteSamples(ctx, imp.AccountID, dropped); err != nil {
			return 0, 0, err
		}
		return created, updated, nil
	}
}

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
