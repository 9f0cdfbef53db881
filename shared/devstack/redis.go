package devstack

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// RedisConfig configures StartRedis. The zero value is ready to use.
type RedisConfig struct {
	// Addr is the TCP listen address. Default "127.0.0.1:0" (a free port);
	// read the chosen one from Redis.Addr.
	Addr string
}

// Redis is a running in-process miniredis server whose clock follows real
// time: keys with a TTL expire on their own (as on a real Redis), and TIME,
// EXPIREAT and stream IDs use time.Now(). This is what asynq needs for
// scheduled (ProcessIn/ProcessAt) tasks, retries and lease expiry.
//
// Data lives in memory only and is lost on Close.
type Redis struct {
	mr *miniredis.Miniredis
}

// StartRedis starts a miniredis server listening on cfg.Addr.
func StartRedis(cfg RedisConfig) (*Redis, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	mr := miniredis.NewMiniRedis()
	// Stock miniredis only decreases TTLs on FastForward. ClockTTL makes every
	// command first advance all TTLs by the wall-clock time elapsed since the
	// previous command, so expiry is exact (no ticker granularity) and lazy,
	// like Redis. We deliberately do NOT call SetTime: that would freeze the
	// clock at the given instant, whereas unset it is time.Now().
	mr.ClockTTL(true)
	if err := mr.StartAddr(cfg.Addr); err != nil {
		return nil, fmt.Errorf("devstack: start miniredis on %s: %w", cfg.Addr, err)
	}
	return &Redis{mr: mr}, nil
}

// Addr returns the host:port the server listens on, e.g. "127.0.0.1:41235".
func (r *Redis) Addr() string { return r.mr.Addr() }

// URL returns a go-redis style URL for database 0: "redis://<Addr>/0".
func (r *Redis) URL() string { return "redis://" + r.mr.Addr() + "/0" }

// Miniredis exposes the underlying server, e.g. to inspect keys in tests.
func (r *Redis) Miniredis() *miniredis.Miniredis { return r.mr }

// Close stops the server and drops all data. It is safe to call twice.
func (r *Redis) Close() error {
	r.mr.Close()
	return nil
}
