package server_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRedactionSwitchReplay replays a request with APISCOUT_REDACT_SAMPLES
// on (the default) and off, and reads the stored sample.
func TestRedactionSwitchReplay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		redact string
	}{
		{"default", ""},
		{"off", "false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if tc.redact != "" {
				env["APISCOUT_REDACT_SAMPLES"] = tc.redact
			}
			b := setup(t, envWith(env))
			tg := newTarget(t)
			data := collectionJSON(t, "redact-"+tc.name, []map[string]any{item("me", "GET", tg.srv.URL+"/ok/me", nil)})
			doc := b.waitImport(t, b.tokenA, b.submitWith(t, data, `{"allow_replay": true}`, nil))
			require.Equal(t, "completed", doc.Status, doc.Error)
			require.Equal(t, 1, doc.Counts.Imported)
			eps := b.listAll(t, "/v1/collections/"+doc.CollectionID+"/endpoints", b.tokenA, 10)
			require.Len(t, eps, 1)
			require.Equal(t, []any{"EMAIL"}, eps[0]["sensitive_types"], "detection runs either way")
			ep := b.get(t, "/v1/endpoints/"+eps[0]["id"].(string), b.tokenA).json(t)
			raw, err := json.Marshal(ep["samples"])
			require.NoError(t, err)
			if tc.redact == "false" {
				require.Contains(t, string(raw), "Bearer secret-token-123", "the sent Authorization is kept")
				require.Contains(t, string(raw), "jane@example.com")
			} else {
				require.NotContains(t, string(raw), "secret-token-123")
				require.NotContains(t, string(raw), "jane@example.com")
			}
		})
	}
}
