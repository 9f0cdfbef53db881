package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultHTTPAddr, c.HTTPAddr)
	require.Equal(t, int64(DefaultMaxUploadBytes), c.MaxUploadBytes)
	require.Equal(t, DefaultSamplesPerEndpoint, c.SamplesPerEndpoint)
	require.Equal(t, DefaultShutdownTimeout, c.ShutdownTimeout)
	require.True(t, c.RedactSamples, "samples are redacted unless switched off")
	require.Error(t, c.RequireServices(), "redis and mongo are required outside embedded mode")
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"APISCOUT_HTTP_ADDR":        "0.0.0.0:9000",
		"APISCOUT_REDIS_URL":        "redis://:pw@localhost:6379/2",
		"APISCOUT_MONGO_URI":        "mongodb://user:secret@localhost:27017",
		"APISCOUT_MAX_UPLOAD_BYTES": "2048",
		"APISCOUT_SHUTDOWN_TIMEOUT": "3s",
		"APISCOUT_LOG_LEVEL":        "DEBUG",
		"APISCOUT_REDACT_SAMPLES":   "false",
	}))
	require.NoError(t, err)
	require.NoError(t, c.RequireServices())
	require.Equal(t, "0.0.0.0:9000", c.HTTPAddr)
	require.Equal(t, int64(2048), c.MaxUploadBytes)
	require.Equal(t, 3*time.Second, c.ShutdownTimeout)
	require.False(t, c.RedactSamples)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("start", "config", c)
	require.NotContains(t, buf.String(), "secret")
	require.NotContains(t, buf.String(), ":pw@")
	require.Contains(t, buf.String(), "xxxxx")
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"APISCOUT_HTTP_ADDR":            "nonsense",
		"APISCOUT_MAX_UPLOAD_BYTES":     "lots",
		"APISCOUT_SAMPLES_PER_ENDPOINT": "0",
		"APISCOUT_SHUTDOWN_TIMEOUT":     "-1s",
		"APISCOUT_REDIS_URL":            "http://localhost",
		"APISCOUT_MONGO_URI":            "postgres://x",
		"APISCOUT_LOG_LEVEL":            "loud",
		"APISCOUT_REDACT_SAMPLES":       "mostly",
		"APISCOUT_WORKER_ADMIN_ADDR":    "9091",
	}
	for k, v := range tests {
		_, err := Load(env(map[string]string{k: v}))
		require.Error(t, err, k)
		require.Contains(t, err.Error(), k, "the error names the variable")
	}
}

func TestUsageListsEveryVar(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf)
	for _, v := range Vars {
		require.True(t, strings.Contains(buf.String(), Prefix+v.Name), v.Name)
	}
}
