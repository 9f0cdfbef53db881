package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
)

// CreateImport stores a new import document.
func (s *Store) CreateImport(ctx context.Context, imp inventory.Import) error {
	if _, err := s.db.Collection(colImports).InsertOne(ctx, imp); err != nil {
		return fmt.Errorf("store: create import: %w", err)
	}
	return nil
}

// GetImport returns an import of an account.
func (s *Store) GetImport(ctx context.Context, accountID, id string) (inventory.Import, error) {
	return findOne[inventory.Import](ctx, s.db.Collection(colImports), byAccount(accountID, id))
}

// ListImports lists an account's imports, newest first.
func (s *Store) ListImports(ctx context.Context, accountID string, p Page) ([]inventory.Import, error) {
	return page[inventory.Import](ctx, s.db.Collection(colImports), bson.D{{Key: "account_id", Value: accountID}}, p, true)
}

// DeleteImport removes an import document (used to undo a submission that
// could not be enqueued).
func (s *Store) DeleteImport(ctx context.Context, accountID, id string) error {
	_, err := s.db.Collection(colImports).DeleteOne(ctx, byAccount(accountID, id))
	return err
}

// StartImport marks an import running and counts the attempt. It returns the
// import as it was before; a finished import is returned unchanged.
func (s *Store) StartImport(ctx context.Context, accountID, id string, now time.Time) (inventory.Import, error) {
	imp, err := s.GetImport(ctx, accountID, id)
	if err != nil || imp.Status == inventory.StatusCompleted || imp.Status == inventory.StatusFailed {
		return imp, err
	}
	set := bson.D{{Key: "status", Value: inventory.StatusRunning}}
	if imp.StartedAt == nil {
		set = append(set, bson.E{Key: "started_at", Value: now})
	}
	_, err = s.db.Collection(colImports).UpdateOne(ctx, byAccount(accountID, id), bson.D{
		{Key: "$set", Value: set},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
	})
	if err != nil {
		return imp, fmt.Errorf("store: start import: %w", err)
	}
	return imp, nil
}

// ImportResult is how an import ended.
type ImportResult struct {
	Status         string
	CollectionID   string
	CollectionName string
	Schema         string
	Counts         inventory.Counts
	// Changes sums up what the import changed in its collection (nil when
	// it did not get to record that).
	Changes *changes.Summary
	Error   string
}

// FinishImport records an import's end. It only moves an import that is not
// already finished, and reports whether it did.
func (s *Store) FinishImport(ctx context.Context, accountID, id string, r ImportResult, now time.Time) (bool, error) {
	filter := append(byAccount(accountID, id), bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{inventory.StatusQueued, inventory.StatusRunning}}}})
	set := bson.D{
		{Key: "status", Value: r.Status},
		{Key: "collection_id", Value: r.CollectionID},
		{Key: "collection_name", Value: r.CollectionName},
		{Key: "schema", Value: r.Schema},
		{Key: "counts", Value: r.Counts},
		{Key: "error", Value: r.Error},
		{Key: "finished_at", Value: now},
	}
	if r.Changes != nil {
		set = append(set, bson.E{Key: "changes", Value: r.Changes})
	}
	res, err := s.db.Collection(colImports).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return false, fmt.Errorf("store: finish import: %w", err)
	}
	return res.ModifiedCount == 1, nil
}

func byAccount(accountID, id string) bson.D {
	return bson.D{{Key: "_id", Value: id}, {Key: "account_id", Value: accountID}}
}

// ImportChanges returns the summary of what a finished import changed, as
// FinishImport recorded it; nil when it recorded none (a failed import, or
// one finished by a version that did not record summaries).
func (s *Store) ImportChanges(ctx context.Context, accountID, id string) (*changes.Summary, error) {
	var doc struct {
		Changes *changes.Summary `bson:"changes"`
	}
	err := s.db.Collection(colImports).FindOne(ctx, byAccount(accountID, id),
		options.FindOne().SetProjection(bson.D{{Key: "changes", Value: 1}})).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: import changes: %w", err)
	}
	return doc.Changes, nil
}
