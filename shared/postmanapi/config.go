package postmanapi

import (
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/apiscout/apiscout/shared/config"
	"github.com/apiscout/apiscout/shared/metrics"
)

// FromConfig returns the client a process uses: the configured base URL,
// timeout and body cap, the Redis-shared limiter, and responses counted in
// m (when not nil) by operation and status code.
func FromConfig(cfg config.Config, rdb *redis.Client, m *metrics.Metrics) (*Client, error) {
	c := Config{
		BaseURL:      cfg.PostmanAPIURL,
		Timeout:      cfg.PostmanTimeout,
		MaxBodyBytes: max(cfg.MaxUploadBytes, 1<<20), // a collection is capped like an upload
	}
	if rdb != nil {
		c.Limiter = NewRedisLimiter(rdb, cfg.PostmanRateLimit)
	}
	if m != nil {
		c.Observe = func(op string, status int) {
			m.PostmanRequests.WithLabelValues(op, strconv.Itoa(status)).Inc()
		}
	}
	return New(c)
}
