// Package importjob submits import jobs: it stores the collection (and
// environment) files, creates the import document and enqueues the
// import:collection task, undoing what it stored when a later step fails.
// The API's upload and the workspace sync both submit through it.
package importjob

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/tasks"
)

// Store is what submitting needs of the database.
type Store interface {
	PutBlob(ctx context.Context, id string, data []byte) error
	DeleteBlob(ctx context.Context, id string) error
	CreateImport(ctx context.Context, imp inventory.Import) error
	DeleteImport(ctx context.Context, accountID, id string) error
}

// Enqueuer puts tasks on the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Input is one import to submit. File must already be validated.
type Input struct {
	AccountID string
	Options   inventory.ImportOptions
	Source    inventory.ImportSource
	File      []byte
	// Env is the environment file, nil when none.
	Env            []byte
	CollectionName string
	Schema         string
	Now            time.Time
	MaxRetry       int
}

// EnqueueError wraps a failure to enqueue (the queue is unavailable); the
// submission was undone.
type EnqueueError struct{ Err error }

func (e *EnqueueError) Error() string { return "enqueue import: " + e.Err.Error() }
func (e *EnqueueError) Unwrap() error { return e.Err }

// Submit stores and enqueues an import and returns its document.
func Submit(ctx context.Context, st Store, q Enqueuer, in Input) (inventory.Import, error) {
	imp := inventory.Import{
		ID:             ids.New("imp", in.Now),
		AccountID:      in.AccountID,
		Status:         inventory.StatusQueued,
		Options:        in.Options,
		Source:         in.Source,
		CollectionName: in.CollectionName,
		Schema:         in.Schema,
		Counts:         inventory.NewCounts(),
		CreatedAt:      in.Now,
	}
	imp.Source.FileBytes = int64(len(in.File))
	imp.Source.FileBlobID = imp.ID + ".collection"
	if in.Env != nil {
		imp.Source.EnvBlobID = imp.ID + ".environment"
	}
	undo := func(err error) (inventory.Import, error) {
		// A fresh context: the request's may be what failed.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.DeleteImport(ctx, imp.AccountID, imp.ID)
		_ = st.DeleteBlob(ctx, imp.Source.FileBlobID)
		if imp.Source.EnvBlobID != "" {
			_ = st.DeleteBlob(ctx, imp.Source.EnvBlobID)
		}
		return inventory.Import{}, err
	}
	if err := st.PutBlob(ctx, imp.Source.FileBlobID, in.File); err != nil {
		return undo(err)
	}
	if in.Env != nil {
		if err := st.PutBlob(ctx, imp.Source.EnvBlobID, in.Env); err != nil {
			return undo(err)
		}
	}
	if err := st.CreateImport(ctx, imp); err != nil {
		return undo(err)
	}
	task, err := tasks.NewImportCollection(tasks.ImportCollection{ImportID: imp.ID, AccountID: imp.AccountID}, in.MaxRetry)
	if err != nil {
		return undo(err)
	}
	if _, err := q.EnqueueContext(ctx, task); err != nil {
		return undo(&EnqueueError{Err: fmt.Errorf("%w", err)})
	}
	return imp, nil
}
