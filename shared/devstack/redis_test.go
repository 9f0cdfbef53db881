package devstack

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startRedis(t *testing.T) *Redis {
	t.Helper()
	r, err := StartRedis(RedisConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, r.Close()) })
	require.True(t, strings.HasPrefix(r.URL(), "redis://127.0.0.1:"), r.URL())
	require.True(t, strings.HasSuffix(r.URL(), "/0"), r.URL())
	return r
}

func TestRedisTTLExpires(t *testing.T) {
	t.Parallel()
	r := startRedis(t)

	opts, err := redis.ParseURL(r.URL())
	require.NoError(t, err)
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()

	require.NoError(t, c.Set(ctx, "k", "v", time.Second).Err())
	require.NoError(t, c.HSet(ctx, "h", "f", "v").Err())
	require.NoError(t, c.Expire(ctx, "h", time.Second).Err())
	require.NoError(t, c.ExpireAt(ctx, "abs", time.Now().Add(time.Second)).Err()) // no-op: key missing
	require.NoError(t, c.Set(ctx, "abs", "v", 0).Err())
	require.NoError(t, c.ExpireAt(ctx, "abs", time.Now().Add(time.Second)).Err())

	ttl, err := c.PTTL(ctx, "k").Result()
	require.NoError(t, err)
	assert.InDelta(t, time.Second, ttl, float64(200*time.Millisecond))

	srvTime, err := c.Time(ctx).Result()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), srvTime, time.Second, "TIME follows the wall clock")

	time.Sleep(1500 * time.Millisecond)
	for _, k := range []string{"k", "h", "abs"} {
		n, err := c.Exists(ctx, k).Result()
		require.NoError(t, err)
		assert.Zero(t, n, "key %q should have expired", k)
	}

	srvTime2, err := c.Time(ctx).Result()
	require.NoError(t, err)
	assert.Greater(t, srvTime2.Sub(srvTime), time.Second, "server clock must advance")
}

func TestRedisAsynq(t *testing.T) {
	t.Parallel()
	r := startRedis(t)
	ropt := asynq.RedisClientOpt{Addr: r.Addr()}

	var (
		mu        sync.Mutex
		processed = map[string]time.Time{}
		got       = make(chan string, 10)
	)
	mux := asynq.NewServeMux()
	mux.HandleFunc("test:task", func(_ context.Context, task *asynq.Task) error {
		mu.Lock()
		processed[string(task.Payload())] = time.Now()
		mu.Unlock()
		got <- string(task.Payload())
		return nil
	})

	srv := asynq.NewServer(ropt, asynq.Config{
		Concurrency: 2,
		Logger:      slogAsynq{slog.New(slog.DiscardHandler)},
		LogLevel:    asynq.ErrorLevel,
		// Poll quickly so the scheduled task does not wait for the default 5 s.
		DelayedTaskCheckInterval: 100 * time.Millisecond,
	})
	require.NoError(t, srv.Start(mux))
	defer srv.Shutdown()

	client := asynq.NewClient(ropt)
	defer client.Close()

	start := time.Now()
	_, err := client.Enqueue(asynq.NewTask("test:task", []byte("now")))
	require.NoError(t, err)
	_, err = client.Enqueue(asynq.NewTask("test:task", []byte("later")), asynq.ProcessIn(time.Second))
	require.NoError(t, err)

	want := map[string]bool{"now": true, "later": true}
	timeout := time.After(15 * time.Second)
	for len(want) > 0 {
		select {
		case p := <-got:
			delete(want, p)
		case <-timeout:
			t.Fatalf("tasks not processed: %v", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// The processor sleeps 1s when a queue is empty, so "now" means within ~1s.
	assert.Less(t, processed["now"].Sub(start), 3*time.Second)
	// asynq stores ProcessAt as whole Unix seconds, so "1s" means "once the
	// clock reaches the next-but-one second"; it can run up to 1s early.
	assert.GreaterOrEqual(t, processed["later"].Unix(), start.Add(time.Second).Unix(),
		"scheduled task ran too early")
	t.Logf("immediate after %v, ProcessIn(1s) after %v",
		processed["now"].Sub(start), processed["later"].Sub(start))
}

// slogAsynq adapts slog to asynq.Logger.
type slogAsynq struct{ l *slog.Logger }

func (s slogAsynq) Debug(args ...any) { s.l.Debug("asynq", "msg", args) }
func (s slogAsynq) Info(args ...any)  { s.l.Info("asynq", "msg", args) }
func (s slogAsynq) Warn(args ...any)  { s.l.Warn("asynq", "msg", args) }
func (s slogAsynq) Error(args ...any) { s.l.Error("asynq", "msg", args) }
func (s slogAsynq) Fatal(args ...any) { s.l.Error("asynq fatal", "msg", args) }
