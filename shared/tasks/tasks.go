// Package tasks defines apiscout's asynq task types and their payloads.
// Payloads carry ids, never blobs: a 25 MiB collection stays in the database.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types, namespaced by what they act on.
const (
	// TypeImportCollection turns a stored collection into inventory.
	TypeImportCollection = "import:collection"
	// TypeImportFinalize ends an import whose replays have all reported.
	TypeImportFinalize = "import:finalize"
	// TypeReplayRequest sends one request of an import to its server.
	TypeReplayRequest = "replay:request"
	// TypeReplayBatch writes parked replay results into the inventory.
	TypeReplayBatch = "replay:batch"
)

// Queues and their priorities (asynq weighted priority).
const (
	QueueImports = "imports"
	QueueReplays = "replays"
)

// Queues is the worker's queue configuration: imports (small, start
// replays) before replays.
var Queues = map[string]int{QueueImports: 3, QueueReplays: 2, QueueSyncs: 1}

// ImportCollection is the payload of TypeImportCollection.
type ImportCollection struct {
	ImportID  string `json:"import_id"`
	AccountID string `json:"account_id"`
}

// NewImportCollection returns the task for one import. Its task id is derived
// from the import id, so enqueuing the same import twice is refused by asynq
// (asynq.ErrTaskIDConflict) instead of running it twice.
func NewImportCollection(p ImportCollection, maxRetry int) (*asynq.Task, error) {
	if p.ImportID == "" || p.AccountID == "" {
		return nil, fmt.Errorf("tasks: import id and account id are required")
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeImportCollection, b,
		asynq.TaskID(TypeImportCollection+":"+p.ImportID),
		asynq.Queue(QueueImports),
		asynq.MaxRetry(maxRetry),
		asynq.Retention(24*time.Hour),
	), nil
}

// ParseImportCollection decodes a TypeImportCollection payload.
func ParseImportCollection(t *asynq.Task) (ImportCollection, error) {
	var p ImportCollection
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("tasks: bad %s payload: %w", t.Type(), err)
	}
	if p.ImportID == "" || p.AccountID == "" {
		return p, fmt.Errorf("tasks: %s payload lacks ids", t.Type())
	}
	return p, nil
}

// ImportFinalize is the payload of TypeImportFinalize.
type ImportFinalize = ImportCollection

// NewImportFinalize returns the finalize task of an import; its task id is
// derived from the import, so it is enqueued once however many batches see
// the last result.
func NewImportFinalize(p ImportFinalize, maxRetry int) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeImportFinalize, b,
		asynq.TaskID(TypeImportFinalize+":"+p.ImportID),
		asynq.Queue(QueueImports),
		asynq.MaxRetry(maxRetry),
		asynq.Retention(24*time.Hour),
	), nil
}

// ReplayRequest is the payload of TypeReplayRequest:
// ids only; the request is rebuilt from the stored collection.
type ReplayRequest struct {
	ImportID  string `json:"import_id"`
	AccountID string `json:"account_id"`
	// Index is the request's position in the parsed collection.
	Index int `json:"index"`
}

// NewReplayRequest returns the replay task of one request. Its task id is
// derived from import and index, so a retried import does not enqueue a
// request twice. timeout bounds one attempt.
func NewReplayRequest(p ReplayRequest, maxRetry int, timeout time.Duration) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeReplayRequest, b,
		asynq.TaskID(fmt.Sprintf("%s:%s:%d", TypeReplayRequest, p.ImportID, p.Index)),
		asynq.Queue(QueueReplays),
		asynq.MaxRetry(maxRetry),
		asynq.Timeout(timeout),
	), nil
}

// ParseReplayRequest decodes a TypeReplayRequest payload.
func ParseReplayRequest(t *asynq.Task) (ReplayRequest, error) {
	var p ReplayRequest
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("tasks: bad %s payload: %w", t.Type(), err)
	}
	if p.ImportID == "" || p.AccountID == "" || p.Index < 0 {
		return p, fmt.Errorf("tasks: %s payload lacks ids", t.Type())
	}
	return p, nil
}

// ReplayBatch is the payload of TypeReplayBatch: a task that drains an
// import's parked replay results into the inventory. Seq numbers the
// batches of one import (see NewReplayBatch).
type ReplayBatch struct {
	ImportID  string `json:"import_id"`
	AccountID string `json:"account_id"`
	Seq       int    `json:"seq"`
}

// NewReplayBatch returns batch Seq of an import. Its task id is derived
// from import and Seq, so the replays that ask for the same batch (a
// retried one among them) enqueue it once.
func NewReplayBatch(b ReplayBatch, maxRetry int) (*asynq.Task, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeReplayBatch, data,
		asynq.TaskID(fmt.Sprintf("%s:%s:%d", TypeReplayBatch, b.ImportID, b.Seq)),
		asynq.Queue(QueueReplays),
		asynq.MaxRetry(maxRetry),
	), nil
}

// ParseReplayBatch decodes a TypeReplayBatch payload.
func ParseReplayBatch(t *asynq.Task) (ReplayBatch, error) {
	var p ReplayBatch
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("tasks: bad %s payload: %w", t.Type(), err)
	}
	if p.ImportID == "" || p.AccountID == "" {
		return p, fmt.Errorf("tasks: %s payload lacks ids", t.Type())
	}
	return p, nil
}

// Enqueuer puts tasks on the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// EnqueueOnce enqueues a task with a deterministic id; a task of that id
// already queued (or unique-locked) is the same work, so it is not an error.
func EnqueueOnce(ctx context.Context, q Enqueuer, t *asynq.Task) error {
	if _, err := q.EnqueueContext(ctx, t); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return err
	}
	return nil
}
