package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/inventory"
)

// UpsertCollection creates an API collection or updates its name, schema,
// last import and update time (creation time is kept).
func (s *Store) UpsertCollection(ctx context.Context, c inventory.Collection) error {
	err := s.upsertCollection(ctx, c)
	if mongo.IsDuplicateKeyError(err) {
		// Two upserts raced to insert the same id; the loser now updates.
		err = s.upsertCollection(ctx, c)
	}
	return err
}

func (s *Store) upsertCollection(ctx context.Context, c inventory.Collection) error {
	_, err := s.db.Collection(colCollections).UpdateOne(ctx, byAccount(c.AccountID, c.ID), bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "name", Value: c.Name},
			{Key: "postman_id", Value: c.PostmanID},
			{Key: "schema", Value: c.Schema},
			{Key: "last_import_id", Value: c.LastImportID},
			{Key: "updated_at", Value: c.UpdatedAt},
		}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "created_at", Value: c.CreatedAt}}},
	}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: upsert collection: %w", err)
	}
	return nil
}

// GetCollection returns an API collection of an account.
func (s *Store) GetCollection(ctx context.Context, accountID, id string) (inventory.Collection, error) {
	return findOne[inventory.Collection](ctx, s.db.Collection(colCollections), byAccount(accountID, id))
}

// ListCollections lists an account's API collections in id order.
func (s *Store) ListCollections(ctx context.Context, accountID string, p Page) ([]inventory.Collection, error) {
	return page[inventory.Collection](ctx, s.db.Collection(colCollections), bson.D{{Key: "account_id", Value: accountID}}, p, false)
}

// ListEndpoints lists a collection's endpoints in id order.
func (s *Store) ListEndpoints(ctx context.Context, accountID, collectionID string, p Page) ([]inventory.Endpoint, error) {
	return page[inventory.Endpoint](ctx, s.db.Collection(colEndpoints), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "collection_id", Value: collectionID},
	}, p, false)
}

// GetEndpoint returns an endpoint of an account.
func (s *Store) GetEndpoint(ctx context.Context, accountID, id string) (inventory.Endpoint, error) {
	return findOne[inventory.Endpoint](ctx, s.db.Collection(colEndpoints), byAccount(accountID, id))
}

// fewIDs is the most ids EndpointsByID looks up one by one.
const fewIDs = 8

// EndpointsByID returns the endpoints of an account among ids (missing ones
// are simply absent).
func (s *Store) EndpointsByID(ctx context.Context, accountID string, ids []string) ([]inventory.Endpoint, error) {
	var out []inventory.Endpoint
	if len(ids) <= fewIDs {
		// One _id lookup each: FerretDB answers {_id: x} from its index but
		// scans the whole collection for $in (MongoDB does both from the
		// index). The account is checked on the document.
		for _, id := range ids {
			ep, err := findOne[inventory.Endpoint](ctx, s.db.Collection(colEndpoints), bson.D{{Key: "_id", Value: id}})
			if errors.Is(err, ErrNotFound) || err == nil && ep.AccountID != accountID {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("store: endpoints by id: %w", err)
			}
			if !slices.ContainsFunc(out, func(e inventory.Endpoint) bool { return e.ID == id }) {
				out = append(out, ep)
			}
		}
		return out, nil
	}
	err := chunked(ids, func(part []string) error {
		eps, err := findAll[inventory.Endpoint](ctx, s.db.Collection(colEndpoints), bson.D{
			{Key: "account_id", Value: accountID}, {Key: "_id", Value: bson.D{{Key: "$in", Value: part}}},
		})
		out = append(out, eps...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: endpoints by id: %w", err)
	}
	return out, nil
}

// SaveEndpoints writes merged endpoints with optimistic concurrency: an
// endpoint of Version 1 must not exist yet; any other must still have
// Version-1 in the database. When another writer got there first the whole
// call returns ErrConflict (after writing what did not conflict): the caller
// reloads and merges again, which is safe because merging is idempotent.
func (s *Store) SaveEndpoints(ctx context.Context, eps []inventory.Endpoint) error {
	conflict := false
	c := s.db.Collection(colEndpoints)
	err := chunked(eps, func(part []inventory.Endpoint) error {
		// New endpoints are inserted (an existing one is a conflict: another
		// writer created it first); known ones are replaced if their version
		// is still the one merged from.
		var fresh []any
		var models []mongo.WriteModel
		for _, ep := range part {
			if ep.Version == 1 {
				fresh = append(fresh, ep)
				continue
			}
			filter := bson.D{{Key: "_id", Value: ep.ID}, {Key: "account_id", Value: ep.AccountID}, {Key: "version", Value: ep.Version - 1}}
			models = append(models, mongo.NewReplaceOneModel().SetFilter(filter).SetReplacement(ep))
		}
		if len(fresh) > 0 {
			_, err := c.InsertMany(ctx, fresh, options.InsertMany().SetOrdered(false))
			if _, dup := duplicateIndices(err); dup {
				conflict = true
			} else if err != nil {
				return err
			}
		}
		if len(models) > 0 {
			res, err := c.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
			if err != nil {
				return err
			}
			if res.MatchedCount != int64(len(models)) {
				conflict = true
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save endpoints: %w", err)
	}
	if conflict {
		return ErrConflict
	}
	return nil
}

// SaveSamples writes samples; a sample with an id already stored is
// replaced, so writing the same samples twice stores them once.
func (s *Store) SaveSamples(ctx context.Context, samples []inventory.Sample) error {
	err := chunked(samples, func(part []inventory.Sample) error {
		docs, ids := make([]any, len(part)), make([]string, len(part))
		for i, sm := range part {
			docs[i], ids[i] = sm, sm.ID
		}
		return insertOrReplace(ctx, s.db.Collection(colSamples), docs, ids)
	})
	if err != nil {
		return fmt.Errorf("store: save samples: %w", err)
	}
	return nil
}

// deleteChunk is the most ids one DeleteSamples statement names. FerretDB
// answers an $in by scanning the collection, and commits each delete
// statement on its own (a delete of one _id cost 9 ms, mostly the commit):
// few statements with many ids each are cheapest there, and MongoDB
// answers them from the _id index.
const deleteChunk = 1000

// DeleteSamples removes samples of an account by id.
func (s *Store) DeleteSamples(ctx context.Context, accountID string, ids []string) error {
	err := chunkedBy(ids, deleteChunk, func(part []string) error {
		_, err := s.db.Collection(colSamples).DeleteMany(ctx, bson.D{
			{Key: "account_id", Value: accountID}, {Key: "_id", Value: bson.D{{Key: "$in", Value: part}}},
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete samples: %w", err)
	}
	return nil
}

// SamplesByID returns an account's samples among ids, in the order of ids.
func (s *Store) SamplesByID(ctx context.Context, accountID string, ids []string) ([]inventory.Sample, error) {
	byID := map[string]inventory.Sample{}
	err := chunked(ids, func(part []string) error {
		list, err := findAll[inventory.Sample](ctx, s.db.Collection(colSamples), bson.D{
			{Key: "account_id", Value: accountID}, {Key: "_id", Value: bson.D{{Key: "$in", Value: part}}},
		})
		for _, sm := range list {
			byID[sm.ID] = sm
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: samples by id: %w", err)
	}
	out := make([]inventory.Sample, 0, len(ids))
	for _, id := range ids {
		if sm, ok := byID[id]; ok {
			out = append(out, sm)
		}
	}
	return out, nil
}

// CollectionEndpoints returns every endpoint of a collection, removed ones
// included, in id order.
func (s *Store) CollectionEndpoints(ctx context.Context, accountID, collectionID string) ([]inventory.Endpoint, error) {
	eps, err := findAll[inventory.Endpoint](ctx, s.db.Collection(colEndpoints), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "collection_id", Value: collectionID},
	}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: collection endpoints: %w", err)
	}
	return eps, nil
}

// EndpointTemplates returns a collection's endpoints with only what
// templating reads (id, method, host, path, path parameters), for
// inventory.PlanOptions.Known.
func (s *Store) EndpointTemplates(ctx context.Context, accountID, collectionID string) ([]inventory.Endpoint, error) {
	eps, err := findAll[inventory.Endpoint](ctx, s.db.Collection(colEndpoints), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "collection_id", Value: collectionID},
	}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{
		{Key: "method", Value: 1}, {Key: "host", Value: 1}, {Key: "path", Value: 1}, {Key: "path_params", Value: 1},
	}))
	if err != nil {
		return nil, fmt.Errorf("store: endpoint templates: %w", err)
	}
	return eps, nil
}
