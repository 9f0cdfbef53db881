package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/workspace"
)

// Collections of workspace import.
const (
	colCredentials = "postman_credentials"
	colSyncs       = "syncs"
	colSchedules   = "schedules"
)

// ErrExists is returned when creating a document whose id is taken.
var ErrExists = errors.New("already exists")

// ensureWorkspaceIndexes creates the indexes of workspace import.
func (s *Store) ensureWorkspaceIndexes(ctx context.Context) error {
	idx := []struct {
		col  string
		keys bson.D
	}{
		{colCredentials, bson.D{{Key: "account_id", Value: 1}, {Key: "_id", Value: 1}}},
		{colSyncs, bson.D{{Key: "account_id", Value: 1}, {Key: "workspace_id", Value: 1}, {Key: "_id", Value: -1}}},
		{colSchedules, bson.D{{Key: "account_id", Value: 1}, {Key: "credential_id", Value: 1}}},
		{colEndpoints, bson.D{{Key: "account_id", Value: 1}, {Key: "collection_id", Value: 1}, {Key: "removed_at", Value: 1}}},
	}
	for _, i := range idx {
		if _, err := s.db.Collection(i.col).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: i.keys}); err != nil {
			return fmt.Errorf("store: index on %s: %w", i.col, err)
		}
	}
	return nil
}

// CreateCredential stores a credential (its key already sealed).
func (s *Store) CreateCredential(ctx context.Context, c workspace.Credential) error {
	if _, err := s.db.Collection(colCredentials).InsertOne(ctx, c); err != nil {
		return fmt.Errorf("store: create credential: %w", err)
	}
	return nil
}

// GetCredential returns a credential of an account.
func (s *Store) GetCredential(ctx context.Context, accountID, id string) (workspace.Credential, error) {
	return findOne[workspace.Credential](ctx, s.db.Collection(colCredentials), byAccount(accountID, id))
}

// ListCredentials lists an account's credentials, newest first.
func (s *Store) ListCredentials(ctx context.Context, accountID string, p Page) ([]workspace.Credential, error) {
	return page[workspace.Credential](ctx, s.db.Collection(colCredentials), bson.D{{Key: "account_id", Value: accountID}}, p, true)
}

// DeleteCredential removes a credential; ErrNotFound when there is none.
func (s *Store) DeleteCredential(ctx context.Context, accountID, id string) error {
	res, err := s.db.Collection(colCredentials).DeleteOne(ctx, byAccount(accountID, id))
	if err != nil {
		return fmt.Errorf("store: delete credential: %w", err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// ResealCredential replaces a credential's sealed key (key rotation).
func (s *Store) ResealCredential(ctx context.Context, accountID, id string, sealed secret.Sealed) error {
	_, err := s.db.Collection(colCredentials).UpdateOne(ctx, byAccount(accountID, id),
		bson.D{{Key: "$set", Value: bson.D{{Key: "sealed", Value: sealed}}}})
	return err
}

// TouchCredential records that a credential was used.
func (s *Store) TouchCredential(ctx context.Context, accountID, id string, now time.Time) error {
	_, err := s.db.Collection(colCredentials).UpdateOne(ctx, byAccount(accountID, id),
		bson.D{{Key: "$set", Value: bson.D{{Key: "last_used_at", Value: now}}}})
	return err
}

// CreateSync stores a new sync; ErrExists when its id is taken (a scheduled
// sync another process already created).
func (s *Store) CreateSync(ctx context.Context, sy workspace.Sync) error {
	_, err := s.db.Collection(colSyncs).InsertOne(ctx, sy)
	if mongo.IsDuplicateKeyError(err) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: create sync: %w", err)
	}
	return nil
}

// GetSync returns a sync of an account.
func (s *Store) GetSync(ctx context.Context, accountID, id string) (workspace.Sync, error) {
	return findOne[workspace.Sync](ctx, s.db.Collection(colSyncs), byAccount(accountID, id))
}

// DeleteSync removes a sync (used to undo one that could not be enqueued).
func (s *Store) DeleteSync(ctx context.Context, accountID, id string) error {
	_, err := s.db.Collection(colSyncs).DeleteOne(ctx, byAccount(accountID, id))
	return err
}

// ListSyncs lists the syncs of a workspace, newest first.
func (s *Store) ListSyncs(ctx context.Context, accountID, workspaceID string, p Page) ([]workspace.Sync, error) {
	return page[workspace.Sync](ctx, s.db.Collection(colSyncs), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "workspace_id", Value: workspaceID},
	}, p, true)
}

// LastCompletedSync returns the newest completed sync of a workspace older
// than the sync beforeID; ErrNotFound when there is none.
func (s *Store) LastCompletedSync(ctx context.Context, accountID, workspaceID, beforeID string) (workspace.Sync, error) {
	list, err := findAll[workspace.Sync](ctx, s.db.Collection(colSyncs), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "workspace_id", Value: workspaceID},
		{Key: "status", Value: workspace.StatusCompleted}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: beforeID}}},
	}, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(1))
	if err != nil {
		return workspace.Sync{}, fmt.Errorf("store: last completed sync: %w", err)
	}
	if len(list) == 0 {
		return workspace.Sync{}, ErrNotFound
	}
	return list[0], nil
}

// StartSync marks a sync running and counts the attempt. It returns the
// sync as it was before; a finished sync is returned unchanged.
func (s *Store) StartSync(ctx context.Context, accountID, id string, now time.Time) (workspace.Sync, error) {
	sy, err := s.GetSync(ctx, accountID, id)
	if err != nil || sy.Finished() {
		return sy, err
	}
	set := bson.D{{Key: "status", Value: workspace.StatusRunning}}
	if sy.StartedAt == nil {
		set = append(set, bson.E{Key: "started_at", Value: now})
	}
	_, err = s.db.Collection(colSyncs).UpdateOne(ctx, byAccount(accountID, id), bson.D{
		{Key: "$set", Value: set},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
	})
	if err != nil {
		return sy, fmt.Errorf("store: start sync: %w", err)
	}
	return sy, nil
}

// SaveSyncProgress records what a running sync has done so far, so a
// redelivered task carries on where it stopped.
func (s *Store) SaveSyncProgress(ctx context.Context, sy workspace.Sync) error {
	_, err := s.db.Collection(colSyncs).UpdateOne(ctx, append(byAccount(sy.AccountID, sy.ID),
		bson.E{Key: "status", Value: workspace.StatusRunning}), bson.D{{Key: "$set", Value: bson.D{
		{Key: "workspace_name", Value: sy.WorkspaceName},
		{Key: "collections", Value: sy.Collections},
		{Key: "environments", Value: sy.Environments},
		{Key: "counts", Value: workspace.CountOutcomes(sy.Collections)},
	}}})
	if err != nil {
		return fmt.Errorf("store: save sync progress: %w", err)
	}
	return nil
}

// FinishSync records a sync's end (status, error, final outcomes). It only
// moves a sync that is not finished yet, and reports whether it did.
func (s *Store) FinishSync(ctx context.Context, sy workspace.Sync, now time.Time) (bool, error) {
	filter := append(byAccount(sy.AccountID, sy.ID), bson.E{Key: "status", Value: bson.D{
		{Key: "$in", Value: bson.A{workspace.StatusQueued, workspace.StatusRunning}},
	}})
	res, err := s.db.Collection(colSyncs).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: sy.Status},
		{Key: "error", Value: sy.Error},
		{Key: "workspace_name", Value: sy.WorkspaceName},
		{Key: "collections", Value: sy.Collections},
		{Key: "environments", Value: sy.Environments},
		{Key: "counts", Value: workspace.CountOutcomes(sy.Collections)},
		{Key: "finished_at", Value: now},
	}}})
	if err != nil {
		return false, fmt.Errorf("store: finish sync: %w", err)
	}
	return res.ModifiedCount == 1, nil
}

// PutSchedule creates or replaces the schedule of a workspace (its creation
// time is kept).
func (s *Store) PutSchedule(ctx context.Context, sc workspace.Schedule) error {
	_, err := s.db.Collection(colSchedules).UpdateOne(ctx, byAccount(sc.AccountID, sc.ID), bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "workspace_id", Value: sc.WorkspaceID},
			{Key: "cron", Value: sc.Cron},
			{Key: "credential_id", Value: sc.CredentialID},
			{Key: "environment_id", Value: sc.EnvironmentID},
			{Key: "options", Value: sc.Options},
			{Key: "updated_at", Value: sc.UpdatedAt},
		}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "created_at", Value: sc.CreatedAt}}},
	}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: put schedule: %w", err)
	}
	return nil
}

// GetSchedule returns a schedule of an account by id.
func (s *Store) GetSchedule(ctx context.Context, accountID, id string) (workspace.Schedule, error) {
	return findOne[workspace.Schedule](ctx, s.db.Collection(colSchedules), byAccount(accountID, id))
}

// DeleteSchedule removes a schedule; ErrNotFound when there is none.
func (s *Store) DeleteSchedule(ctx context.Context, accountID, id string) error {
	res, err := s.db.Collection(colSchedules).DeleteOne(ctx, byAccount(accountID, id))
	if err != nil {
		return fmt.Errorf("store: delete schedule: %w", err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// AllSchedules returns every schedule of every account (the scheduler's
// configuration).
func (s *Store) AllSchedules(ctx context.Context) ([]workspace.Schedule, error) {
	list, err := findAll[workspace.Schedule](ctx, s.db.Collection(colSchedules), bson.D{},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: all schedules: %w", err)
	}
	return list, nil
}

// SchedulesUsingCredential returns the schedules of an account that use a
// credential.
func (s *Store) SchedulesUsingCredential(ctx context.Context, accountID, credentialID string) ([]workspace.Schedule, error) {
	return findAll[workspace.Schedule](ctx, s.db.Collection(colSchedules), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "credential_id", Value: credentialID},
	})
}

// ImportsByID returns the imports of an account among ids.
func (s *Store) ImportsByID(ctx context.Context, accountID string, ids []string) ([]inventory.Import, error) {
	var out []inventory.Import
	err := chunked(ids, func(part []string) error {
		list, err := findAll[inventory.Import](ctx, s.db.Collection(colImports), bson.D{
			{Key: "account_id", Value: accountID}, {Key: "_id", Value: bson.D{{Key: "$in", Value: part}}},
		})
		out = append(out, list...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: imports by id: %w", err)
	}
	return out, nil
}

// CollectionEndpointIDs returns the ids of a collection's endpoints that are
// not marked removed.
func (s *Store) CollectionEndpointIDs(ctx context.Context, accountID, collectionID string) ([]string, error) {
	type idDoc struct {
		ID string `bson:"_id"`
	}
	docs, err := findAll[idDoc](ctx, s.db.Collection(colEndpoints), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "collection_id", Value: collectionID},
		{Key: "removed_at", Value: bson.D{{Key: "$exists", Value: false}}},
	}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: collection endpoint ids: %w", err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// MarkEndpointsRemoved stamps removed_at on endpoints a collection no
// longer contains (they are kept, with their samples). Endpoints already
// marked keep their first removal time.
func (s *Store) MarkEndpointsRemoved(ctx context.Context, accountID string, ids []string, now time.Time) error {
	err := chunked(ids, func(part []string) error {
		_, err := s.db.Collection(colEndpoints).UpdateMany(ctx, bson.D{
			{Key: "account_id", Value: accountID}, {Key: "_id", Value: bson.D{{Key: "$in", Value: part}}},
			{Key: "removed_at", Value: bson.D{{Key: "$exists", Value: false}}},
		}, bson.D{
			{Key: "$set", Value: bson.D{{Key: "removed_at", Value: now}, {Key: "removed", Value: true}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}},
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark endpoints removed: %w", err)
	}
	return nil
}
