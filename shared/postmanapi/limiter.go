package postmanapi

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// RedisLimiter is a Limiter whose state lives in Redis, so every worker and
// API process sending requests with one key shares one budget: a GCRA
// limiter (go-redis/redis_rate) of PerMinute requests a minute, plus a hold
// key set when Postman answers 429, which every process waits out.
type RedisLimiter struct {
	rdb   *redis.Client
	rl    *redis_rate.Limiter
	limit redis_rate.Limit
}

// Redis key prefix of the limiter's state (redis_rate adds "rate:").
const limiterPrefix = "apiscout:postman:"

// NewRedisLimiter allows perMinute requests a minute and key.
func NewRedisLimiter(rdb *redis.Client, perMinute int) *RedisLimiter {
	return &RedisLimiter{rdb: rdb, rl: redis_rate.NewLimiter(rdb), limit: redis_rate.PerMinute(perMinute)}
}

// Wait implements Limiter.
func (l *RedisLimiter) Wait(ctx context.Context, keyID string) error {
	for {
		held, err := l.rdb.PTTL(ctx, limiterPrefix+"hold:"+keyID).Result()
		if err != nil {
			return fmt.Errorf("read hold: %w", err)
		}
		if held > 0 {
			if err := sleep(ctx, held); err != nil {
				return err
			}
			continue
		}
		res, err := l.rl.Allow(ctx, limiterPrefix+keyID, l.limit)
		if err != nil {
			return fmt.Errorf("allow: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		if err := sleep(ctx, max(res.RetryAfter, time.Millisecond)); err != nil {
			return err
		}
	}
}

// Hold implements Limiter.
func (l *RedisLimiter) Hold(ctx context.Context, keyID string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return l.rdb.Set(ctx, limiterPrefix+"hold:"+keyID, "1", d).Err()
}
