// Package testenv gives tests exclusive, cleaned-up slices of the shared
// test services: a Redis logical database (on a real Redis server) and a
// MongoDB database (on one embedded FerretDB per test process).
//
// Import it only from _test.go files. Packages that use Mongo should call
// Main from TestMain so the FerretDB server and its data folder are removed
// when the test binary exits:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// Environment:
//
//   - APISCOUT_TEST_REDIS_URL: Redis server, default "redis://127.0.0.1:6379".
//     Its user/password/TLS settings are used; its database number is ignored.
//   - APISCOUT_TEST_POSTGRES_URL: when set (e.g.
//     "postgres://postgres@127.0.0.1:5432/test"), FerretDB uses its
//     PostgreSQL backend instead of SQLite in a temporary folder.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is used when APISCOUT_TEST_REDIS_URL is unset.
const DefaultRedisURL = "redis://127.0.0.1:6379"

// Lease parameters for Redis database claims.
const (
	// RedisLeaseTTL is how long a claim survives without refresh, i.e. how
	// long a database stays blocked after its test process was killed.
	RedisLeaseTTL = 2 * time.Minute
	// RedisClaimTimeout is how long Redis waits for a free database before
	// failing the test.
	RedisClaimTimeout = 2 * time.Minute

	redisLeasePrefix = "apiscout:testenv:db:"
	redisFirstDB     = 1
	redisLastDB      = 15
	leaseRefresh     = RedisLeaseTTL / 4
)

var (
	// Refresh the lease only if we still own it.
	refreshScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	// Compare-and-delete: release the lease only if we still own it.
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
)

// Redis claims an exclusive, empty Redis logical database (one of 1..15) for
// the duration of t and returns go-redis v9 options pointing at it (Addr,
// Username, Password, TLSConfig from APISCOUT_TEST_REDIS_URL; DB = the claimed
// number). Each call claims a different database, also across test processes
// running concurrently, via a lease key "apiscout:testenv:db:<n>" in DB 0
// (SET NX PX, refreshed in the background). The database is FLUSHDB'd on
// claim and again on release in t.Cleanup. When all 15 are taken it waits up
// to RedisClaimTimeout. If the server does not answer PING the test fails
// with instructions to start one.
//
// Use redis.NewClient(opts), RedisClient, or AsynqOpt(opts) for asynq.
func Redis(t testing.TB) *redis.Options {
	t.Helper()

	rawURL := os.Getenv("APISCOUT_TEST_REDIS_URL")
	if rawURL == "" {
		rawURL = DefaultRedisURL
	}
	base, err := redis.ParseURL(rawURL)
	if err != nil {
		t.Fatalf("testenv: bad APISCOUT_TEST_REDIS_URL %q: %v", rawURL, err)
	}

	// Probe with a plain dial first: go-redis would retry the dial 5 times per
	// command and log each failure through its global logger.
	admin := redis.NewClient(withDB(base, 0))
	conn, err := net.DialTimeout(base.Network, base.Addr, 2*time.Second)
	if err == nil {
		_ = conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.Ping(ctx).Err()
		cancel()
	}
	if err != nil {
		_ = admin.Close()
		t.Fatalf("redis not reachable at %s (%s): start one with `redis-server --daemonize yes --port 6379 --save '' --appendonly no` or set APISCOUT_TEST_REDIS_URL",
			base.Addr, strings.ReplaceAll(err.Error(), "\n", " "))
	}

	token := randomHex(16)
	db, err := claimDB(admin, token)
	if err != nil {
		_ = admin.Close()
		t.Fatalf("testenv: %v", err)
	}
	key := leaseKey(db)
	opts := withDB(base, db)
	dbClient := redis.NewClient(opts)

	// Start with an empty database even if a crashed process left data.
	if err := flush(dbClient); err != nil {
		_ = releaseScript.Run(context.Background(), admin, []string{key}, token).Err()
		_ = dbClient.Close()
		_ = admin.Close()
		t.Fatalf("testenv: FLUSHDB %d: %v", db, err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(leaseRefresh)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				n, err := refreshScript.Run(ctx, admin, []string{key}, token, RedisLeaseTTL.Milliseconds()).Int()
				cancel()
				if err == nil && n == 0 {
					t.Errorf("testenv: lost the lease on Redis DB %d (another process took it); test data may be clobbered", db)
					return
				}
				// Transient errors: retry on the next tick; the TTL leaves ample slack.
			}
		}
	}()

	t.Cleanup(func() {
		close(stop)
		wg.Wait()
		if err := flush(dbClient); err != nil {
			t.Errorf("testenv: FLUSHDB %d on release: %v", db, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := releaseScript.Run(ctx, admin, []string{key}, token).Err(); err != nil {
			t.Errorf("testenv: release Redis DB %d: %v", db, err)
		}
		_ = dbClient.Close()
		_ = admin.Close()
	})

	return withDB(base, db)
}

// RedisClient is Redis plus a go-redis client on the claimed database; the
// client is closed in t.Cleanup (before the database is flushed and released).
func RedisClient(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(Redis(t))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// AsynqOpt converts options returned by Redis into asynq connection options
// for the same server and database.
func AsynqOpt(o *redis.Options) asynq.RedisClientOpt {
	return asynq.RedisClientOpt{
		Network:   o.Network,
		Addr:      o.Addr,
		Username:  o.Username,
		Password:  o.Password,
		DB:        o.DB,
		TLSConfig: o.TLSConfig,
	}
}

// claimDB takes the first free lease among DBs 1..15 (starting at a random
// one to spread contention), polling until RedisClaimTimeout.
func claimDB(admin *redis.Client, token string) (int, error) {
	deadline := time.Now().Add(RedisClaimTimeout)
	const span = redisLastDB - redisFirstDB + 1
	var lastErr error
	for {
		first := randomInt(span)
		for i := range span {
			db := redisFirstDB + (first+i)%span
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ok, err := admin.SetNX(ctx, leaseKey(db), token, RedisLeaseTTL).Result()
			cancel()
			if err != nil {
				lastErr = err
				continue
			}
			if ok {
				return db, nil
			}
		}
		if time.Now().After(deadline) {
			if lastErr != nil {
				return 0, fmt.Errorf("no free Redis DB (1..15) after %v; last error: %v", RedisClaimTimeout, lastErr)
			}
			return 0, fmt.Errorf("no free Redis DB (1..15) after %v: all leased (keys %s*)", RedisClaimTimeout, redisLeasePrefix)
		}
		time.Sleep(100*time.Millisecond + time.Duration(randomInt(100))*time.Millisecond)
	}
}

func flush(c *redis.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.FlushDB(ctx).Err()
}

func leaseKey(db int) string { return fmt.Sprintf("%s%d", redisLeasePrefix, db) }

func withDB(base *redis.Options, db int) *redis.Options {
	o := *base
	o.DB = db
	if base.TLSConfig != nil {
		o.TLSConfig = base.TLSConfig.Clone()
	}
	return &o
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}
