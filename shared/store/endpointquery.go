package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/inventory"
)

// EndpointFilter narrows a collection's endpoints. Zero fields do not
// filter; set fields must all hold.
type EndpointFilter struct {
	// Methods: the endpoint's method is one of these (upper case).
	Methods []string
	// Host: exactly this host[:port] (lower case).
	Host string
	// PathPrefix: the path template starts with this.
	PathPrefix string
	// Search: the path template contains this, ignoring case.
	Search string
	// AuthType: one of the endpoint's auth types.
	AuthType string
	// SensitiveType: one of the endpoint's sensitive types.
	SensitiveType string
	// Status: an HTTP status code seen on the endpoint.
	Status int
	// Removed: nil lists all, true only endpoints marked removed, false
	// only present ones.
	Removed *bool
}

// EndpointSort is an order of endpoints. Every order ends with the id, so
// it is total and a cursor can continue it.
type EndpointSort string

// Endpoint orders.
const (
	// SortPath: path template, then method, then host.
	SortPath EndpointSort = "path"
	// SortMethod: method, then path, then host.
	SortMethod EndpointSort = "method"
	// SortHost: host, then path, then method.
	SortHost EndpointSort = "host"
	// SortLastSeen: least recently seen first.
	SortLastSeen EndpointSort = "last_seen"
	// SortLastSeenDesc: most recently seen first.
	SortLastSeenDesc EndpointSort = "-last_seen"
)

// EndpointSorts lists the orders, the default first.
var EndpointSorts = []EndpointSort{SortPath, SortMethod, SortHost, SortLastSeen, SortLastSeenDesc}

// sortKey is one field of an order.
type sortKey struct {
	field string
	desc  bool
}

// keys are the fields of an order, the id last; an unknown order is
// SortPath.
func (o EndpointSort) keys() []sortKey {
	var ks []sortKey
	switch o {
	case SortMethod:
		ks = []sortKey{{field: "method"}, {field: "path"}, {field: "host"}}
	case SortHost:
		ks = []sortKey{{field: "host"}, {field: "path"}, {field: "method"}}
	case SortLastSeen:
		ks = []sortKey{{field: "last_seen"}}
	case SortLastSeenDesc:
		ks = []sortKey{{field: "last_seen", desc: true}}
	default:
		ks = []sortKey{{field: "path"}, {field: "method"}, {field: "host"}}
	}
	// The id goes the first key's way, so one index serves both ways.
	return append(ks, sortKey{field: "_id", desc: ks[0].desc})
}

// EndpointCursor is where a page continues: the sort fields of the last
// endpoint of the previous page (only those of the page's order are read).
type EndpointCursor struct {
	ID       string
	Method   string
	Host     string
	Path     string
	LastSeen time.Time
}

// CursorOf is the cursor after ep.
func CursorOf(ep inventory.Endpoint) EndpointCursor {
	return EndpointCursor{ID: ep.ID, Method: ep.Method, Host: ep.Host, Path: ep.Path, LastSeen: ep.LastSeen}
}

func (c EndpointCursor) value(field string) any {
	switch field {
	case "method":
		return c.Method
	case "host":
		return c.Host
	case "path":
		return c.Path
	case "last_seen":
		// MongoDB keeps milliseconds.
		return c.LastSeen.UTC().Truncate(time.Millisecond)
	}
	return c.ID
}

// EndpointQuery is one page of a filtered, sorted endpoint list.
type EndpointQuery struct {
	Filter EndpointFilter
	Sort   EndpointSort
	// After continues after this endpoint (nil: the first page).
	After *EndpointCursor
	// Limit is at most 1000.
	Limit int
}

// QueryEndpoints lists a collection's endpoints matching q.Filter, in
// q.Sort order, after q.After, at most q.Limit. It uses only what FerretDB
// v1 also does: equality (on arrays, "has an element"), $in, $exists,
// $regex, $and/$or and sorting on several fields.
func (s *Store) QueryEndpoints(ctx context.Context, accountID, collectionID string, q EndpointQuery) ([]inventory.Endpoint, error) {
	f := q.Filter
	filter := bson.D{{Key: "account_id", Value: accountID}, {Key: "collection_id", Value: collectionID}}
	var and bson.A
	if len(f.Methods) > 0 {
		filter = append(filter, bson.E{Key: "method", Value: bson.D{{Key: "$in", Value: f.Methods}}})
	}
	if f.Host != "" {
		filter = append(filter, bson.E{Key: "host", Value: f.Host})
	}
	if f.PathPrefix != "" {
		// An anchored prefix without options can use the path indexes.
		and = append(and, bson.D{{Key: "path", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(f.PathPrefix)}}}})
	}
	if f.Search != "" {
		and = append(and, bson.D{{Key: "path", Value: bson.D{
			{Key: "$regex", Value: regexp.QuoteMeta(f.Search)}, {Key: "$options", Value: "i"},
		}}})
	}
	if f.AuthType != "" {
		filter = append(filter, bson.E{Key: "auth_types", Value: f.AuthType})
	}
	if f.SensitiveType != "" {
		filter = append(filter, bson.E{Key: "sensitive_types", Value: f.SensitiveType})
	}
	if f.Status != 0 {
		filter = append(filter, bson.E{Key: "status_codes", Value: f.Status})
	}
	if f.Removed != nil {
		filter = append(filter, bson.E{Key: "removed_at", Value: bson.D{{Key: "$exists", Value: *f.Removed}}})
	}
	keys := q.Sort.keys()
	if q.After != nil {
		and = append(and, bson.D{{Key: "$or", Value: after(keys, *q.After)}})
	}
	if len(and) > 0 {
		filter = append(filter, bson.E{Key: "$and", Value: and})
	}
	sort := make(bson.D, len(keys))
	for i, k := range keys {
		dir := 1
		if k.desc {
			dir = -1
		}
		sort[i] = bson.E{Key: k.field, Value: dir}
	}
	eps, err := findAll[inventory.Endpoint](ctx, s.db.Collection(colEndpoints), filter,
		options.Find().SetSort(sort).SetLimit(int64(q.Limit)))
	if err != nil {
		return nil, fmt.Errorf("store: query endpoints: %w", err)
	}
	return eps, nil
}

// after is the keyset condition "sorts after c": for keys k0..kn, one
// clause per i with k0..k(i-1) equal to the cursor's and ki beyond it.
func after(keys []sortKey, c EndpointCursor) bson.A {
	out := make(bson.A, 0, len(keys))
	for i, k := range keys {
		clause := make(bson.D, 0, i+1)
		for _, eq := range keys[:i] {
			clause = append(clause, bson.E{Key: eq.field, Value: c.value(eq.field)})
		}
		op := "$gt"
		if k.desc {
			op = "$lt"
		}
		clause = append(clause, bson.E{Key: k.field, Value: bson.D{{Key: op, Value: c.value(k.field)}}})
		out = append(out, clause)
	}
	return out
}
