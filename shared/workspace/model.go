// Package workspace models Postman workspace import: the Postman API keys an
// account stores (sealed), workspace syncs with their per-collection
// outcomes, and re-sync schedules. It is pure: no I/O.
package workspace

import (
	"time"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/secret"
)

// Credential is a Postman API key of an account. The key itself is only
// stored sealed; MaskedKey is what may be shown.
type Credential struct {
	ID        string        `bson:"_id" json:"id"`
	AccountID string        `bson:"account_id" json:"-"`
	Name      string        `bson:"name" json:"name"`
	MaskedKey string        `bson:"masked_key" json:"masked_key"`
	Sealed    secret.Sealed `bson:"sealed" json:"-"`
	// PostmanUser is the username GET /me answered when the key was added.
	PostmanUser string     `bson:"postman_user,omitempty" json:"postman_user,omitempty"`
	CreatedAt   time.Time  `bson:"created_at" json:"created_at"`
	LastUsedAt  *time.Time `bson:"last_used_at,omitempty" json:"last_used_at,omitempty"`
}

// SealAAD binds a credential's sealed key to the credential: a sealed value
// copied onto another credential does not open.
func SealAAD(accountID, credentialID string) string {
	return "postman-credential:" + accountID + ":" + credentialID
}

// Sync statuses (the same words as imports).
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// Per-collection outcomes of a sync.
const (
	// OutcomeImported: the collection was stored and its import enqueued.
	OutcomeImported = "imported"
	// OutcomeUnchanged: its updatedAt (and the environment) did not change
	// since the last sync; ImportID names the import that holds it.
	OutcomeUnchanged = "unchanged"
	// OutcomeFailed: fetching or reading it failed (Error says why).
	OutcomeFailed = "failed"
)

// Triggers of a sync.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
)

// SyncOptions are what a user chose for a sync: force, plus the import
// options (allow_replay and the replay options) every import it submits
// gets, in the same JSON shape as an upload's options.
type SyncOptions struct {
	// Force imports every collection, changed or not.
	Force                   bool `bson:"force" json:"force"`
	inventory.ImportOptions `bson:",inline"`
}

// Element is a collection or environment a workspace lists.
type Element struct {
	UID  string `bson:"uid" json:"uid"`
	Name string `bson:"name" json:"name"`
}

// SyncCollection is what a sync did with one collection.
type SyncCollection struct {
	UID     string `bson:"uid" json:"uid"`
	Name    string `bson:"name" json:"name"`
	Outcome string `bson:"outcome" json:"outcome"`
	// ImportID is the import enqueued (imported) or the one that still
	// holds the collection (unchanged).
	ImportID string `bson:"import_id,omitempty" json:"import_id,omitempty"`
	// UpdatedAt is the collection's info.updatedAt as Postman sent it.
	UpdatedAt string `bson:"updated_at,omitempty" json:"updated_at,omitempty"`
	// Version is what incremental syncs compare: updatedAt (or a content
	// hash when absent) and the environment's version.
	Version string `bson:"version,omitempty" json:"-"`
	// Error is the Postman (or parse) error of a failed collection.
	Error string `bson:"error,omitempty" json:"error,omitempty"`
}

// SyncCounts sum up the outcomes.
type SyncCounts struct {
	Total     int `bson:"total" json:"total"`
	Imported  int `bson:"imported" json:"imported"`
	Unchanged int `bson:"unchanged" json:"unchanged"`
	Failed    int `bson:"failed" json:"failed"`
}

// CountOutcomes counts cols by outcome.
func CountOutcomes(cols []SyncCollection) SyncCounts {
	c := SyncCounts{Total: len(cols)}
	for _, col := range cols {
		switch col.Outcome {
		case OutcomeImported:
			c.Imported++
		case OutcomeUnchanged:
			c.Unchanged++
		case OutcomeFailed:
			c.Failed++
		}
	}
	return c
}

// Sync is one workspace sync.
type Sync struct {
	ID            string `bson:"_id" json:"id"`
	AccountID     string `bson:"account_id" json:"-"`
	WorkspaceID   string `bson:"workspace_id" json:"workspace_id"`
	WorkspaceName string `bson:"workspace_name,omitempty" json:"workspace_name,omitempty"`
	CredentialID  string `bson:"credential_id" json:"credential_id"`
	// EnvironmentID is the Postman environment uid whose variables resolve
	// the collections ("" for none).
	EnvironmentID string      `bson:"environment_id,omitempty" json:"environment_id,omitempty"`
	Options       SyncOptions `bson:"options" json:"options"`
	Trigger       string      `bson:"trigger" json:"trigger"`
	ScheduleID    string      `bson:"schedule_id,omitempty" json:"schedule_id,omitempty"`
	ScheduledFor  *time.Time  `bson:"scheduled_for,omitempty" json:"scheduled_for,omitempty"`
	Status        string      `bson:"status" json:"status"`
	// Collections holds one entry per collection of the workspace, in the
	// workspace's order, as they are processed.
	Collections  []SyncCollection `bson:"collections" json:"collections"`
	Environments []Element        `bson:"environments" json:"environments"`
	Counts       SyncCounts       `bson:"counts" json:"counts"`
	// Error says why a failed sync failed as a whole (a rejected key, a
	// missing workspace, an exhausted quota).
	Error      string     `bson:"error,omitempty" json:"error,omitempty"`
	Attempts   int        `bson:"attempts" json:"attempts"`
	CreatedAt  time.Time  `bson:"created_at" json:"created_at"`
	StartedAt  *time.Time `bson:"started_at,omitempty" json:"started_at,omitempty"`
	FinishedAt *time.Time `bson:"finished_at,omitempty" json:"finished_at,omitempty"`
}

// Finished reports whether the sync reached its end.
func (s Sync) Finished() bool { return s.Status == StatusCompleted || s.Status == StatusFailed }

// Schedule re-syncs a workspace on a cron schedule. An account has at most
// one per workspace.
type Schedule struct {
	ID            string      `bson:"_id" json:"id"`
	AccountID     string      `bson:"account_id" json:"-"`
	WorkspaceID   string      `bson:"workspace_id" json:"workspace_id"`
	Cron          string      `bson:"cron" json:"cron"`
	CredentialID  string      `bson:"credential_id" json:"credential_id"`
	EnvironmentID string      `bson:"environment_id,omitempty" json:"environment_id,omitempty"`
	Options       SyncOptions `bson:"options" json:"options"`
	CreatedAt     time.Time   `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time   `bson:"updated_at" json:"updated_at"`
}

// ImportSourceKind is the source kind of the imports a sync submits
// (uploads are "upload"). Such an import also marks the endpoints its
// collection no longer contains as removed.
const ImportSourceKind = "postman_sync"
