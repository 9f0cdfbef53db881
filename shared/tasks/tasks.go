// Package tasks defines apiscout's asynq task types and their payloads.
// Payloads carry ids, never blobs: a 25 MiB collection stays in the database.
package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types, namespaced by what they act on.
const (
	// TypeImportCollection turns a stored collection into inventory.
	TypeImportCollection = "import:collection"
)

// Queues and their priorities (asynq weighted priority).
const (
	QueueImports = "imports"
)

// Queues is the worker's queue configuration.
var Queues = map[string]int{QueueImports: 1}

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
