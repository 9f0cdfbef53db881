// Package assemble writes observations of endpoints (from saved responses
// or replays) into the inventory: samples first, then the merged endpoints
// with optimistic concurrency, then the deletion of samples that retention
// dropped. A crash at any point leaves no dangling reference, and a retry
// converges, because merging is idempotent.
package assemble

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/store"
)

// Store is what assembling needs of the database.
type Store interface {
	EndpointsByID(ctx context.Context, accountID string, ids []string) ([]inventory.Endpoint, error)
	SaveEndpoints(ctx context.Context, eps []inventory.Endpoint) error
	SaveSamples(ctx context.Context, samples []inventory.Sample) error
	DeleteSamples(ctx context.Context, accountID string, ids []string) error
}

var _ Store = (*store.Store)(nil)

// MaxAttempts bounds the reload-and-merge loop when another writer changes
// the same endpoints at the same time.
const MaxAttempts = 5

// Target says where observations go.
type Target struct {
	AccountID    string
	CollectionID string
	ImportID     string
	// Now stamps first/last seen: the import's creation time, so a retry
	// writes the same documents.
	Now time.Time
	// Keep is the number of samples an endpoint retains.
	Keep int
}

// Written is what a write stored: the ids of the endpoints it wrote that
// the target's import created (now or in an earlier attempt of the same
// import) and of all it wrote. Counting from the write instead of querying
// the endpoints afterwards spares a scan of the collection (FerretDB
// answers such counts by reading every endpoint of every account).
type Written struct {
	Created []string
	Touched []string
}

// Write merges observations into the stored endpoints.
func Write(ctx context.Context, st Store, log *slog.Logger, t Target, observations []inventory.Observation) (Written, error) {
	return write(ctx, st, log, t, observations, nil, false)
}

// WriteOver is Write for a caller that has just read the stored state of
// every endpoint the observations can touch (existing; a collection's
// endpoints, say): the first attempt merges into it instead of reading
// the endpoints again. A stale existing only costs a conflict and a
// re-read, as with concurrent writers.
func WriteOver(ctx context.Context, st Store, log *slog.Logger, t Target, observations []inventory.Observation, existing []inventory.Endpoint) (Written, error) {
	return write(ctx, st, log, t, observations, existing, true)
}

// GroupSize is the most endpoints written as one group, and Parallel the
// number of groups written at once. Groups share no endpoint, so each
// merges, writes and retries on its own; within a group samples are
// written before the endpoints that refer to them.
const (
	GroupSize = 400
	Parallel  = 4
)

func write(ctx context.Context, st Store, log *slog.Logger, t Target, observations []inventory.Observation, known []inventory.Endpoint, haveKnown bool) (Written, error) {
	groups, at := group(t, observations)
	// Each group merges into the known endpoints of its own.
	knownOf := make([][]inventory.Endpoint, len(groups))
	for _, ep := range known {
		if g, ok := at[ep.ID]; ok {
			knownOf[g] = append(knownOf[g], ep)
		}
	}
	results := make([]Written, len(groups))
	// The first group to fail cancels the others; its error is the write's.
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(Parallel)
	for i, g := range groups {
		if gctx.Err() != nil {
			break
		}
		eg.Go(func() (err error) {
			results[i], err = writeGroup(gctx, st, log, t, g, knownOf[i], haveKnown)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return Written{}, err
	}
	if err := ctx.Err(); err != nil {
		// Cancelled before every group started.
		return Written{}, err
	}
	var out Written
	for _, r := range results {
		out.Created = append(out.Created, r.Created...)
		out.Touched = append(out.Touched, r.Touched...)
	}
	return out, nil
}

// group splits observations into groups of at most GroupSize endpoints,
// every observation of an endpoint in the same group, in observed order;
// at maps each endpoint id to its group.
func group(t Target, observations []inventory.Observation) (groups [][]inventory.Observation, at map[string]int) {
	ids := endpointIDs(t, observations)
	at = map[string]int{}
	last := 0 // endpoints in the last group
	for i, o := range observations {
		g, ok := at[ids[i]]
		if !ok {
			if len(groups) == 0 || last == GroupSize {
				groups, last = append(groups, nil), 0
			}
			g = len(groups) - 1
			at[ids[i]] = g
			last++
		}
		groups[g] = append(groups[g], o)
	}
	return groups, at
}

func writeGroup(ctx context.Context, st Store, log *slog.Logger, t Target, observations []inventory.Observation, known []inventory.Endpoint, haveKnown bool) (Written, error) {
	ids := endpointIDs(t, observations)
	for attempt := 1; ; attempt++ {
		existing := known
		if attempt > 1 || !haveKnown {
			var err error
			if existing, err = st.EndpointsByID(ctx, t.AccountID, ids); err != nil {
				return Written{}, err
			}
		}
		m := mergeAll(t, existing, observations)
		retained := map[string]bool{}
		for _, ep := range m.endpoints {
			for _, sid := range ep.SampleIDs {
				retained[sid] = true
			}
		}
		var toWrite []inventory.Sample
		written := map[string]bool{}
		for _, s := range m.samples {
			if retained[s.ID] && !written[s.ID] {
				toWrite = append(toWrite, s)
				written[s.ID] = true
			}
		}
		var toDrop []string
		for _, id := range m.dropped {
			if !retained[id] {
				toDrop = append(toDrop, id)
			}
		}
		if err := st.SaveSamples(ctx, toWrite); err != nil {
			return Written{}, err
		}
		err := st.SaveEndpoints(ctx, m.endpoints)
		if errors.Is(err, store.ErrConflict) && attempt < MaxAttempts {
			log.Info("endpoints changed concurrently; merging again", "import_id", t.ImportID, "attempt", attempt)
			continue
		}
		if err != nil {
			return Written{}, err
		}
		if err := st.DeleteSamples(ctx, t.AccountID, toDrop); err != nil {
			return Written{}, err
		}
		var w Written
		for _, ep := range m.endpoints {
			w.Touched = append(w.Touched, ep.ID)
			if ep.CreatedByImport == t.ImportID {
				w.Created = append(w.Created, ep.ID)
			}
		}
		return w, nil
	}
}

// Preview returns the endpoints Write would store for observations merged
// into existing (the stored state of their endpoints; others are ignored),
// without writing anything.
func Preview(t Target, existing []inventory.Endpoint, observations []inventory.Observation) []inventory.Endpoint {
	return mergeAll(t, existing, observations).endpoints
}

func endpointIDs(t Target, observations []inventory.Observation) []string {
	ids := make([]string, len(observations))
	for i, o := range observations {
		ids[i] = inventory.EndpointID(t.CollectionID, o.Key)
	}
	return ids
}

// merged is what merging observations into stored endpoints gives.
type merged struct {
	// endpoints to write, one per endpoint, in first-observed order.
	endpoints []inventory.Endpoint
	// samples the observations bring, and ids retention dropped.
	samples []inventory.Sample
	dropped []string
}

func mergeAll(t Target, existing []inventory.Endpoint, observations []inventory.Observation) merged {
	ids := endpointIDs(t, observations)
	mo := inventory.MergeOptions{AccountID: t.AccountID, CollectionID: t.CollectionID, ImportID: t.ImportID, Now: t.Now, Keep: t.Keep}
	byID := make(map[string]*inventory.Endpoint, len(existing))
	for i := range existing {
		byID[existing[i].ID] = &existing[i]
	}
	// One observation per endpoint: merge duplicates in order.
	out := map[string]*inventory.Endpoint{}
	var order []string
	var m merged
	for i, obs := range observations {
		base := byID[ids[i]]
		if prev, ok := out[ids[i]]; ok {
			base = prev
		}
		ep, write, drop := inventory.Merge(base, obs, mo)
		if _, ok := out[ids[i]]; !ok {
			order = append(order, ids[i])
		} else if base != nil {
			ep.Version = base.Version // one write per endpoint
		}
		out[ids[i]] = &ep
		m.samples = append(m.samples, write...)
		m.dropped = append(m.dropped, drop...)
	}
	m.endpoints = make([]inventory.Endpoint, 0, len(order))
	for _, id := range order {
		m.endpoints = append(m.endpoints, *out[id])
	}
	return m
}
