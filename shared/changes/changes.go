// Package changes computes an API collection's change feed: the endpoints
// an import added, changed (new parameters, status codes, fields,
// sensitive types, auth types) and removed, as a pure diff of two
// inventory states. Storage records one Set per import; the API lists
// them.
//
// The package is pure.
package changes

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/inventory"
)

// Kind is what happened to an endpoint.
type Kind string

// Change kinds.
const (
	Added   Kind = "added"
	Changed Kind = "changed"
	Removed Kind = "removed"
)

// Facets of an endpoint that a change detail names.
const (
	FacetPathParam     = "path_param"
	FacetQueryParam    = "query_param"
	FacetHeader        = "header"
	FacetCookie        = "cookie"
	FacetRequestType   = "request_media_type"
	FacetRequestField  = "request_field"
	FacetStatusCode    = "status_code"
	FacetResponseField = "response_field"
	FacetSensitiveType = "sensitive_type"
	FacetAuthType      = "auth_type"
)

// Detail ops.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
)

// maxFields caps the body fields compared per body (and so the details a
// change can have per facet).
const maxFields = 500

// Detail is one thing that changed on an endpoint.
type Detail struct {
	// Facet is one of the Facet constants.
	Facet string `bson:"facet" json:"facet"`
	// Op is OpAdded or OpRemoved.
	Op string `bson:"op" json:"op"`
	// Value names what: "limit", "404", "EMAIL", "200 $.data[*].email".
	Value string `bson:"value" json:"value"`
}

// Change is what happened to one endpoint.
type Change struct {
	Kind       Kind   `bson:"kind" json:"kind"`
	EndpointID string `bson:"endpoint_id" json:"endpoint_id"`
	Method     string `bson:"method" json:"method"`
	Host       string `bson:"host" json:"host"`
	Path       string `bson:"path" json:"path"`
	// Reappeared: added again after an import had removed it.
	Reappeared bool `bson:"reappeared,omitempty" json:"reappeared,omitempty"`
	// Details of a changed endpoint, sorted by facet, op and value; an
	// added endpoint lists its auth and sensitive types.
	Details []Detail `bson:"details,omitempty" json:"details,omitempty"`
}

// Diff compares a collection's endpoints before an import (prev; those
// marked removed count as absent) with the endpoints the import observed,
// as merged (next). An endpoint only in next is added, only in prev
// removed (an import has the whole collection, so what it lacks is gone),
// in both changed when a facet differs. Changes are sorted by method,
// host, path and id.
func Diff(prev, next []inventory.Endpoint) []Change {
	before := make(map[string]*inventory.Endpoint, len(prev))
	wasRemoved := map[string]bool{}
	for i := range prev {
		if prev[i].Removed {
			wasRemoved[prev[i].ID] = true
			continue
		}
		before[prev[i].ID] = &prev[i]
	}
	seen := make(map[string]bool, len(next))
	var out []Change
	for i := range next {
		ep := &next[i]
		seen[ep.ID] = true
		old := before[ep.ID]
		if old == nil {
			out = append(out, change(Added, ep, addedDetails(ep)))
			out[len(out)-1].Reappeared = wasRemoved[ep.ID]
			continue
		}
		if d := details(old, ep); len(d) > 0 {
			out = append(out, change(Changed, ep, d))
		}
	}
	for id, ep := range before {
		if !seen[id] {
			out = append(out, change(Removed, ep, nil))
		}
	}
	sortChanges(out)
	return out
}

// sortChanges sorts by method, host, path and id.
func sortChanges(cs []Change) {
	slices.SortFunc(cs, func(a, b Change) int {
		for _, p := range [][2]string{{a.Method, b.Method}, {a.Host, b.Host}, {a.Path, b.Path}, {a.EndpointID, b.EndpointID}} {
			if c := strings.Compare(p[0], p[1]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// sortDetails sorts by facet, op and value.
func sortDetails(ds []Detail) {
	slices.SortStableFunc(ds, func(x, y Detail) int {
		if c := strings.Compare(x.Facet, y.Facet); c != 0 {
			return c
		}
		if c := strings.Compare(x.Op, y.Op); c != 0 {
			return c
		}
		return strings.Compare(x.Value, y.Value)
	})
}

// addedDetails lists an added endpoint's sensitive and auth types, so a
// set tells which of them an import brought without the endpoints.
func addedDetails(ep *inventory.Endpoint) []Detail {
	var out []Detail
	for _, t := range ep.AuthTypes {
		out = append(out, Detail{Facet: FacetAuthType, Op: OpAdded, Value: string(t)})
	}
	for _, t := range ep.SensitiveTypes {
		out = append(out, Detail{Facet: FacetSensitiveType, Op: OpAdded, Value: string(t)})
	}
	sortDetails(out)
	return out
}

func change(k Kind, ep *inventory.Endpoint, d []Detail) Change {
	return Change{Kind: k, EndpointID: ep.ID, Method: ep.Method, Host: ep.Host, Path: ep.Path, Details: d}
}

// Facets lists what an endpoint shows, facet by facet, as sorted values.
func Facets(ep *inventory.Endpoint) map[string][]string {
	f := map[string][]string{}
	add := func(facet, v string) { f[facet] = append(f[facet], v) }
	for _, p := range ep.PathParams {
		add(FacetPathParam, p.Name)
	}
	if r := ep.Shape.Request; r != nil {
		for _, q := range r.Query {
			add(FacetQueryParam, q.Name)
		}
		for _, h := range r.Headers {
			add(FacetHeader, h.Name)
		}
		for _, c := range r.Cookies {
			add(FacetCookie, c.Name)
		}
		for _, b := range r.Bodies {
			add(FacetRequestType, b.MediaType)
			for _, p := range b.JSON.Paths(maxFields) {
				add(FacetRequestField, p)
			}
			for _, fl := range b.Form {
				add(FacetRequestField, fl.Name)
			}
		}
	}
	for _, c := range ep.StatusCodes {
		add(FacetStatusCode, strconv.Itoa(c))
	}
	for _, r := range ep.Shape.Responses {
		for _, b := range r.Bodies {
			for _, p := range b.JSON.Paths(maxFields) {
				add(FacetResponseField, strconv.Itoa(r.Status)+" "+p)
			}
		}
	}
	for _, t := range ep.SensitiveTypes {
		add(FacetSensitiveType, string(t))
	}
	for _, t := range ep.AuthTypes {
		add(FacetAuthType, string(t))
	}
	for k, vs := range f {
		slices.Sort(vs)
		f[k] = slices.Compact(vs)
	}
	return f
}

// details lists what differs between two states of an endpoint.
func details(old, cur *inventory.Endpoint) []Detail {
	a, b := Facets(old), Facets(cur)
	var out []Detail
	for _, facet := range []string{FacetAuthType, FacetCookie, FacetHeader, FacetPathParam, FacetQueryParam,
		FacetRequestType, FacetRequestField, FacetResponseField, FacetSensitiveType, FacetStatusCode} {
		for _, v := range b[facet] {
			if _, ok := slices.BinarySearch(a[facet], v); !ok {
				out = append(out, Detail{Facet: facet, Op: OpAdded, Value: v})
			}
		}
		for _, v := range a[facet] {
			if _, ok := slices.BinarySearch(b[facet], v); !ok {
				out = append(out, Detail{Facet: facet, Op: OpRemoved, Value: v})
			}
		}
	}
	sortDetails(out)
	return out
}

// Counts sums a set's changes by kind.
type Counts struct {
	Added   int `bson:"added" json:"added"`
	Changed int `bson:"changed" json:"changed"`
	Removed int `bson:"removed" json:"removed"`
}

// Caps on what a Set stores (its Counts count everything).
const (
	// MaxChanges caps the changes a Set lists.
	MaxChanges = 5000
	// MaxDetails caps the details a change lists.
	MaxDetails = 200
)

// Set is the changes one import (or sync) made to one collection.
type Set struct {
	// ID is stable per collection and import, so a retried import writes
	// the same document.
	ID           string `bson:"_id" json:"id"`
	AccountID    string `bson:"account_id" json:"-"`
	CollectionID string `bson:"collection_id" json:"collection_id"`
	ImportID     string `bson:"import_id" json:"import_id"`
	// Source is the import's source kind: "upload", or "postman_sync" for
	// an import a workspace sync submitted.
	Source string    `bson:"source,omitempty" json:"source,omitempty"`
	At     time.Time `bson:"at" json:"at"`
	Counts Counts    `bson:"counts" json:"counts"`
	// Changes are sorted like Diff's, at most MaxChanges, each with at
	// most MaxDetails details; Truncated says some were left out.
	Changes   []Change `bson:"changes" json:"changes"`
	Truncated bool     `bson:"truncated,omitempty" json:"truncated,omitempty"`
}

// NewSet makes the set of an import's changes.
func NewSet(accountID, collectionID, importID string, at time.Time, cs []Change) Set {
	s := Set{
		ID: ids.Stable("chg", accountID, collectionID, importID), AccountID: accountID,
		CollectionID: collectionID, ImportID: importID, At: at,
	}
	return s.with(cs)
}

// with sets the changes, counts them and applies the caps.
func (s Set) with(cs []Change) Set {
	s.Counts = Counts{}
	for _, c := range cs {
		switch c.Kind {
		case Added:
			s.Counts.Added++
		case Changed:
			s.Counts.Changed++
		case Removed:
			s.Counts.Removed++
		}
	}
	if len(cs) > MaxChanges {
		cs, s.Truncated = cs[:MaxChanges], true
	}
	s.Changes = make([]Change, len(cs))
	for i, c := range cs {
		if len(c.Details) > MaxDetails {
			c.Details, s.Truncated = c.Details[:MaxDetails], true
		}
		s.Changes[i] = c
	}
	return s
}

// Add folds more changes of the same import into the set (see Union): an
// import records what its saved responses changed, then each batch of its
// replays adds what it changed. Adding what is already there changes
// nothing, so a retried step may add again.
func (s Set) Add(cs []Change) Set {
	truncated := s.Truncated
	s = s.with(Union(s.Changes, cs))
	s.Truncated = s.Truncated || truncated
	return s
}

// Union composes two lists of changes of one import, endpoint by endpoint:
// added (by either) stays added, with the details of the additions,
// reappearing if either says so; removed and changed is removed; changed
// and changed unite their details. The result is sorted like Diff's.
func Union(a, b []Change) []Change {
	byID := make(map[string]int, len(a)+len(b))
	var out []Change
	for _, c := range slices.Concat(a, b) {
		c.Details = slices.Clone(c.Details)
		i, ok := byID[c.EndpointID]
		if !ok {
			byID[c.EndpointID] = len(out)
			out = append(out, c)
			continue
		}
		cur := &out[i]
		switch {
		case cur.Kind == Added && c.Kind != Added:
		case c.Kind == Added && cur.Kind != Added:
			*cur = c
		case cur.Kind == Removed || c.Kind == Removed:
			cur.Kind, cur.Details = Removed, nil
		default: // both added, or both changed
			cur.Reappeared = cur.Reappeared || c.Reappeared
			for _, d := range c.Details {
				if !slices.Contains(cur.Details, d) {
					cur.Details = append(cur.Details, d)
				}
			}
			sortDetails(cur.Details)
		}
	}
	sortChanges(out)
	return out
}

// Summary is what an import changed, in short: counts by kind, and the
// sensitive data and auth types that appeared on or left its endpoints.
type Summary struct {
	Counts `bson:",inline"`
	// SensitiveTypesAdded: types newly seen on an endpoint (an added one's
	// included), sorted.
	SensitiveTypesAdded []string `bson:"sensitive_types_added" json:"sensitive_types_added"`
	// AuthTypesAdded and AuthTypesRemoved: auth types that appeared on or
	// left an endpoint (an added one's appear), sorted.
	AuthTypesAdded   []string `bson:"auth_types_added" json:"auth_types_added"`
	AuthTypesRemoved []string `bson:"auth_types_removed" json:"auth_types_removed"`
}

// Summarize sums up a set (from the changes it lists).
func (s Set) Summarize() Summary {
	sum := Summary{Counts: s.Counts, SensitiveTypesAdded: []string{}, AuthTypesAdded: []string{}, AuthTypesRemoved: []string{}}
	for _, c := range s.Changes {
		for _, d := range c.Details {
			switch {
			case d.Facet == FacetSensitiveType && d.Op == OpAdded:
				sum.SensitiveTypesAdded = append(sum.SensitiveTypesAdded, d.Value)
			case d.Facet == FacetAuthType && d.Op == OpAdded:
				sum.AuthTypesAdded = append(sum.AuthTypesAdded, d.Value)
			case d.Facet == FacetAuthType && d.Op == OpRemoved:
				sum.AuthTypesRemoved = append(sum.AuthTypesRemoved, d.Value)
			}
		}
	}
	for _, l := range []*[]string{&sum.SensitiveTypesAdded, &sum.AuthTypesAdded, &sum.AuthTypesRemoved} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	return sum
}
