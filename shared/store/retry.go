package store

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// upsertAttempts bounds retryUpsert.
const upsertAttempts = 3

// retryUpsert runs an idempotent upsert again when it lost a race: two
// concurrent upserts of one _id can both try to insert, and the loser fails
// with a duplicate key error (MongoDB retries that itself for simple
// upserts, FerretDB does not). The retry finds the document and updates it.
func retryUpsert(op func() error) error {
	var err error
	for range upsertAttempts {
		if err = op(); !mongo.IsDuplicateKeyError(err) {
			return err
		}
	}
	return err
}

// insertOrReplace writes docs (ids[i] is docs[i]'s _id) as inserts, and
// replaces by _id only those that already existed. Writing the same
// documents twice stores them once, like an upsert, but the common case (new
// documents) costs an insert: FerretDB looks a document up by scanning its
// collection for each upsert, while an insert only meets the unique _id
// index. At most MaxBulk documents.
func insertOrReplace(ctx context.Context, c *mongo.Collection, docs []any, ids []string) error {
	if len(docs) == 0 {
		return nil
	}
	_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return nil
	}
	dups, ok := duplicateIndices(err)
	if !ok {
		return err
	}
	for _, i := range dups {
		if err := retryUpsert(func() error {
			_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: ids[i]}}, docs[i], options.Replace().SetUpsert(true))
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// duplicateIndices returns the positions of the documents of a bulk
// insert that failed only because their _id existed; ok is false when
// anything else went wrong.
func duplicateIndices(err error) (idx []int, ok bool) {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return nil, false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return nil, false
		}
		idx = append(idx, we.Index)
	}
	return idx, true
}
