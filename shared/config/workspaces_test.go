package config

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/secret"
)

func TestWorkspaceDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultPostmanAPIURL, c.PostmanAPIURL)
	require.Equal(t, DefaultPostmanRateLimit, c.PostmanRateLimit)
	require.Equal(t, DefaultSchedulerInterval, c.SchedulerInterval)
	require.Equal(t, DefaultScheduleMinInterval, c.ScheduleMinInterval)
	k, err := c.Keyring()
	require.NoError(t, err)
	require.Nil(t, k, "no key, no keyring")
}

func TestSecretKeysAreMaskedAndValidated(t *testing.T) {
	t.Parallel()
	cur, prev := secret.NewKey(), secret.NewKey()
	c, err := Load(env(map[string]string{
		"APISCOUT_SECRET_KEY":          cur,
		"APISCOUT_SECRET_KEY_PREVIOUS": prev,
		"APISCOUT_POSTMAN_API_URL":     "http://127.0.0.1:1",
		"APISCOUT_SCHEDULER_INTERVAL":  "2s",
	}))
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, c.SchedulerInterval)
	k, err := c.Keyring()
	require.NoError(t, err)
	require.NotNil(t, k)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("start", "config", c)
	require.NotContains(t, buf.String(), cur)
	require.NotContains(t, buf.String(), prev)
	require.Contains(t, buf.String(), `"sealing_key_set":true`)

	tests := map[string]map[string]string{
		"APISCOUT_SECRET_KEY":            {"APISCOUT_SECRET_KEY": "c2hvcnQ="},
		"APISCOUT_SECRET_KEY_PREVIOUS":   {"APISCOUT_SECRET_KEY_PREVIOUS": prev},
		"APISCOUT_POSTMAN_API_URL":       {"APISCOUT_POSTMAN_API_URL": "ftp://x"},
		"APISCOUT_POSTMAN_RATE_LIMIT":    {"APISCOUT_POSTMAN_RATE_LIMIT": "0"},
		"APISCOUT_SCHEDULER_INTERVAL":    {"APISCOUT_SCHEDULER_INTERVAL": "10ms"},
		"APISCOUT_SCHEDULE_MIN_INTERVAL": {"APISCOUT_SCHEDULE_MIN_INTERVAL": "soon"},
		"APISCOUT_SCHEDULER_ADMIN_ADDR":  {"APISCOUT_SCHEDULER_ADMIN_ADDR": "9092"},
	}
	for name, vars := range tests {
		_, err := Load(env(vars))
		require.Error(t, err, name)
		require.Contains(t, err.Error(), name)
		require.NotContains(t, err.Error(), "c2hvcnQ=", "a bad key is not echoed")
	}
}
