package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/postman"
)

// PlanOptions says who imports and how samples are kept.
type PlanOptions struct {
	AccountID string
	ImportID  string
	// Now stamps first/last seen and sample capture times.
	Now time.Time
	// SampleBodyMax caps a stored body; 0 keeps whole bodies.
	SampleBodyMax int
}

// RequestOutcome says what an import did with one request item.
type RequestOutcome struct {
	// Index is the request's position in the collection (document order).
	Index     int      `bson:"index" json:"index"`
	RequestID string   `bson:"request_id,omitempty" json:"request_id,omitempty"`
	Name      string   `bson:"name" json:"name"`
	Folders   []string `bson:"folders,omitempty" json:"folders,omitempty"`
	Method    string   `bson:"method,omitempty" json:"method,omitempty"`
	URL       string   `bson:"url,omitempty" json:"url,omitempty"`
	Outcome   string   `bson:"outcome" json:"outcome"`
	Reason    string   `bson:"reason,omitempty" json:"reason,omitempty"`
	Detail    string   `bson:"detail,omitempty" json:"detail,omitempty"`
	Samples   int      `bson:"samples" json:"samples"`
	// Status is a replay's response status (0 when not replayed).
	Status int `bson:"status,omitempty" json:"status,omitempty"`
	// EndpointIDs are the endpoints its samples went to.
	EndpointIDs []string `bson:"endpoint_ids,omitempty" json:"endpoint_ids,omitempty"`
}

// Counts are an import's figures.
type Counts struct {
	Total    int            `bson:"total" json:"total"`
	Imported int            `bson:"imported" json:"imported"`
	Skipped  map[string]int `bson:"skipped" json:"skipped"`
	// Samples taken by this import, before per-endpoint retention.
	Samples int `bson:"samples" json:"samples"`
	// SamplesByStatus counts samples by status class (2xx .. 5xx, unknown).
	SamplesByStatus  map[string]int `bson:"samples_by_status" json:"samples_by_status"`
	EndpointsCreated int            `bson:"endpoints_created" json:"endpoints_created"`
	EndpointsUpdated int            `bson:"endpoints_updated" json:"endpoints_updated"`
	// Replay counts the requests sent to their servers (nil when the import
	// does not replay).
	Replay *ReplayCounts `bson:"replay,omitempty" json:"replay,omitempty"`
	// EndpointsRemoved counts endpoints a workspace sync's import found gone
	// from the collection and marked removed.
	EndpointsRemoved int `bson:"endpoints_removed,omitempty" json:"endpoints_removed,omitempty"`
}

// ReplayCounts are an import's replay figures. While the import runs, Done
// and the outcome counters grow; Planned counts what a dry run would send.
type ReplayCounts struct {
	Total    int            `bson:"total" json:"total"`
	Done     int            `bson:"done" json:"done"`
	Planned  int            `bson:"planned,omitempty" json:"planned,omitempty"`
	Imported int            `bson:"imported" json:"imported"`
	Skipped  map[string]int `bson:"skipped,omitempty" json:"skipped,omitempty"`
}

// Observation is what one import saw of one endpoint.
type Observation struct {
	Key     EndpointKey
	Scheme  string
	Sources []Source
	Samples []Sample
}

// EndpointKey identifies an endpoint within an API collection.
type EndpointKey struct {
	Method string
	Host   string
	Path   string
}

// Plan is everything an import will write, computed without I/O.
type Plan struct {
	Collection Collection
	Counts     Counts
	Outcomes   []RequestOutcome
	// Observations are in first-seen order, one per endpoint.
	Observations []Observation
}

// CollectionID is the stable id of the API collection of a Postman
// collection: from its Postman id, or from a hash of its content when it has
// none, so a re-import of the same file lands in the same collection.
func CollectionID(accountID, postmanID string, content []byte) string {
	if postmanID != "" {
		return ids.Stable("col", accountID, "postman", postmanID)
	}
	sum := sha256.Sum256(content)
	return ids.Stable("col", accountID, "sha256", hex.EncodeToString(sum[:]))
}

// EndpointID is the stable id of an endpoint.
func EndpointID(collectionID string, k EndpointKey) string {
	return ids.Stable("ep", collectionID, k.Method, k.Host, k.Path)
}

// KeyOf returns the endpoint key of a built request.
func KeyOf(r postman.BuiltRequest) EndpointKey {
	host := strings.ToLower(r.URL.Host)
	if r.URL.Port != "" {
		host += ":" + r.URL.Port
	}
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = "GET"
	}
	return EndpointKey{Method: method, Host: host, Path: path}
}

// PlanImport turns a parsed collection into the import's plan. collectionID
// comes from CollectionID.
func PlanImport(c *postman.Collection, collectionID string, o PlanOptions) Plan {
	p := Plan{
		Collection: Collection{
			ID: collectionID, AccountID: o.AccountID, Name: c.Name, PostmanID: c.PostmanID,
			Schema: c.Schema, LastImportID: o.ImportID, CreatedAt: o.Now, UpdatedAt: o.Now,
		},
		Counts: Counts{Skipped: map[string]int{}, SamplesByStatus: map[string]int{}},
	}
	index := map[EndpointKey]int{}
	for i := range c.Requests {
		r := &c.Requests[i]
		out := RequestOutcome{
			Index: i, RequestID: r.ID, Name: r.Name, Folders: r.Folders,
			Method: r.Built.Method, URL: r.Built.URL.Raw,
		}
		p.Counts.Total++
		switch {
		case r.Invalid != "":
			out.Outcome, out.Reason, out.Detail = OutcomeSkipped, ReasonInvalidItem, r.Invalid
		case len(r.Examples) == 0:
			out.Outcome, out.Reason = OutcomeSkipped, ReasonNoSavedResponse
		default:
			out.Outcome = OutcomeImported
			for j, ex := range r.Examples {
				key := KeyOf(ex.Request)
				n, ok := index[key]
				if !ok {
					n = len(p.Observations)
					index[key] = n
					p.Observations = append(p.Observations, Observation{Key: key, Scheme: ex.Request.URL.Scheme})
				}
				obs := &p.Observations[n]
				epID := EndpointID(collectionID, key)
				obs.Sources = addSource(obs.Sources, Source{RequestID: r.ID, Name: r.Name})
				s := exampleSample(r, j, ex, o)
				s.CollectionID, s.EndpointID = collectionID, epID
				s.ID = ids.Stable("smp", epID, requestKey(r, i), strconv.Itoa(j), s.contentHash())
				obs.Samples = append(obs.Samples, s)
				out.Samples++
				p.Counts.Samples++
				p.Counts.SamplesByStatus[StatusClass(ex.Status)]++
				if !slices.Contains(out.EndpointIDs, epID) {
					out.EndpointIDs = append(out.EndpointIDs, epID)
				}
			}
		}
		if out.Outcome == OutcomeImported {
			p.Counts.Imported++
		} else {
			p.Counts.Skipped[out.Reason]++
		}
		p.Outcomes = append(p.Outcomes, out)
	}
	return p
}

// requestKey names a request within its collection: its id when it has one,
// else its folder path, name and position.
func requestKey(r *postman.Request, i int) string {
	if r.ID != "" {
		return "id:" + r.ID
	}
	return "pos:" + strconv.Itoa(i) + ":" + strings.Join(r.Folders, "/") + "/" + r.Name
}

func exampleSample(r *postman.Request, _ int, ex postman.Example, o PlanOptions) Sample {
	s := Sample{
		AccountID: o.AccountID,
		Source: SampleSource{
			Kind: SourceExample, ImportID: o.ImportID, RequestID: r.ID,
			RequestName: r.Name, ExampleName: ex.Name,
		},
		Request: SampleRequest{
			Method:  KeyOf(ex.Request).Method,
			URL:     ex.Request.URL.Raw,
			Headers: headers(ex.Request.Headers),
		},
		Response:   SampleResponse{Status: ex.Status, Headers: headers(ex.Headers)},
		CapturedAt: o.Now,
	}
	if ex.Request.Body != nil {
		s.Request.Body, s.Request.BodyTruncated = truncate(bodyText(ex.Request.Body), o.SampleBodyMax)
	}
	s.Response.Body, s.Response.BodyTruncated = truncate(ex.Body, o.SampleBodyMax)
	return s
}

func bodyText(b *postman.Body) string {
	if b.Raw != "" || len(b.Form) == 0 {
		return b.Raw
	}
	var sb strings.Builder
	for i, f := range b.Form {
		if i > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(f.Key)
		sb.WriteByte('=')
		if f.File != "" {
			sb.WriteString("@" + f.File)
		} else {
			sb.WriteString(f.Value)
		}
	}
	return sb.String()
}

func truncate(s string, max int) (string, bool) {
	if max <= 0 || len(s) <= max {
		return s, false
	}
	return s[:max], true
}

// contentHash identifies what a sample shows, so a changed saved response
// becomes a new sample while an unchanged one is recognised.
func (s Sample) contentHash() string {
	h := sha256.New()
	w := func(v string) { h.Write([]byte(v)); h.Write([]byte{0}) }
	w(s.Request.Method)
	w(s.Request.URL)
	w(s.Request.Body)
	for _, x := range s.Request.Headers {
		w(x.Name)
		w(x.Value)
	}
	w(strconv.Itoa(s.Response.Status))
	w(s.Response.Body)
	for _, x := range s.Response.Headers {
		w(x.Name)
		w(x.Value)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func addSource(list []Source, s Source) []Source {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
