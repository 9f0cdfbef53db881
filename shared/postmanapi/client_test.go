package postmanapi_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postmanapi"
	"github.com/apiscout/apiscout/shared/postmanapi/postmanfake"
	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/testenv"
)

const goodKey = secret.Secret("PMAK-6750c0ffee0123456789abcd-0123456789abcdef0123456789abcdef77aa")

type testBundle struct {
	fake   *postmanfake.Server
	rdb    *redis.Client
	client *postmanapi.Client
}

func setup(t *testing.T, perMinute int) *testBundle {
	t.Helper()
	fake := postmanfake.New(t)
	fake.AddKey(goodKey.Reveal(), 42)
	rdb := testenv.RedisClient(t)
	c, err := postmanapi.New(postmanapi.Config{
		BaseURL: fake.URL, Limiter: postmanapi.NewRedisLimiter(rdb, perMinute),
		Backoff: 10 * time.Millisecond, MaxAttempts: 4,
	})
	require.NoError(t, err)
	return &testBundle{fake: fake, rdb: rdb, client: c}
}

func corpus(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "corpus", name))
	if os.IsNotExist(err) {
		t.Skipf("corpus file %s is absent", name)
	}
	require.NoError(t, err)
	return data
}

func TestMeAndBadKey(t *testing.T) {
	t.Parallel()
	b := setup(t, 6000)
	ctx := context.Background()
	u, err := b.client.With(goodKey).Me(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(42), u.ID)
	require.Equal(t, "user42", u.Username)

	bad := secret.Secret("PMAK-bad0bad0bad0bad0bad0bad0-badbadbadbadbadbadbadbadbadbad1234")
	_, err = b.client.With(bad).Me(ctx)
	require.True(t, postmanapi.IsUnauthorized(err), "%v", err)
	require.Contains(t, err.Error(), "Invalid API Key")
	require.NotContains(t, err.Error(), bad.Reveal())
	require.NotContains(t, fmt.Sprintf("%+v %#v", err, err), bad.Reveal())
	require.Equal(t, 1, b.fake.Count("/me", http.StatusUnauthorized), "a 401 is not retried")
}

func TestWorkspacesPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, 6000)
	const n = 2*postmanapi.PageLimit + 17
	for i := range n {
		b.fake.AddWorkspace(postmanfake.Workspace{ID: fmt.Sprintf("ws-%03d", i), Name: fmt.Sprintf("Workspace %d", i), Type: "team"})
	}
	list, err := b.client.With(goodKey).Workspaces(context.Background())
	require.NoError(t, err)
	require.Len(t, list, n)
	require.Equal(t, "ws-000", list[0].ID)
	require.Equal(t, fmt.Sprintf("ws-%03d", n-1), list[n-1].ID)
	require.Equal(t, "team", list[5].Type)
	require.Equal(t, 3, b.fake.Count("/workspaces", http.StatusOK), "every page was followed")
}

func TestWorkspaceCollectionEnvironment(t *testing.T) {
	t.Parallel()
	b := setup(t, 6000)
	require.NoError(t, b.fake.SetCollection("1-okta", "okta-id", "2026-01-02T03:04:05.000Z", corpus(t, "okta-users.json")))
	require.NoError(t, b.fake.SetEnvironment("1-env", "2026-01-01T00:00:00.000Z", corpus(t, "environments/okta-example.oktapreview.com.json")))
	b.fake.AddWorkspace(postmanfake.Workspace{ID: "ws-1", Name: "One", Type: "personal", Collections: []string{"1-okta", "1-broken"}, Environments: []string{"1-env"}})
	b.fake.Fail("/collections/1-broken", http.StatusInternalServerError)
	ctx := context.Background()
	s := b.client.With(goodKey)

	ws, err := s.Workspace(ctx, "ws-1")
	require.NoError(t, err)
	require.Equal(t, "One", ws.Name)
	require.Len(t, ws.Collections, 2)
	require.Equal(t, "1-env", ws.Environments[0].UID)

	body, info, err := s.Collection(ctx, "1-okta")
	require.NoError(t, err)
	require.Equal(t, "okta-id", info.PostmanID)
	require.Equal(t, "2026-01-02T03:04:05.000Z", info.UpdatedAt)
	require.Contains(t, string(body[:20]), `"collection"`)

	_, env, err := s.Environment(ctx, "1-env")
	require.NoError(t, err)
	require.Equal(t, "2026-01-01T00:00:00.000Z", env.UpdatedAt)

	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
		msg   string
	}{
		{"missing workspace", func() error { _, err := s.Workspace(ctx, "nope"); return err }, postmanapi.IsNotFound, "could not find the workspace"},
		{"missing collection", func() error { _, _, err := s.Collection(ctx, "nope"); return err }, postmanapi.IsNotFound, "could not find the collection"},
		{"500 as problem JSON", func() error { _, _, err := s.Collection(ctx, "1-broken"); return err }, postmanapi.IsTemporary, "Something went wrong"},
	}
	for _, tt := range tests {
		err := tt.call()
		require.Error(t, err, tt.name)
		require.True(t, tt.check(err), "%s: %v", tt.name, err)
		require.Contains(t, err.Error(), tt.msg, tt.name)
	}
	require.Equal(t, 4, b.fake.Count("/collections/1-broken", 0), "a 5xx is retried up to MaxAttempts")
}

// TestRetryAfterHonoured bursts requests from two clients sharing one
// limiter state (two workers): the fake answers 429 with RetryAfter, and no
// request may arrive before the wait it asked for is over.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	b := setup(t, 6000)
	b.fake.LimitBurst(3, time.Second, 400*time.Millisecond)
	// Both clients share the limiter's Redis state, as two workers do.
	newClient := func() *postmanapi.Client {
		c, err := postmanapi.New(postmanapi.Config{BaseURL: b.fake.URL, Limiter: postmanapi.NewRedisLimiter(b.rdb, 6000), MaxAttempts: 10})
		require.NoError(t, err)
		return c
	}
	one, other := newClient(), newClient()
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		c := one
		if i%2 == 1 {
			c = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.With(goodKey).Me(context.Background())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Positive(t, b.fake.Count("/me", http.StatusTooManyRequests), "the burst was limited")
	require.Zero(t, b.fake.Violations(), "no request during a RetryAfter")
}

func TestQuotaIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, 6000)
	b.fake.ExhaustQuota(true)
	_, err := b.client.With(goodKey).Me(context.Background())
	require.True(t, postmanapi.IsQuotaExhausted(err), "%v", err)
	require.False(t, postmanapi.IsTemporary(err))
	require.Contains(t, err.Error(), "monthly request quota exhausted")
	require.Equal(t, 1, b.fake.Count("/me", 0))
}

// TestLimiterIsShared checks the Redis limiter spaces requests of one key
// across limiter instances (processes), and that a hold is seen by all.
func TestLimiterIsShared(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	ctx := context.Background()
	a, b := postmanapi.NewRedisLimiter(rdb, 120), postmanapi.NewRedisLimiter(rdb, 120) // burst 120, then one per 500ms
	start := time.Now()
	for i := range 121 {
		l := a
		if i%2 == 1 {
			l = b
		}
		require.NoError(t, l.Wait(ctx, "key1"))
	}
	require.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "the 121st request waited for the shared budget")
	start = time.Now()
	require.NoError(t, a.Wait(ctx, "key2"), "another key has its own budget")
	require.Less(t, time.Since(start), 300*time.Millisecond)

	require.NoError(t, a.Hold(ctx, "key3", 300*time.Millisecond))
	start = time.Now()
	require.NoError(t, b.Wait(ctx, "key3"))
	require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "a hold set by one process stops the others")
}
