package config

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOperatorDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.False(t, c.QueueUIEnabled(), "no credentials, no dashboard")
	require.True(t, c.QueueUIReadOnly)
	require.Equal(t, QueueMetricsAPI, c.QueueMetrics)
}

func TestOperatorValues(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"APISCOUT_ADMIN_USER":              "ops",
		"APISCOUT_ADMIN_PASSWORD":          "s3cret-pass",
		"APISCOUT_QUEUE_UI_READ_ONLY":      "false",
		"APISCOUT_QUEUE_UI_PROMETHEUS_URL": "http://prometheus:9090",
		"APISCOUT_QUEUE_METRICS":           "scheduler",
	}))
	require.NoError(t, err)
	require.True(t, c.QueueUIEnabled())
	require.False(t, c.QueueUIReadOnly)
	require.Equal(t, QueueMetricsScheduler, c.QueueMetrics)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("start", "config", c)
	require.NotContains(t, buf.String(), "s3cret-pass", "the operator password is never logged")
	require.Contains(t, buf.String(), `"admin_password_set":true`)
}

func TestOperatorInvalid(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]string{
		"APISCOUT_ADMIN_PASSWORD":          {"APISCOUT_ADMIN_USER": "ops"},
		"APISCOUT_ADMIN_USER":              {"APISCOUT_ADMIN_PASSWORD": "pw"},
		"APISCOUT_QUEUE_UI_READ_ONLY":      {"APISCOUT_QUEUE_UI_READ_ONLY": "sometimes"},
		"APISCOUT_QUEUE_UI_PROMETHEUS_URL": {"APISCOUT_QUEUE_UI_PROMETHEUS_URL": "prometheus:9090"},
		"APISCOUT_QUEUE_METRICS":           {"APISCOUT_QUEUE_METRICS": "worker"},
	}
	for name, vars := range tests {
		_, err := Load(env(vars))
		require.Error(t, err, name)
		require.Contains(t, err.Error(), name, "the error names the variable")
	}
}
