package store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func setup(t *testing.T) *store.Store {
	t.Helper()
	uri, db := testenv.Mongo(t)
	ctx := context.Background()
	s, err := store.Open(ctx, uri, db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	require.NoError(t, s.EnsureIndexes(ctx))
	require.NoError(t, s.EnsureIndexes(ctx), "indexes are idempotent")
	return s
}

func TestBlobs(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	for _, size := range []int{0, 10, store.BlobChunkSize, 2*store.BlobChunkSize + 17} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := bytes.Repeat([]byte("abcdefg"), size/7+1)[:size]
			id := fmt.Sprintf("blob-%d", size)
			require.NoError(t, s.PutBlob(ctx, id, data))
			require.NoError(t, s.PutBlob(ctx, id, data), "rewriting a blob is harmless")
			got, err := s.GetBlob(ctx, id)
			require.NoError(t, err)
			require.Equal(t, len(data), len(got))
			require.True(t, bytes.Equal(data, got))
			require.NoError(t, s.DeleteBlob(ctx, id))
			_, err = s.GetBlob(ctx, id)
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, s.CreateAccount(ctx, store.Account{ID: "acc_1", Name: "one", CreatedAt: now}))
	require.NoError(t, s.CreateAccount(ctx, store.Account{ID: "acc_2", Name: "two", CreatedAt: now}))
	require.NoError(t, s.AddToken(ctx, "acc_1", "hash1", "cli", now))
	require.NoError(t, s.AddToken(ctx, "acc_1", "hash1", "cli", now), "re-adding one's own token is fine")
	require.Error(t, s.AddToken(ctx, "acc_2", "hash1", "cli", now), "a token hash belongs to one account")
	id, err := s.AccountByTokenHash(ctx, "hash1")
	require.NoError(t, err)
	require.Equal(t, "acc_1", id)
	_, err = s.AccountByTokenHash(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestImportsLifecycleAndPaging(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		require.NoError(t, s.CreateImport(ctx, inventory.Import{
			ID: fmt.Sprintf("imp_%d", i), AccountID: "acc_1", Status: inventory.StatusQueued,
			Counts: inventory.NewCounts(), CreatedAt: t0,
		}))
	}
	require.NoError(t, s.CreateImport(ctx, inventory.Import{ID: "imp_x", AccountID: "acc_2", Status: inventory.StatusQueued, CreatedAt: t0}))

	var seen []string
	p := store.Page{Limit: 2}
	for {
		list, err := s.ListImports(ctx, "acc_1", p)
		require.NoError(t, err)
		for _, imp := range list {
			seen = append(seen, imp.ID)
		}
		if len(list) < 2 {
			break
		}
		p.After = list[len(list)-1].ID
	}
	require.Equal(t, []string{"imp_4", "imp_3", "imp_2", "imp_1", "imp_0"}, seen, "newest first, no other account")

	_, err := s.GetImport(ctx, "acc_1", "imp_x")
	require.ErrorIs(t, err, store.ErrNotFound, "another account's import is not found")

	before, err := s.StartImport(ctx, "acc_1", "imp_0", t0.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, inventory.StatusQueued, before.Status)
	_, err = s.StartImport(ctx, "acc_1", "imp_0", t0.Add(2*time.Second))
	require.NoError(t, err)
	got, err := s.GetImport(ctx, "acc_1", "imp_0")
	require.NoError(t, err)
	require.Equal(t, inventory.StatusRunning, got.Status)
	require.Equal(t, 2, got.Attempts)
	require.Equal(t, t0.Add(time.Second), got.StartedAt.UTC(), "the first start time is kept")

	counts := inventory.NewCounts()
	counts.Total, counts.Skipped["no_saved_response"] = 3, 3
	sum, err := s.ImportChanges(ctx, "acc_1", "imp_0")
	require.NoError(t, err)
	require.Nil(t, sum, "no summary before the import finishes")
	want := changes.Summary{Counts: changes.Counts{Added: 2, Removed: 1}, SensitiveTypesAdded: []string{"EMAIL"},
		AuthTypesAdded: []string{}, AuthTypesRemoved: []string{}}
	moved, err := s.FinishImport(ctx, "acc_1", "imp_0", store.ImportResult{Status: inventory.StatusCompleted, Counts: counts, Changes: &want}, t0.Add(3*time.Second))
	require.NoError(t, err)
	require.True(t, moved)
	sum, err = s.ImportChanges(ctx, "acc_1", "imp_0")
	require.NoError(t, err)
	require.Equal(t, &want, sum)
	_, err = s.ImportChanges(ctx, "acc_2", "imp_0")
	require.ErrorIs(t, err, store.ErrNotFound, "another account's import")
	moved, err = s.FinishImport(ctx, "acc_1", "imp_0", store.ImportResult{Status: inventory.StatusFailed}, t0.Add(4*time.Second))
	require.NoError(t, err)
	require.False(t, moved, "a finished import does not move again")
	got, err = s.GetImport(ctx, "acc_1", "imp_0")
	require.NoError(t, err)
	require.Equal(t, inventory.StatusCompleted, got.Status)
	require.Equal(t, 3, got.Counts.Skipped["no_saved_response"])
}

// TestEndpointsAndSamples exercises what FerretDB must do as MongoDB does:
// versioned replaces in bulk (more than one chunk), conflict detection,
// idempotent sample upserts and retention deletes.
func TestEndpointsAndSamples(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mo := inventory.MergeOptions{AccountID: "acc_1", CollectionID: "col_1", ImportID: "imp_1", Now: t0, Keep: 2}

	var eps []inventory.Endpoint
	var samples []inventory.Sample
	n := store.MaxBulk*2 + 5
	for i := range n {
		obs := inventory.Observation{Key: inventory.EndpointKey{Method: "GET", Host: "h", Path: fmt.Sprintf("/p/%d", i)}}
		for j := range 3 {
			obs.Samples = append(obs.Samples, inventory.Sample{
				ID: fmt.Sprintf("s_%d_%d", i, j), AccountID: "acc_1", EndpointID: fmt.Sprintf("ep_%d", i),
				Response: inventory.SampleResponse{Status: 200},
			})
		}
		ep, write, _ := inventory.Merge(nil, obs, mo)
		eps = append(eps, ep)
		samples = append(samples, write...)
	}
	require.NoError(t, s.SaveSamples(ctx, samples))
	require.NoError(t, s.SaveSamples(ctx, samples), "samples are upserted by id")
	// A write mixing stored samples (changed) with new ones replaces the
	// stored ones and inserts the others.
	mixed := []inventory.Sample{samples[0], {ID: "s_new", AccountID: "acc_1", EndpointID: "ep_0", Response: inventory.SampleResponse{Status: 201}}}
	mixed[0].Response.Status = 204
	require.NoError(t, s.SaveSamples(ctx, mixed))
	got, err := s.SamplesByID(ctx, "acc_1", []string{samples[0].ID, "s_new"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, []int{204, 201}, []int{got[0].Response.Status, got[1].Response.Status})
	require.NoError(t, s.DeleteSamples(ctx, "acc_1", []string{"s_new"}))
	require.NoError(t, s.SaveEndpoints(ctx, eps))
	require.ErrorIs(t, s.SaveEndpoints(ctx, eps), store.ErrConflict, "a stale version conflicts")

	ids := make([]string, n)
	for i, ep := range eps {
		ids[i] = ep.ID
	}
	stored, err := s.EndpointsByID(ctx, "acc_1", ids)
	require.NoError(t, err)
	require.Len(t, stored, n)
	other, err := s.EndpointsByID(ctx, "acc_2", ids)
	require.NoError(t, err)
	require.Empty(t, other)
	// A few ids are looked up one by one: same answers.
	for _, tc := range []struct {
		account string
		ids     []string
		want    int
	}{
		{"acc_1", []string{ids[0], "missing", ids[1], ids[0]}, 2},
		{"acc_2", ids[:3], 0},
		{"acc_1", nil, 0},
	} {
		few, err := s.EndpointsByID(ctx, tc.account, tc.ids)
		require.NoError(t, err)
		require.Len(t, few, tc.want, "%s %v", tc.account, tc.ids)
	}

	// A second version of each endpoint writes cleanly.
	for i := range stored {
		stored[i].Version++
	}
	require.NoError(t, s.SaveEndpoints(ctx, stored))

	got, err = s.SamplesByID(ctx, "acc_1", []string{"s_3_2", "s_3_1", "missing"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "s_3_2", got[0].ID, "samples come back in the order asked")
	require.NoError(t, s.DeleteSamples(ctx, "acc_1", []string{"s_3_2"}))
	got, err = s.SamplesByID(ctx, "acc_1", []string{"s_3_2", "s_3_1"})
	require.NoError(t, err)
	require.Len(t, got, 1)

	page, err := s.ListEndpoints(ctx, "acc_1", "col_1", store.Page{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, page, n)
	require.Equal(t, []string{"s_0_1", "s_0_2"}, endpointByPath(page, "/p/0").SampleIDs, "retention kept the newest two")
}

func endpointByPath(eps []inventory.Endpoint, path string) inventory.Endpoint {
	for _, ep := range eps {
		if ep.Path == path {
			return ep
		}
	}
	return inventory.Endpoint{}
}
