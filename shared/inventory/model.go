// Package inventory models an API inventory: API collections, their
// endpoints (method + host + path) and the request/response samples that
// show them. It is pure: it turns a parsed Postman collection into an import
// plan and merges plans into stored endpoints, with no I/O.
package inventory

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/schema"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/template"
)

// Request outcomes and the reason codes of requests that were not imported.
const (
	OutcomeImported = "imported"
	OutcomeSkipped  = "skipped"
	// OutcomePending: a replay of the request is queued.
	OutcomePending = "pending"

	// ReasonNoSavedResponse: the request has no usable saved response and
	// the import does not replay.
	ReasonNoSavedResponse = "no_saved_response"
	// ReasonInvalidItem: the item is structurally broken (see the detail).
	ReasonInvalidItem = "invalid_item"
)

// Sample sources.
const (
	SourceExample = "example"
	SourceReplay  = "replay"
)

// Collection is one API collection: the inventory of one Postman collection
// for one account.
type Collection struct {
	ID           string    `bson:"_id" json:"id"`
	AccountID    string    `bson:"account_id" json:"-"`
	Name         string    `bson:"name" json:"name"`
	PostmanID    string    `bson:"postman_id,omitempty" json:"postman_id,omitempty"`
	Schema       string    `bson:"schema" json:"schema"`
	LastImportID string    `bson:"last_import_id" json:"last_import_id"`
	CreatedAt    time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at" json:"updated_at"`
}

// Source names a Postman request that produced an endpoint.
type Source struct {
	RequestID string `bson:"request_id,omitempty" json:"request_id,omitempty"`
	Name      string `bson:"name" json:"name"`
}

// Endpoint is one method + host + path template of an API collection.
type Endpoint struct {
	ID           string `bson:"_id" json:"id"`
	AccountID    string `bson:"account_id" json:"-"`
	CollectionID string `bson:"collection_id" json:"collection_id"`
	Method       string `bson:"method" json:"method"`
	// Host is host[:port], lower case.
	Host   string `bson:"host" json:"host"`
	Scheme string `bson:"scheme" json:"scheme"`
	// Path is the path template, OpenAPI style: "/users/{id}/orders".
	// template.Parse(Path).Key() is the key's path.
	Path string `bson:"path" json:"path"`
	// PathParams are the template's parameters in path order: name, origin
	// (declared by the collection or inferred) and the value types seen.
	PathParams []template.Param `bson:"path_params,omitempty" json:"path_params,omitempty"`
	// Paths are concrete paths seen, first seen first, at most MaxPaths.
	Paths []string `bson:"paths,omitempty" json:"paths,omitempty"`

	// Shape is what requests and responses looked like: query parameters,
	// headers, cookies, bodies, per status.
	Shape schema.Shape `bson:"shape" json:"shape"`
	// Sensitive says where sensitive data was seen (type, location,
	// severity; counts left out), sorted, at most MaxSensitive.
	Sensitive []sensitive.Finding `bson:"sensitive,omitempty" json:"sensitive,omitempty"`
	// SensitiveTypes are the types in Sensitive, sorted.
	SensitiveTypes []sensitive.Type `bson:"sensitive_types,omitempty" json:"sensitive_types,omitempty"`
	// Auth is the evidence of how requests authenticate; AuthTypes its
	// types, sorted.
	Auth      []authtype.Evidence `bson:"auth,omitempty" json:"auth,omitempty"`
	AuthTypes []authtype.Type     `bson:"auth_types,omitempty" json:"auth_types,omitempty"`
	// PostmanAuth are the Postman auth types the requests declared, sorted.
	PostmanAuth []string `bson:"postman_auth,omitempty" json:"postman_auth,omitempty"`

	// Removed is set when an import of the collection no longer had the
	// endpoint (see MarkRemoved); a later observation clears it.
	Removed         bool       `bson:"removed,omitempty" json:"removed,omitempty"`
	RemovedAt       *time.Time `bson:"removed_at,omitempty" json:"removed_at,omitempty"`
	RemovedByImport string     `bson:"removed_by_import,omitempty" json:"-"`

	StatusCodes []int    `bson:"status_codes" json:"status_codes"`
	Sources     []Source `bson:"sources" json:"sources"`
	// SampleIDs are the retained samples, oldest first (at most the
	// configured number).
	SampleIDs []string `bson:"sample_ids" json:"-"`

	FirstSeen       time.Time `bson:"first_seen" json:"first_seen"`
	LastSeen        time.Time `bson:"last_seen" json:"last_seen"`
	CreatedByImport string    `bson:"created_by_import" json:"-"`
	LastImportID    string    `bson:"last_import_id" json:"last_import_id"`
	// Version increments on every write; stores use it for optimistic
	// concurrency.
	Version int64 `bson:"version" json:"-"`
}

// Sample is one request/response pair of an endpoint.
type Sample struct {
	ID           string         `bson:"_id" json:"id"`
	AccountID    string         `bson:"account_id" json:"-"`
	CollectionID string         `bson:"collection_id" json:"-"`
	EndpointID   string         `bson:"endpoint_id" json:"-"`
	Source       SampleSource   `bson:"source" json:"source"`
	Request      SampleRequest  `bson:"request" json:"request"`
	Response     SampleResponse `bson:"response" json:"response"`
	CapturedAt   time.Time      `bson:"captured_at" json:"captured_at"`
}

// SampleSource says where a sample came from.
type SampleSource struct {
	Kind        string `bson:"kind" json:"kind"`
	ImportID    string `bson:"import_id" json:"import_id"`
	RequestID   string `bson:"request_id,omitempty" json:"request_id,omitempty"`
	RequestName string `bson:"request_name" json:"request_name"`
	ExampleName string `bson:"example_name,omitempty" json:"example_name,omitempty"`
	// ReplayedURL is where a replay was sent when it differs from the
	// request's URL (a target override).
	ReplayedURL string `bson:"replayed_url,omitempty" json:"replayed_url,omitempty"`
	// LatencyMS is a replay's round trip.
	LatencyMS int64 `bson:"latency_ms,omitempty" json:"latency_ms,omitempty"`
}

// Header is one HTTP header.
type Header struct {
	Name  string `bson:"name" json:"name"`
	Value string `bson:"value" json:"value"`
}

// SampleRequest is the request half of a sample.
type SampleRequest struct {
	Method  string   `bson:"method" json:"method"`
	URL     string   `bson:"url" json:"url"`
	Headers []Header `bson:"headers" json:"headers"`
	Body    string   `bson:"body,omitempty" json:"body,omitempty"`
	// BodyTruncated is set when Body was cut at the configured cap.
	BodyTruncated bool `bson:"body_truncated,omitempty" json:"body_truncated,omitempty"`
}

// SampleResponse is the response half of a sample.
type SampleResponse struct {
	// Status is the HTTP status; 0 when the saved response had none.
	Status        int      `bson:"status" json:"status"`
	Headers       []Header `bson:"headers" json:"headers"`
	Body          string   `bson:"body,omitempty" json:"body,omitempty"`
	BodyTruncated bool     `bson:"body_truncated,omitempty" json:"body_truncated,omitempty"`
}

// StatusClass is "2xx" .. "5xx", or "unknown" for 0 and out-of-range codes.
func StatusClass(code int) string {
	if code < 100 || code > 599 {
		return "unknown"
	}
	return string(rune('0'+code/100)) + "xx"
}

// Import statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	// StatusCancelled: a user cancelled the import's pending replays; what
	// was imported stays.
	StatusCancelled = "cancelled"
)

// ImportOptions are what a user chose for an import. The API stores them
// with defaults applied (see package replay), so an import shows what it did.
type ImportOptions struct {
	// AllowReplay sends requests without a saved response to their server.
	AllowReplay bool `bson:"allow_replay" json:"allow_replay"`
	// ReplayMethods are the methods replayed (upper case); ["ALL"] replays
	// every method, writes included. Default GET, HEAD, OPTIONS.
	// In JSON it may also be the string "all".
	ReplayMethods MethodList `bson:"replay_methods,omitempty" json:"replay_methods,omitempty"`
	// ReplayTimeout bounds one replayed request. Default 30 s. In JSON a
	// duration string ("30s", "1m") or a number of seconds.
	ReplayTimeout Duration `bson:"replay_timeout,omitempty" json:"replay_timeout,omitempty"`
	// FollowRedirects follows up to 10 redirects (Authorization dropped on a
	// cross-host one). Default true.
	FollowRedirects *bool `bson:"follow_redirects,omitempty" json:"follow_redirects,omitempty"`
	// InsecureTLS skips certificate verification. Default false.
	InsecureTLS bool `bson:"insecure_tls,omitempty" json:"insecure_tls,omitempty"`
	// MaxRPSPerHost caps replays per second per target host, across all
	// workers. Default 10.
	MaxRPSPerHost int `bson:"max_rps_per_host,omitempty" json:"max_rps_per_host,omitempty"`
	// KeepStatuses are the response statuses kept as samples: "2xx"-style
	// classes, single codes ("404") or ranges ("200-399"). Default ["2xx"].
	KeepStatuses []string `bson:"keep_statuses,omitempty" json:"keep_statuses,omitempty"`
	// DryRun plans and reports what would be replayed; nothing is sent.
	DryRun bool `bson:"dry_run,omitempty" json:"dry_run,omitempty"`
	// TargetOverride maps an origin of the collection to another one, e.g.
	// {"https://api.example.com": "http://127.0.0.1:9000"}.
	TargetOverride Overrides `bson:"target_override,omitempty" json:"target_override,omitempty"`
}

// Import is one import job: a collection file (and optional environment)
// turned into inventory.
type Import struct {
	ID        string        `bson:"_id" json:"id"`
	AccountID string        `bson:"account_id" json:"-"`
	Status    string        `bson:"status" json:"status"`
	Options   ImportOptions `bson:"options" json:"options"`
	// Source describes what was uploaded.
	Source ImportSource `bson:"source" json:"source"`
	// CollectionID and CollectionName are set once the file is parsed.
	CollectionID   string     `bson:"collection_id,omitempty" json:"collection_id,omitempty"`
	CollectionName string     `bson:"collection_name,omitempty" json:"collection_name,omitempty"`
	Schema         string     `bson:"schema,omitempty" json:"schema,omitempty"`
	Counts         Counts     `bson:"counts" json:"counts"`
	Error          string     `bson:"error,omitempty" json:"error,omitempty"`
	Attempts       int        `bson:"attempts" json:"attempts"`
	CreatedAt      time.Time  `bson:"created_at" json:"created_at"`
	StartedAt      *time.Time `bson:"started_at,omitempty" json:"started_at,omitempty"`
	FinishedAt     *time.Time `bson:"finished_at,omitempty" json:"finished_at,omitempty"`
}

// ImportSource is the uploaded material of an import.
type ImportSource struct {
	Kind       string `bson:"kind" json:"kind"` // "upload"
	FileName   string `bson:"file_name,omitempty" json:"file_name,omitempty"`
	FileBytes  int64  `bson:"file_bytes" json:"file_bytes"`
	FileBlobID string `bson:"file_blob_id" json:"-"`
	EnvName    string `bson:"env_name,omitempty" json:"environment,omitempty"`
	EnvBlobID  string `bson:"env_blob_id,omitempty" json:"-"`
}

// NewCounts returns zeroed counts with their maps made, so they encode as
// {} rather than null.
func NewCounts() Counts {
	return Counts{Skipped: map[string]int{}, SamplesByStatus: map[string]int{}}
}

// MethodList is a list of HTTP methods; JSON accepts a single string too
// ("all").
type MethodList []string

// UnmarshalJSON accepts ["GET", "HEAD"] or "all".
func (m *MethodList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*m = MethodList{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf(`want a list of methods or "all"`)
	}
	*m = list
	return nil
}

// Duration is a time.Duration that reads "30s" or a number of seconds from
// JSON and writes "30s".
type Duration time.Duration

// MarshalJSON writes the duration as a string like "30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "30s" or 30.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration like \"30s\"")
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("want a duration like \"30s\" or a number of seconds")
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// Overrides maps origins to origins. It is stored as a list of pairs:
// origins contain dots, which MongoDB-wire servers may refuse in field names.
type Overrides map[string]string

type overridePair struct {
	From string `bson:"from"`
	To   string `bson:"to"`
}

// MarshalBSONValue stores the map as a list of {from, to} pairs.
func (o Overrides) MarshalBSONValue() (bsontype.Type, []byte, error) {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]overridePair, 0, len(o))
	for _, k := range keys {
		pairs = append(pairs, overridePair{From: k, To: o[k]})
	}
	return bson.MarshalValue(pairs)
}

// UnmarshalBSONValue reads the list of pairs back.
func (o *Overrides) UnmarshalBSONValue(t bsontype.Type, data []byte) error {
	var pairs []overridePair
	if err := bson.UnmarshalValue(t, data, &pairs); err != nil {
		return err
	}
	*o = make(Overrides, len(pairs))
	for _, p := range pairs {
		(*o)[p.From] = p.To
	}
	return nil
}
