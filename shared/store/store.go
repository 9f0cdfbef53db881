// Package store keeps apiscout's documents in MongoDB through the official
// driver. It is written for what MongoDB 7 and FerretDB v1 both do: plain
// CRUD, update operators, indexes and small bulk writes (at most
// MaxBulk operations each: FerretDB deadlocks on larger bulk updates). No
// transactions, no change streams, no $push with $slice.
//
// Every query filters on the account id; a document of another account is
// reported as ErrNotFound.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
)

// MaxBulk is the largest number of operations sent in one bulk write.
const MaxBulk = 40

// Collection names.
const (
	colAccounts    = "accounts"
	colTokens      = "tokens"
	colBlobChunks  = "blob_chunks"
	colImports     = "imports"
	colCollections = "api_collections"
	colEndpoints   = "endpoints"
	colSamples     = "samples"
)

var (
	// ErrNotFound is returned for a missing document, or one of another account.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a document changed since it was read.
	ErrConflict = errors.New("concurrent update")
)

// Store is a MongoDB-backed store.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
}

// Open connects to uri and selects database name. It does not wait for the
// server; use Ping for readiness.
func Open(ctx context.Context, uri, name string) (*Store, error) {
	opts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(5 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetAppName("apiscout").
		SetRegistry(registry())
	client, err := mongo.Connect(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return &Store{client: client, db: client.Database(name)}, nil
}

// Close disconnects.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Ping checks the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx, readpref.Primary()) }

// EnsureIndexes creates the indexes queries rely on; it is idempotent and
// every binary calls it at start.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := []struct {
		col    string
		keys   bson.D
		unique bool
	}{
		{colTokens, bson.D{{Key: "account_id", Value: 1}}, false},
		{colBlobChunks, bson.D{{Key: "blob_id", Value: 1}, {Key: "n", Value: 1}}, true},
		{colImports, bson.D{{Key: "account_id", Value: 1}, {Key: "_id", Value: -1}}, false},
		{colCollections, bson.D{{Key: "account_id", Value: 1}, {Key: "_id", Value: 1}}, false},
		{colEndpoints, bson.D{{Key: "account_id", Value: 1}, {Key: "collection_id", Value: 1}, {Key: "_id", Value: 1}}, false},
		// The endpoint list's orders (QueryEndpoints), and its filters on
		// array fields (multikey on MongoDB).
		{colEndpoints, endpointKeys("path", "method", "host", "_id"), false},
		{colEndpoints, endpointKeys("method", "path", "host", "_id"), false},
		{colEndpoints, endpointKeys("host", "path", "method", "_id"), false},
		{colEndpoints, endpointKeys("last_seen", "_id"), false},
		{colEndpoints, endpointKeys("auth_types"), false},
		{colEndpoints, endpointKeys("sensitive_types"), false},
		{colEndpoints, endpointKeys("status_codes"), false},
		{colSamples, bson.D{{Key: "account_id", Value: 1}, {Key: "endpoint_id", Value: 1}}, false},
		{colChanges, bson.D{{Key: "account_id", Value: 1}, {Key: "collection_id", Value: 1}, {Key: "import_id", Value: -1}, {Key: "_id", Value: 1}}, false},
		{colChanges, bson.D{{Key: "account_id", Value: 1}, {Key: "import_id", Value: 1}}, false},
	}
	for _, i := range idx {
		m := mongo.IndexModel{Keys: i.keys, Options: options.Index().SetUnique(i.unique)}
		if _, err := s.db.Collection(i.col).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("store: index on %s: %w", i.col, err)
		}
	}
	return s.ensureWorkspaceIndexes(ctx)
}

// endpointKeys is an index on an account's collection's endpoints, then
// fields (ascending; MongoDB walks an index either way).
func endpointKeys(fields ...string) bson.D {
	keys := bson.D{{Key: "account_id", Value: 1}, {Key: "collection_id", Value: 1}}
	for _, f := range fields {
		keys = append(keys, bson.E{Key: f, Value: 1})
	}
	return keys
}

// Page is a page of a list.
type Page struct {
	// After is the id to continue after ("" for the first page).
	After string
	// Limit is at most 1000.
	Limit int
}

// chunked calls fn with consecutive slices of at most MaxBulk elements.
func chunked[T any](items []T, fn func([]T) error) error {
	return chunkedBy(items, MaxBulk, fn)
}

// chunkedBy calls fn with consecutive slices of at most size elements.
func chunkedBy[T any](items []T, size int, fn func([]T) error) error {
	for len(items) > 0 {
		n := min(len(items), size)
		if err := fn(items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// findAll decodes every document matching filter into []T.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...*options.FindOptions) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// findOne decodes one document, mapping "no documents" to ErrNotFound.
func findOne[T any](ctx context.Context, c *mongo.Collection, filter any) (T, error) {
	var v T
	err := c.FindOne(ctx, filter).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return v, ErrNotFound
	}
	return v, err
}

// page lists documents of an account after a cursor id, in id order
// (descending when newestFirst).
func page[T any](ctx context.Context, c *mongo.Collection, filter bson.D, p Page, newestFirst bool) ([]T, error) {
	dir, op := 1, "$gt"
	if newestFirst {
		dir, op = -1, "$lt"
	}
	if p.After != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: op, Value: p.After}}})
	}
	return findAll[T](ctx, c, filter, options.Find().
		SetSort(bson.D{{Key: "_id", Value: dir}}).
		SetLimit(int64(p.Limit)))
}
