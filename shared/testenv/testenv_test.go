package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "Shutdown:", err)
		code = 1
	}
	if code == 0 {
		// Everything testenv started (lease refreshers, FerretDB, clients)
		// must be gone by now.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// claimed records DBs held by this process's tests, to detect overlaps.
var claimed sync.Map

func holdRedisDB(t *testing.T, hold time.Duration) {
	t.Helper()
	ctx := context.Background()
	opts := Redis(t)
	require.GreaterOrEqual(t, opts.DB, 1)
	require.LessOrEqual(t, opts.DB, 15)
	if _, dup := claimed.LoadOrStore(opts.DB, t.Name()); dup {
		t.Fatalf("DB %d handed out twice in one process", opts.DB)
	}
	defer claimed.Delete(opts.DB)

	c := redis.NewClient(opts)
	defer c.Close()

	n, err := c.DBSize(ctx).Result()
	require.NoError(t, err)
	require.Zero(t, n, "claimed DB %d must start empty", opts.DB)

	// A marker unique to this holder: if another process or test used the
	// same DB concurrently, it would flush or overwrite it.
	start := time.Now()
	marker := t.Name() + "/" + strconv.Itoa(os.Getpid())
	require.NoError(t, c.Set(ctx, "owner", marker, 0).Err())
	time.Sleep(hold)
	got, err := c.Get(ctx, "owner").Result()
	require.NoError(t, err, "DB %d was flushed by someone else", opts.DB)
	require.Equal(t, marker, got, "DB %d was used by someone else", opts.DB)
	n, err = c.DBSize(ctx).Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	t.Logf("pid %d %s held DB %d from %d to %d", os.Getpid(), t.Name(), opts.DB, start.UnixMilli(), time.Now().UnixMilli())
}

func TestRedisParallelClaims(t *testing.T) {
	var mu sync.Mutex
	dbs := map[int]bool{}
	t.Run("group", func(t *testing.T) {
		for i := range 2 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				opts := Redis(t)
				mu.Lock()
				assert.False(t, dbs[opts.DB], "DB %d claimed twice", opts.DB)
				dbs[opts.DB] = true
				mu.Unlock()
				c := redis.NewClient(opts)
				defer c.Close()
				n, err := c.DBSize(context.Background()).Result()
				require.NoError(t, err)
				assert.Zero(t, n)
				time.Sleep(200 * time.Millisecond) // overlap both claims
			})
		}
	})
	assert.Len(t, dbs, 2)
}

// TestRedisContention runs more holders than there are databases, so some
// must wait for a release. Run two of these test binaries at once to check
// cross-process exclusivity.
func TestRedisContention(t *testing.T) {
	for i := range 20 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			holdRedisDB(t, 300*time.Millisecond)
		})
	}
}

func TestRedisCleanupFlushesAndReleases(t *testing.T) {
	var db int
	var key string
	t.Run("use", func(t *testing.T) {
		c := RedisClient(t)
		db = c.Options().DB
		key = leaseKey(db)
		require.NoError(t, c.Set(context.Background(), "leftover", "x", 0).Err())
		opt := AsynqOpt(c.Options())
		assert.Equal(t, db, opt.DB)
		assert.Equal(t, c.Options().Addr, opt.Addr)
	})
	base, err := redis.ParseURL(DefaultRedisURL)
	if u := os.Getenv("APISCOUT_TEST_REDIS_URL"); u != "" {
		base, err = redis.ParseURL(u)
	}
	require.NoError(t, err)
	ctx := context.Background()
	c := redis.NewClient(withDB(base, db))
	defer c.Close()
	// Another process may already have re-claimed the DB; then the lease
	// token differs and the DB content is theirs. Only check when free.
	c0 := redis.NewClient(withDB(base, 0))
	defer c0.Close()
	if n, _ := c0.Exists(ctx, key).Result(); n == 0 {
		n, err := c.Exists(ctx, "leftover").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "DB must be flushed on release")
	}
}

func TestMongoDistinctDatabases(t *testing.T) {
	ctx := context.Background()
	var names []string
	for range 2 {
		t.Run("db", func(t *testing.T) {
			client, db := MongoClient(t)
			names = append(names, db.Name())
			_, err := db.Collection("c").InsertOne(ctx, bson.M{"db": db.Name()})
			require.NoError(t, err)
			n, err := db.Collection("c").CountDocuments(ctx, bson.M{})
			require.NoError(t, err)
			assert.EqualValues(t, 1, n, "fresh database must only hold our document")

			list, err := client.ListDatabaseNames(ctx, bson.M{"name": db.Name()})
			require.NoError(t, err)
			assert.Equal(t, []string{db.Name()}, list)
		})
	}
	require.Len(t, names, 2)
	assert.NotEqual(t, names[0], names[1])

	// Cleanup dropped them.
	uri, other := Mongo(t)
	assert.NotContains(t, names, other)
	client, _ := MongoClient(t)
	list, err := client.ListDatabaseNames(ctx, bson.M{})
	require.NoError(t, err)
	for _, n := range names {
		assert.NotContains(t, list, n, "database %s not dropped", n)
	}
	assert.Contains(t, uri, "mongodb://")
}
