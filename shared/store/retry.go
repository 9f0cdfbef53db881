package store

import "go.mongodb.org/mongo-driver/mongo"

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
