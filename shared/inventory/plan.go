package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/schema"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/template"
)

// PlanOptions says who imports and how samples are kept.
type PlanOptions struct {
	AccountID string
	ImportID  string
	// Now stamps first/last seen and sample capture times.
	Now time.Time
	// SampleBodyMax caps a stored body; 0 keeps whole bodies. Templating,
	// shapes and sensitive-data detection always see whole bodies.
	SampleBodyMax int
	// NoRedaction stores samples as saved. By default (false) credentials
	// (Authorization, cookies, API keys, secret-named fields) and every
	// detected sensitive value are replaced by placeholders.
	NoRedaction bool
	// Known are the collection's stored endpoints (Method, Host, Path and
	// PathParams are read): a sample whose path fits one of their templates
	// joins it. Nil is fine for a first import.
	Known []Endpoint
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
	Key    EndpointKey
	Scheme string
	// Template is the endpoint's path template with named parameters
	// ("/users/{id}"); empty means Key.Path.
	Template   string
	PathParams []template.Param
	// Paths are the concrete paths seen, first seen first, at most MaxPaths.
	Paths       []string
	Shape       schema.Shape
	Sensitive   []sensitive.Finding
	Auth        []authtype.Evidence
	PostmanAuth []string
	Sources     []Source
	Samples     []Sample
}

// EndpointKey identifies an endpoint within an API collection. Path is the
// template's key: parameters written "{}" whatever their names and types
// ("/users/{}/orders"), so "/users/:id", "/users/{{userId}}" and
// "/users/42" are one endpoint.
type EndpointKey struct {
	Method string
	Host   string
	Path   string
}

// Caps on what an endpoint accumulates.
const (
	// MaxPaths caps the concrete paths an endpoint lists.
	MaxPaths = 20
	// MaxSensitive caps the sensitive findings an endpoint lists.
	MaxSensitive = 200
)

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

// KeyOf returns the endpoint key of a built request on its own: its
// template's key (see TemplateOf). PlanImport may file a request under
// another template it fits.
func KeyOf(r postman.BuiltRequest) EndpointKey {
	method, host := methodHost(r)
	return EndpointKey{Method: method, Host: host, Path: TemplateOf(r).Key()}
}

// TemplateOf infers the path template of a built request from the path as
// the collection wrote it (":name", "{{var}}" kept) and as it was sent.
func TemplateOf(r postman.BuiltRequest) template.Template {
	written := r.URL.PathTemplate
	if written == "" {
		written = r.URL.Path
	}
	return template.Infer(written, r.URL.Path)
}

func methodHost(r postman.BuiltRequest) (string, string) {
	host := strings.ToLower(r.URL.Host)
	if r.URL.Port != "" {
		host += ":" + r.URL.Port
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = "GET"
	}
	return method, host
}

// templateOfEndpoint rebuilds a stored endpoint's template.
func templateOfEndpoint(ep Endpoint) template.Template {
	return template.Parse(ep.Path).WithParams(ep.PathParams)
}

// templates indexes the templates requests may be filed under, by method
// and host: the collection's stored endpoints, then the requests' own
// (not their examples': those are filed, not filing).
type templates struct {
	byMH  map[[2]string][]template.Template
	byKey map[EndpointKey]template.Template
}

func newTemplates(c *postman.Collection, known []Endpoint) *templates {
	ts := &templates{byMH: map[[2]string][]template.Template{}, byKey: map[EndpointKey]template.Template{}}
	add := func(method, host string, t template.Template) {
		k := EndpointKey{Method: method, Host: host, Path: t.Key()}
		if _, dup := ts.byKey[k]; dup {
			return
		}
		ts.byKey[k] = t
		mh := [2]string{method, host}
		ts.byMH[mh] = append(ts.byMH[mh], t)
	}
	for _, ep := range known {
		add(ep.Method, ep.Host, templateOfEndpoint(ep))
	}
	for i := range c.Requests {
		r := &c.Requests[i]
		if r.Invalid == "" {
			m, h := methodHost(r.Built)
			add(m, h, TemplateOf(r.Built))
		}
	}
	return ts
}

// file chooses the template a request is filed under: the known template
// with its own key, else the most specific known template its path fits
// (template.Select), else its own.
func (ts *templates) file(r postman.BuiltRequest) (EndpointKey, template.Template) {
	method, host := methodHost(r)
	own := TemplateOf(r)
	k := EndpointKey{Method: method, Host: host, Path: own.Key()}
	if t, ok := ts.byKey[k]; ok {
		return k, t
	}
	cands := ts.byMH[[2]string{method, host}]
	if i := template.Select(cands, r.URL.Path); i >= 0 {
		return EndpointKey{Method: method, Host: host, Path: cands[i].Key()}, cands[i]
	}
	return k, own
}

// PlanImport turns a parsed collection into the import's plan. collectionID
// comes from CollectionID.
func PlanImport(c *postman.Collection, collectionID string, o PlanOptions) Plan {
	p := Plan{
		Collection: Collection{
			ID: collectionID, AccountID: o.AccountID, Name: c.Name, PostmanID: c.PostmanID,
			Schema: c.Schema, LastImportID: o.ImportID, CreatedAt: o.Now, UpdatedAt: o.Now,
		},
		Counts:   Counts{Skipped: map[string]int{}, SamplesByStatus: map[string]int{}},
		Outcomes: make([]RequestOutcome, 0, len(c.Requests)),
	}
	index := map[EndpointKey]int{}
	sources := map[sourceAt]bool{}
	ts := newTemplates(c, o.Known)
	workers := runtime.GOMAXPROCS(0)
	var window [][]observed
	for lo := 0; lo < len(c.Requests); lo += planWindow {
		hi := min(lo+planWindow, len(c.Requests))
		window = observeWindow(window[:0], c.Requests, lo, hi, ts, collectionID, o, workers)
		for i := lo; i < hi; i++ {
			p.fold(c, i, window[i-lo], index, sources)
		}
	}
	return p
}

// planWindow is how many requests are observed at once (in parallel, on
// every core) before their observations are folded into the plan in
// request order: enough to keep the cores busy, few enough that what one
// example showed is garbage soon after.
const planWindow = 64

// observed is what one saved example gives: its endpoint, its sample
// (complete) and what it shows of the endpoint.
type observed struct {
	key    EndpointKey
	epID   string
	tmpl   template.Template
	sample Sample
	seen   Observation
}

// sourceAt is a source of the observation at an index.
type sourceAt struct {
	n int
	s Source
}

// observeWindow observes the examples of requests[lo:hi] with up to
// workers goroutines; out[i-lo][j] is request i's example j.
func observeWindow(out [][]observed, requests []postman.Request, lo, hi int, ts *templates, collectionID string, o PlanOptions, workers int) [][]observed {
	for range hi - lo {
		out = append(out, nil)
	}
	one := func(i int) {
		r := &requests[lo+i]
		if r.Invalid != "" || len(r.Examples) == 0 {
			return
		}
		obs := make([]observed, len(r.Examples))
		for j, ex := range r.Examples {
			key, tmpl := ts.file(ex.Request)
			s, seen := observe(r, ex, tmpl, o)
			epID := EndpointID(collectionID, key)
			s.CollectionID, s.EndpointID = collectionID, epID
			s.ID = ids.Stable("smp", epID, requestKey(r, lo+i), strconv.Itoa(j), s.contentHash())
			obs[j] = observed{key: key, epID: epID, tmpl: tmpl, sample: s, seen: seen}
		}
		out[i] = obs
	}
	n := hi - lo
	if workers <= 1 || n == 1 {
		for i := range n {
			one(i)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				one(i)
			}
		}()
	}
	wg.Wait()
	return out
}

// fold adds request i, its examples observed, to the plan.
func (p *Plan) fold(c *postman.Collection, i int, examples []observed, index map[EndpointKey]int, sources map[sourceAt]bool) {
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
		for j := range examples {
			ob := &examples[j]
			ex := &r.Examples[j]
			n, ok := index[ob.key]
			if !ok {
				n = len(p.Observations)
				index[ob.key] = n
				p.Observations = append(p.Observations, Observation{Key: ob.key, Scheme: ex.Request.URL.Scheme, Template: ob.tmpl.String()})
			}
			obs := &p.Observations[n]
			epID := ob.epID
			if src := (sourceAt{n, Source{RequestID: r.ID, Name: r.Name}}); !sources[src] {
				sources[src] = true
				obs.Sources = append(obs.Sources, src.s)
			}
			obs.add(ob.seen)
			obs.Samples = append(obs.Samples, ob.sample)
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

// requestKey names a request within its collection: its id when it has one,
// else its folder path, name and position.
func requestKey(r *postman.Request, i int) string {
	if r.ID != "" {
		return "id:" + r.ID
	}
	return "pos:" + strconv.Itoa(i) + ":" + strings.Join(r.Folders, "/") + "/" + r.Name
}

// observe turns one saved example into its sample (redacted unless
// NoRedaction) and what it shows of its endpoint.
func observe(r *postman.Request, ex postman.Example, tmpl template.Template, o PlanOptions) (Sample, Observation) {
	req := ex.Request
	reqBody := ""
	reqCT := ""
	if req.Body != nil {
		reqBody, reqCT = bodyText(req.Body), req.Body.ContentType
	}
	var seen Observation

	// Path parameters and the concrete path.
	seen.PathParams = tmpl.Observe(req.URL.Path)
	if concrete(req.URL.Path) {
		seen.Paths = []string{req.URL.Path}
	}

	// Shape, from the whole bodies.
	sreq := schema.HTTPRequest{Query: schemaKVs(req.URL.Query), Headers: schemaKVs(req.Headers), ContentType: reqCT, Body: reqBody}
	if req.Body != nil {
		for _, f := range req.Body.Form {
			sreq.Form = append(sreq.Form, schema.FormField{Name: f.Key, Value: f.Value, File: f.File != ""})
		}
	}
	seen.Shape = schema.Observe(sreq, &schema.HTTPResponse{Status: ex.Status, Headers: schemaKVs(ex.Headers), Body: ex.Body})

	// Auth.
	ar := authtype.Request{Headers: authKVs(req.Headers), Query: authKVs(req.URL.Query)}
	if r.Auth != nil {
		ar.Declared, ar.DeclaredParams = r.Auth.Type, r.Auth.Params
		seen.PostmanAuth = []string{r.Auth.Type}
	}
	seen.Auth = authtype.Detect(ar)

	// Sensitive data, and the redacted copies stored.
	redact := sensitive.Redact
	if o.NoRedaction {
		redact = sensitive.Options{}
	}
	sq := sensitive.Scan(sensitive.Message{Side: sensitive.Request, URL: req.URL.Raw, Headers: sensitiveKVs(req.Headers), ContentType: reqCT, Body: reqBody}, redact)
	sr := sensitive.Scan(sensitive.Message{Side: sensitive.Response, Headers: sensitiveKVs(ex.Headers), Body: ex.Body}, redact)
	seen.Sensitive = mergeFindings(sq.Findings, sr.Findings)

	s := Sample{
		AccountID: o.AccountID,
		Source: SampleSource{
			Kind: SourceExample, ImportID: o.ImportID, RequestID: r.ID,
			RequestName: r.Name, ExampleName: ex.Name,
		},
		Request: SampleRequest{
			Method:  KeyOf(req).Method,
			URL:     sq.URL,
			Headers: headersOf(sq.Headers),
		},
		Response:   SampleResponse{Status: ex.Status, Headers: headersOf(sr.Headers)},
		CapturedAt: o.Now,
	}
	if req.Body != nil {
		s.Request.Body, s.Request.BodyTruncated = truncate(sq.Body, o.SampleBodyMax)
	}
	s.Response.Body, s.Response.BodyTruncated = truncate(sr.Body, o.SampleBodyMax)
	return s, seen
}

// concrete reports whether a path was sent with every variable filled.
func concrete(path string) bool {
	if strings.Contains(path, "{{") {
		return false
	}
	for seg := range strings.SplitSeq(path, "/") {
		if len(seg) > 1 && seg[0] == ':' {
			return false
		}
	}
	return true
}

func schemaKVs(kvs []postman.KV) []schema.KV {
	out := make([]schema.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = schema.KV{Name: kv.Key, Value: kv.Value}
	}
	return out
}

func authKVs(kvs []postman.KV) []authtype.KV {
	out := make([]authtype.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = authtype.KV{Name: kv.Key, Value: kv.Value}
	}
	return out
}

func sensitiveKVs(kvs []postman.KV) []sensitive.KV {
	out := make([]sensitive.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = sensitive.KV{Name: kv.Key, Value: kv.Value}
	}
	return out
}

func headersOf(kvs []sensitive.KV) []Header {
	out := make([]Header, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, Header{Name: kv.Name, Value: kv.Value})
	}
	return out
}

// add folds what one example showed into the observation.
func (obs *Observation) add(seen Observation) {
	obs.PathParams = template.MergeParams(obs.PathParams, seen.PathParams)
	obs.Paths = addPaths(obs.Paths, seen.Paths)
	obs.Shape = schema.MergeShapes(obs.Shape, seen.Shape)
	obs.Sensitive = mergeFindings(obs.Sensitive, seen.Sensitive)
	obs.Auth = authtype.Merge(obs.Auth, seen.Auth)
	obs.PostmanAuth = addStrings(obs.PostmanAuth, seen.PostmanAuth)
}

// addPaths appends the paths not listed yet, up to MaxPaths.
func addPaths(list, paths []string) []string {
	for _, p := range paths {
		if len(list) >= MaxPaths {
			break
		}
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	return list
}

// addStrings unites two sorted sets of strings.
func addStrings(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// mergeFindings unites findings by type and location (counts dropped, so
// merging again changes nothing), sorted, at most MaxSensitive.
func mergeFindings(a, b []Finding) []Finding {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(a)+len(b))
	for _, f := range slices.Concat(a, b) {
		f.Count = 0
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	sensitive.SortFindings(out)
	if len(out) > MaxSensitive {
		out = out[:MaxSensitive]
	}
	return out
}

// Finding is a sensitive-data finding of an endpoint.
type Finding = sensitive.Finding

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
	// Strings go through one buffer: converting a body to []byte would
	// copy it whole.
	var buf [1024]byte
	w := func(v string) {
		for len(v) > 0 {
			n := copy(buf[:], v)
			h.Write(buf[:n])
			v = v[n:]
		}
		h.Write([]byte{0})
	}
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

// ReplayPlanner turns replayed answers into samples and observations with
// the same analysis PlanImport gives saved responses (templating, shapes,
// auth, sensitive data and redaction).
type ReplayPlanner struct {
	ts           *templates
	o            PlanOptions
	collectionID string
	index        map[EndpointKey]int
	observations []Observation
}

// NewReplayPlanner returns a planner for replays of collection c.
func NewReplayPlanner(c *postman.Collection, collectionID string, o PlanOptions) *ReplayPlanner {
	return &ReplayPlanner{ts: newTemplates(c, o.Known), o: o, collectionID: collectionID, index: map[EndpointKey]int{}}
}

// Add records the answer ex to request r (its Request is what was
// replayed); edit adjusts the sample (id, source) once its endpoint id is
// known. It returns the endpoint id.
func (rp *ReplayPlanner) Add(r *postman.Request, ex postman.Example, edit func(s *Sample, endpointID string)) string {
	key, tmpl := rp.ts.file(ex.Request)
	n, ok := rp.index[key]
	if !ok {
		n = len(rp.observations)
		rp.index[key] = n
		rp.observations = append(rp.observations, Observation{Key: key, Scheme: ex.Request.URL.Scheme, Template: tmpl.String()})
	}
	obs := &rp.observations[n]
	epID := EndpointID(rp.collectionID, key)
	obs.Sources = addSource(obs.Sources, Source{RequestID: r.ID, Name: r.Name})
	s, seen := observe(r, ex, tmpl, rp.o)
	obs.add(seen)
	s.CollectionID, s.EndpointID = rp.collectionID, epID
	if edit != nil {
		edit(&s, epID)
	}
	obs.Samples = append(obs.Samples, s)
	return epID
}

// Observations are the endpoints seen, first seen first.
func (rp *ReplayPlanner) Observations() []Observation { return rp.observations }
