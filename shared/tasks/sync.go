package tasks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// Workspace sync task types.
const (
	// TypeSyncWorkspace runs one workspace sync (created by the API).
	TypeSyncWorkspace = "sync:workspace"
	// TypeSyncScheduled creates and runs the sync of one schedule for one
	// scheduled instant (enqueued by the scheduler).
	TypeSyncScheduled = "sync:scheduled"
)

// QueueSyncs holds workspace syncs, apart from the imports they enqueue.
const QueueSyncs = "syncs"

// syncTimeout bounds one run of a sync task: a large workspace at 300
// requests a minute takes a while.
const syncTimeout = 2 * time.Hour

// SyncWorkspace is the payload of TypeSyncWorkspace.
type SyncWorkspace struct {
	SyncID    string `json:"sync_id"`
	AccountID string `json:"account_id"`
}

// NewSyncWorkspace returns the task of one sync; its task id derives from
// the sync id, so enqueuing it twice is refused.
func NewSyncWorkspace(p SyncWorkspace, maxRetry int) (*asynq.Task, error) {
	if p.SyncID == "" || p.AccountID == "" {
		return nil, fmt.Errorf("tasks: sync id and account id are required")
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeSyncWorkspace, b,
		asynq.TaskID(TypeSyncWorkspace+":"+p.SyncID),
		asynq.Queue(QueueSyncs), asynq.MaxRetry(maxRetry),
		asynq.Timeout(syncTimeout), asynq.Retention(24*time.Hour),
	), nil
}

// ParseSyncWorkspace decodes a TypeSyncWorkspace payload.
func ParseSyncWorkspace(t *asynq.Task) (SyncWorkspace, error) {
	var p SyncWorkspace
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("tasks: bad %s payload: %w", t.Type(), err)
	}
	if p.SyncID == "" || p.AccountID == "" {
		return p, fmt.Errorf("tasks: %s payload lacks ids", t.Type())
	}
	return p, nil
}

// SyncScheduled is the payload of TypeSyncScheduled.
type SyncScheduled struct {
	ScheduleID   string    `json:"schedule_id"`
	AccountID    string    `json:"account_id"`
	ScheduledFor time.Time `json:"scheduled_for"`
}

// ScheduledTaskID is the task id of a schedule's run at one instant: every
// scheduler computes the same one, so a run is enqueued once however many
// schedulers fire it, and a run archived after failing does not block the
// next instant's.
func ScheduledTaskID(scheduleID string, at time.Time) string {
	return TypeSyncScheduled + ":" + scheduleID + ":" + strconv.FormatInt(at.UTC().Unix(), 10)
}

// NewSyncScheduled returns the task of a schedule's run at p.ScheduledFor.
// retention keeps the finished task (and so its id) that long, so a late
// scheduler's enqueue of the same run is refused.
func NewSyncScheduled(p SyncScheduled, maxRetry int, retention time.Duration) (*asynq.Task, error) {
	if p.ScheduleID == "" || p.AccountID == "" || p.ScheduledFor.IsZero() {
		return nil, fmt.Errorf("tasks: schedule id, account id and time are required")
	}
	p.ScheduledFor = p.ScheduledFor.UTC()
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeSyncScheduled, b,
		asynq.TaskID(ScheduledTaskID(p.ScheduleID, p.ScheduledFor)),
		asynq.Queue(QueueSyncs), asynq.MaxRetry(maxRetry),
		asynq.Timeout(syncTimeout), asynq.Retention(retention),
	), nil
}

// ParseSyncScheduled decodes a TypeSyncScheduled payload.
func ParseSyncScheduled(t *asynq.Task) (SyncScheduled, error) {
	var p SyncScheduled
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("tasks: bad %s payload: %w", t.Type(), err)
	}
	if p.ScheduleID == "" || p.AccountID == "" || p.ScheduledFor.IsZero() {
		return p, fmt.Errorf("tasks: %s payload lacks ids or time", t.Type())
	}
	return p, nil
}
