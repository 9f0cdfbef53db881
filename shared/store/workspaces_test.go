package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/workspace"
)

func TestCredentials(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sealed := secret.Sealed{KeyID: "k1", Data: []byte{1, 2, 3}}
	for i := range 3 {
		require.NoError(t, s.CreateCredential(ctx, workspace.Credential{
			ID: fmt.Sprintf("pmc_%d", i), AccountID: "acc_1", Name: "n", MaskedKey: "****abcd", Sealed: sealed, CreatedAt: t0,
		}))
	}
	list, err := s.ListCredentials(ctx, "acc_1", store.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, "pmc_2", list[0].ID, "newest first")
	_, err = s.GetCredential(ctx, "acc_2", "pmc_1")
	require.ErrorIs(t, err, store.ErrNotFound, "another account's credential is not found")

	require.NoError(t, s.ResealCredential(ctx, "acc_1", "pmc_1", secret.Sealed{KeyID: "k2", Data: []byte{4}}))
	require.NoError(t, s.TouchCredential(ctx, "acc_1", "pmc_1", t0.Add(time.Hour)))
	c, err := s.GetCredential(ctx, "acc_1", "pmc_1")
	require.NoError(t, err)
	require.Equal(t, "k2", c.Sealed.KeyID)
	require.Equal(t, t0.Add(time.Hour), c.LastUsedAt.UTC())

	require.ErrorIs(t, s.DeleteCredential(ctx, "acc_2", "pmc_1"), store.ErrNotFound)
	require.NoError(t, s.DeleteCredential(ctx, "acc_1", "pmc_1"))
	require.ErrorIs(t, s.DeleteCredential(ctx, "acc_1", "pmc_1"), store.ErrNotFound)
}

func TestSyncLifecycle(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id, status string) workspace.Sync {
		return workspace.Sync{ID: id, AccountID: "acc_1", WorkspaceID: "ws", Status: status, Trigger: workspace.TriggerManual, CreatedAt: t0}
	}
	require.NoError(t, s.CreateSync(ctx, mk("syn_1", workspace.StatusCompleted)))
	require.NoError(t, s.CreateSync(ctx, mk("syn_2", workspace.StatusFailed)))
	require.NoError(t, s.CreateSync(ctx, mk("syn_3", workspace.StatusQueued)))
	require.ErrorIs(t, s.CreateSync(ctx, mk("syn_3", workspace.StatusQueued)), store.ErrExists)

	last, err := s.LastCompletedSync(ctx, "acc_1", "ws", "syn_3")
	require.NoError(t, err)
	require.Equal(t, "syn_1", last.ID, "failed syncs do not count")
	_, err = s.LastCompletedSync(ctx, "acc_1", "ws", "syn_1")
	require.ErrorIs(t, err, store.ErrNotFound)

	before, err := s.StartSync(ctx, "acc_1", "syn_3", t0)
	require.NoError(t, err)
	require.Equal(t, workspace.StatusQueued, before.Status)
	sy := mk("syn_3", workspace.StatusRunning)
	sy.Collections = []workspace.SyncCollection{
		{UID: "a", Outcome: workspace.OutcomeImported, ImportID: "imp_1"},
		{UID: "b", Outcome: workspace.OutcomeFailed, Error: "postman collection: 500"},
	}
	require.NoError(t, s.SaveSyncProgress(ctx, sy))
	got, err := s.GetSync(ctx, "acc_1", "syn_3")
	require.NoError(t, err)
	require.Equal(t, workspace.StatusRunning, got.Status)
	require.Equal(t, 1, got.Attempts)
	require.Equal(t, workspace.SyncCounts{Total: 2, Imported: 1, Failed: 1}, got.Counts)

	sy.Status = workspace.StatusCompleted
	moved, err := s.FinishSync(ctx, sy, t0.Add(time.Minute))
	require.NoError(t, err)
	require.True(t, moved)
	sy.Status = workspace.StatusFailed
	moved, err = s.FinishSync(ctx, sy, t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.False(t, moved, "a finished sync does not move again")

	list, err := s.ListSyncs(ctx, "acc_1", "ws", store.Page{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, "syn_3", list[0].ID)
	require.Len(t, list, 3)
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sc := workspace.Schedule{ID: "sch_1", AccountID: "acc_1", WorkspaceID: "ws", Cron: "@hourly", CredentialID: "pmc_1", CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.PutSchedule(ctx, sc))
	sc.Cron, sc.CreatedAt, sc.UpdatedAt = "@daily", t0.Add(time.Hour), t0.Add(time.Hour)
	require.NoError(t, s.PutSchedule(ctx, sc))
	got, err := s.GetSchedule(ctx, "acc_1", "sch_1")
	require.NoError(t, err)
	require.Equal(t, "@daily", got.Cron)
	require.Equal(t, t0, got.CreatedAt.UTC(), "creation time is kept")
	all, err := s.AllSchedules(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)
	using, err := s.SchedulesUsingCredential(ctx, "acc_1", "pmc_1")
	require.NoError(t, err)
	require.Len(t, using, 1)
	require.NoError(t, s.DeleteSchedule(ctx, "acc_1", "sch_1"))
	require.ErrorIs(t, s.DeleteSchedule(ctx, "acc_1", "sch_1"), store.ErrNotFound)
}

func TestEndpointsRemoved(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mo := inventory.MergeOptions{AccountID: "acc_1", CollectionID: "col_1", ImportID: "imp_1", Now: t0, Keep: 2}
	var ids []string
	var eps []inventory.Endpoint
	for i := range store.MaxBulk + 3 {
		ep, _, _ := inventory.Merge(nil, inventory.Observation{Key: inventory.EndpointKey{Method: "GET", Host: "h", Path: fmt.Sprintf("/p/%d", i)}}, mo)
		eps = append(eps, ep)
		ids = append(ids, ep.ID)
	}
	require.NoError(t, s.SaveEndpoints(ctx, eps))
	present, err := s.CollectionEndpointIDs(ctx, "acc_1", "col_1")
	require.NoError(t, err)
	require.ElementsMatch(t, ids, present)

	gone := ids[:store.MaxBulk+1]
	require.NoError(t, s.MarkEndpointsRemoved(ctx, "acc_1", gone, t0.Add(time.Hour)))
	require.NoError(t, s.MarkEndpointsRemoved(ctx, "acc_1", gone, t0.Add(2*time.Hour)), "marking again keeps the first time")
	yes, no := true, false
	removed, err := s.QueryEndpoints(ctx, "acc_1", "col_1", store.EndpointQuery{Filter: store.EndpointFilter{Removed: &yes}, Limit: 1000})
	require.NoError(t, err)
	require.Len(t, removed, len(gone))
	require.Equal(t, t0.Add(time.Hour), removed[0].RemovedAt.UTC())
	kept, err := s.QueryEndpoints(ctx, "acc_1", "col_1", store.EndpointQuery{Filter: store.EndpointFilter{Removed: &no}, Limit: 1000})
	require.NoError(t, err)
	require.Len(t, kept, 2)
	all, err := s.QueryEndpoints(ctx, "acc_1", "col_1", store.EndpointQuery{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, all, len(ids))

	// An endpoint seen again is present again.
	back, _, _ := inventory.Merge(&removed[0], inventory.Observation{Key: inventory.EndpointKey{Method: "GET", Host: "h", Path: removed[0].Path}}, mo)
	require.Nil(t, back.RemovedAt)
	require.NoError(t, s.SaveEndpoints(ctx, []inventory.Endpoint{back}), "marking bumped the version, so the re-read one saves")
	kept, err = s.QueryEndpoints(ctx, "acc_1", "col_1", store.EndpointQuery{Filter: store.EndpointFilter{Removed: &no}, Limit: 1000})
	require.NoError(t, err)
	require.Len(t, kept, 3)
}
