package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

func startMongo(t *testing.T, cfg MongoConfig) *Mongo {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	m, err := StartMongo(ctx, cfg)
	require.NoError(t, err)
	t.Logf("FerretDB started in %v at %s", time.Since(start), m.URI())
	t.Cleanup(func() { assert.NoError(t, m.Close()) })
	return m
}

func exerciseMongo(t *testing.T, uri string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	require.NoError(t, err)
	defer func() { assert.NoError(t, client.Disconnect(context.Background())) }()

	coll := client.Database(fmt.Sprintf("devstack_%d", time.Now().UnixNano())).Collection("items")
	defer func() { assert.NoError(t, coll.Database().Drop(context.Background())) }()

	_, err = coll.InsertOne(ctx, bson.M{"tenant": "a", "name": "x", "n": 1})
	require.NoError(t, err)

	var got bson.M
	require.NoError(t, coll.FindOne(ctx, bson.M{"tenant": "a", "name": "x"}).Decode(&got))
	assert.EqualValues(t, 1, got["n"])

	_, err = coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "tenant", Value: 1}, {Key: "name", Value: 1}},
		Options: options.Index().SetUnique(true),
	})
	require.NoError(t, err)

	_, err = coll.InsertOne(ctx, bson.M{"tenant": "a", "name": "y"})
	require.NoError(t, err)
	_, err = coll.InsertOne(ctx, bson.M{"tenant": "a", "name": "x"})
	require.Error(t, err)
	assert.True(t, mongo.IsDuplicateKeyError(err), "want E11000, got %v", err)
	assert.Contains(t, err.Error(), "E11000")

	// Rough insert rate, for the record.
	const n = 500
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.M{"tenant": "bulk", "name": fmt.Sprint(i)}
	}
	start := time.Now()
	_, err = coll.InsertMany(ctx, docs)
	require.NoError(t, err)
	many := time.Since(start)
	start = time.Now()
	for i := range 200 {
		_, err = coll.InsertOne(ctx, bson.M{"tenant": "one", "name": fmt.Sprint(i)})
		require.NoError(t, err)
	}
	one := time.Since(start)
	t.Logf("InsertMany: %.0f docs/s; InsertOne: %.0f docs/s",
		n/many.Seconds(), 200/one.Seconds())

	cnt, err := coll.CountDocuments(ctx, bson.M{})
	require.NoError(t, err)
	assert.EqualValues(t, 2+n+200, cnt)
}

func TestMongoSQLite(t *testing.T) {
	dir := t.TempDir() + "/nested/data" // must be created
	m := startMongo(t, MongoConfig{Dir: dir})
	exerciseMongo(t, m.URI())

	_, err := os.Stat(dir)
	require.NoError(t, err)
}

func TestMongoPostgres(t *testing.T) {
	pg := os.Getenv("APISCOUT_TEST_POSTGRES_URL")
	if pg == "" {
		t.Skip("APISCOUT_TEST_POSTGRES_URL not set")
	}
	m := startMongo(t, MongoConfig{PostgresURL: pg})
	exerciseMongo(t, m.URI())
}

func TestMongoTwoInstances(t *testing.T) {
	t.Parallel()
	a := startMongo(t, MongoConfig{Dir: t.TempDir()})
	b := startMongo(t, MongoConfig{Dir: t.TempDir()})
	require.NotEqual(t, a.URI(), b.URI())

	ctx := context.Background()
	for _, m := range []*Mongo{a, b} {
		c, err := mongo.Connect(ctx, options.Client().ApplyURI(m.URI()))
		require.NoError(t, err)
		_, err = c.Database("d").Collection("c").InsertOne(ctx, bson.M{"uri": m.URI()})
		require.NoError(t, err)
		require.NoError(t, c.Disconnect(ctx))
	}
}

func TestMongoCloseWithOpenClient(t *testing.T) {
	t.Parallel()
	m, err := StartMongo(context.Background(), MongoConfig{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)

	ctx := context.Background()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(m.URI()))
	require.NoError(t, err)
	defer c.Disconnect(ctx) //nolint:errcheck
	require.NoError(t, c.Ping(ctx, nil))

	done := make(chan error, 1)
	go func() { done <- m.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung with an open client connection")
	}
	require.NoError(t, m.Close(), "second Close")
}

func TestMongoConfigErrors(t *testing.T) {
	_, err := StartMongo(context.Background(), MongoConfig{})
	require.ErrorContains(t, err, "Dir")

	// Unreachable PostgreSQL: FerretDB starts anyway, but StartMongo must
	// fail fast on the ping's InternalError instead of waiting for ctx.
	start := time.Now()
	_, err = StartMongo(context.Background(), MongoConfig{
		PostgresURL: "postgres://postgres@127.0.0.1:1/none", Logger: slog.New(slog.DiscardHandler),
	})
	require.Error(t, err)
	require.Less(t, time.Since(start), 10*time.Second)

	// Same folder twice is refused; after Close it is free again.
	dir := t.TempDir()
	first, err := StartMongo(context.Background(), MongoConfig{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	_, err = StartMongo(context.Background(), MongoConfig{Dir: dir + "/.", Logger: slog.New(slog.DiscardHandler)})
	require.ErrorContains(t, err, "already used")
	require.NoError(t, first.Close())
	startMongo(t, MongoConfig{Dir: dir})

	// Same fixed port twice: the second must fail cleanly, not panic.
	a := startMongo(t, MongoConfig{Dir: t.TempDir()})
	addr := a.URI()[len("mongodb://") : len(a.URI())-1]
	_, err = StartMongo(context.Background(), MongoConfig{Dir: t.TempDir(), Addr: addr, Logger: slog.New(slog.DiscardHandler)})
	require.Error(t, err)
	t.Log(err)
}
