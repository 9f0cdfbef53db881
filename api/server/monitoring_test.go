package server_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

func (b *testBundle) operator(t *testing.T, method, path, user, pass string) response {
	t.Helper()
	req, err := http.NewRequest(method, b.base+path, nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(data)
}

// TestQueueDashboard checks asynqmon behind the operators' basic auth,
// read-only by default, and the queue metrics exported by the API alone.
func TestQueueDashboard(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"APISCOUT_ADMIN_USER": "ops", "APISCOUT_ADMIN_PASSWORD": "operator-pw"})
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	require.Equal(t, "completed", b.submit(t, b.tokenA, data).Status)

	for _, path := range []string{"/monitoring/queues", "/monitoring/queues/api/queues", "/monitoring/queues/static/nothing.js"} {
		for _, creds := range [][2]string{{"", ""}, {"ops", "wrong"}, {"someone", "operator-pw"}} {
			r := b.operator(t, http.MethodGet, path, creds[0], creds[1])
			require.Equal(t, http.StatusUnauthorized, r.Status, path)
			require.Contains(t, r.Header.Get("WWW-Authenticate"), "Basic")
			require.Equal(t, "unauthorized", r.json(t)["error"].(map[string]any)["code"])
		}
	}
	// An account token is no operator credential.
	r := b.get(t, "/monitoring/queues/api/queues", b.tokenA)
	require.Equal(t, http.StatusUnauthorized, r.Status)

	ui := b.operator(t, http.MethodGet, "/monitoring/queues", "ops", "operator-pw")
	require.Equal(t, http.StatusOK, ui.Status)
	require.Contains(t, string(ui.Body), "Asynq monitoring web console")
	require.Contains(t, string(ui.Body), "/monitoring/queues/static/js/", "assets are rooted at the mount path")

	q := b.operator(t, http.MethodGet, "/monitoring/queues/api/queues", "ops", "operator-pw")
	require.Equal(t, http.StatusOK, q.Status, string(q.Body))
	queues := q.json(t)["queues"].([]any)
	require.Len(t, queues, 1)
	require.Equal(t, "imports", queues[0].(map[string]any)["queue"])
	require.Equal(t, float64(1), queues[0].(map[string]any)["processed"])

	// Read-only: writes are refused in the API's error shape.
	for _, path := range []string{"/monitoring/queues/api/queues/imports:pause", "/monitoring/queues/api/queues/imports/archived_tasks:run_all"} {
		r := b.operator(t, http.MethodPost, path, "ops", "operator-pw")
		require.Equal(t, http.StatusForbidden, r.Status, path)
		require.Equal(t, "read_only", r.json(t)["error"].(map[string]any)["code"])
	}
	r = b.operator(t, http.MethodDelete, "/monitoring/queues/api/queues/imports", "ops", "operator-pw")
	require.Equal(t, http.StatusForbidden, r.Status)

	// Queue metrics come from the API (APISCOUT_QUEUE_METRICS=api), never
	// from a worker.
	api := scrape(t, b.base+"/metrics")
	require.Contains(t, api, `asynq_queue_size{queue="imports"}`)
	require.Contains(t, api, `asynq_tasks_processed_total{queue="imports"} 1`)
	require.NotContains(t, scrape(t, "http://"+b.worker+"/metrics"), "asynq_")
}

// TestQueueDashboardReadWrite lets operators act when read-only is off.
func TestQueueDashboardReadWrite(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{
		"APISCOUT_ADMIN_USER": "ops", "APISCOUT_ADMIN_PASSWORD": "operator-pw", "APISCOUT_QUEUE_UI_READ_ONLY": "false",
	})
	data, err := os.ReadFile("../../testdata/example.postman_collection.json")
	require.NoError(t, err)
	b.submit(t, b.tokenA, data)
	r := b.operator(t, http.MethodPost, "/monitoring/queues/api/queues/imports:pause", "ops", "operator-pw")
	require.Equal(t, http.StatusNoContent, r.Status, string(r.Body))
	q := b.operator(t, http.MethodGet, "/monitoring/queues/api/queues/imports", "ops", "operator-pw")
	require.Contains(t, string(q.Body), `"paused":true`)
	r = b.operator(t, http.MethodPost, "/monitoring/queues/api/queues/imports:resume", "ops", "operator-pw")
	require.Equal(t, http.StatusNoContent, r.Status, string(r.Body))
}

// TestQueueDashboardNotMounted checks that without operator credentials
// there is no dashboard, and that APISCOUT_QUEUE_METRICS=off exports no
// queue metrics.
func TestQueueDashboardNotMounted(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"APISCOUT_QUEUE_METRICS": "off"})
	for _, path := range []string{"/monitoring/queues", "/monitoring/queues/api/queues"} {
		r := b.operator(t, http.MethodGet, path, "ops", "anything")
		require.Equal(t, http.StatusNotFound, r.Status, path)
		require.Equal(t, "not_found", r.json(t)["error"].(map[string]any)["code"])
	}
	require.False(t, strings.Contains(scrape(t, b.base+"/metrics"), "asynq_"))
}
