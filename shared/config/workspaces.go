package config

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/apiscout/apiscout/shared/secret"
)

// loadWorkspaces reads and validates the Postman workspace settings.
func loadWorkspaces(c *Config, get func(string) string, integer func(string, int64) int64, errs *[]error) {
	bad := func(name, want, got string) {
		*errs = append(*errs, fmt.Errorf("%s%s: want %s, got %q", Prefix, name, want, got))
	}
	c.SecretKey = get("SECRET_KEY")
	c.SecretKeyPrevious = get("SECRET_KEY_PREVIOUS")
	// Never echo a key in an error: say what is wrong with it instead.
	if c.SecretKey != "" {
		if _, err := secret.ParseKey(c.SecretKey); err != nil {
			*errs = append(*errs, fmt.Errorf("%sSECRET_KEY: want 32 bytes in base64 (e.g. `openssl rand -base64 32`): %v", Prefix, err))
		}
	}
	if c.SecretKeyPrevious != "" {
		if _, err := secret.ParseKey(c.SecretKeyPrevious); err != nil {
			*errs = append(*errs, fmt.Errorf("%sSECRET_KEY_PREVIOUS: want 32 bytes in base64: %v", Prefix, err))
		}
		if c.SecretKey == "" {
			*errs = append(*errs, fmt.Errorf("%sSECRET_KEY_PREVIOUS is set but %sSECRET_KEY is not", Prefix, Prefix))
		}
	}
	c.PostmanAPIURL = get("POSTMAN_API_URL")
	if u, err := url.Parse(c.PostmanAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("POSTMAN_API_URL", "an http(s) URL like "+DefaultPostmanAPIURL, c.PostmanAPIURL)
	}
	c.PostmanRateLimit = int(integer("POSTMAN_RATE_LIMIT", 1))
	duration := func(name string, min time.Duration) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < min {
			bad(name, "a duration of at least "+min.String(), get(name))
		}
		return d
	}
	c.PostmanTimeout = duration("POSTMAN_TIMEOUT", time.Second)
	c.SchedulerInterval = duration("SCHEDULER_INTERVAL", time.Second)
	c.ScheduleMinInterval = duration("SCHEDULE_MIN_INTERVAL", time.Second)
	c.SchedulerAdminAddr = get("SCHEDULER_ADMIN_ADDR")
	if c.SchedulerAdminAddr != "off" {
		if _, _, err := net.SplitHostPort(c.SchedulerAdminAddr); err != nil {
			bad("SCHEDULER_ADMIN_ADDR", "host:port or off", c.SchedulerAdminAddr)
		}
	}
}

// Keyring returns the keyring for stored secrets, or nil when
// APISCOUT_SECRET_KEY is unset (Load has validated the keys).
func (c Config) Keyring() (*secret.Keyring, error) {
	if c.SecretKey == "" {
		return nil, nil
	}
	return secret.NewKeyring(c.SecretKey, c.SecretKeyPrevious)
}
