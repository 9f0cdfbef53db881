package tasks

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
)

func TestSyncTasksRoundTrip(t *testing.T) {
	t.Parallel()
	task, err := NewSyncWorkspace(SyncWorkspace{SyncID: "syn_1", AccountID: "acc_1"}, 3)
	require.NoError(t, err)
	p, err := ParseSyncWorkspace(task)
	require.NoError(t, err)
	require.Equal(t, SyncWorkspace{SyncID: "syn_1", AccountID: "acc_1"}, p)

	at := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	st, err := NewSyncScheduled(SyncScheduled{ScheduleID: "sch_1", AccountID: "acc_1", ScheduledFor: at}, 3, time.Hour)
	require.NoError(t, err)
	sp, err := ParseSyncScheduled(st)
	require.NoError(t, err)
	require.True(t, at.Equal(sp.ScheduledFor))
	require.Equal(t, "sync:scheduled:sch_1:1767247200", ScheduledTaskID("sch_1", at))
	require.NotEqual(t, ScheduledTaskID("sch_1", at), ScheduledTaskID("sch_1", at.Add(time.Hour)))
}

func TestSyncTasksReject(t *testing.T) {
	t.Parallel()
	_, err := NewSyncWorkspace(SyncWorkspace{SyncID: "syn_1"}, 3)
	require.Error(t, err)
	_, err = NewSyncScheduled(SyncScheduled{ScheduleID: "s", AccountID: "a"}, 3, time.Hour)
	require.Error(t, err)
	for _, payload := range []string{`{`, `{}`, `{"sync_id":"x"}`} {
		_, err := ParseSyncWorkspace(asynq.NewTask(TypeSyncWorkspace, []byte(payload)))
		require.Error(t, err, payload)
		_, err = ParseSyncScheduled(asynq.NewTask(TypeSyncScheduled, []byte(payload)))
		require.Error(t, err, payload)
	}
}
