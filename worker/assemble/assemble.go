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

// Write merges observations into the stored endpoints.
func Write(ctx context.Context, st Store, log *slog.Logger, t Target, observations []inventory.Observation) error {
	return write(ctx, st, log, t, observations, nil, false)
}

// WriteOver is Write for a caller that has just read the stored state of
// every endpoint the observations can touch (existing; a collection's
// endpoints, say): the first attempt merges into it instead of reading
// the endpoints again. A stale existing only costs a conflict and a
// re-read, as with concurrent writers.
func WriteOver(ctx context.Context, st Store, log *slog.Logger, t Target, observations []inventory.Observation, existing []inventory.Endpoint) error {
	return write(ctx, st, log, t, observations, existing, true)
}

func write(ctx context.Context, st Store, log *slog.Logger, t Target, observations []inventory.Observation, known []inventory.Endpoint, haveKnown bool) error {
	if len(observations) == 0 {
		return nil
	}
	ids := endpointIDs(t, observations)
	for attempt := 1; ; attempt++ {
		existing := known
		if attempt > 1 || !haveKnown {
			var err error
			if existing, err = st.EndpointsByID(ctx, t.AccountID, ids); err != nil {
				return err
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
			return err
		}
		err := st.SaveEndpoints(ctx, m.endpoints)
		if errors.Is(err, store.ErrConflict) && attempt < MaxAttempts {
			log.Info("endpoints changed concurrently; merging again", "import_id", t.ImportID, "attempt", attempt)
			continue
		}
		if err != nil {
			return err
		}
		return st.DeleteSamples(ctx, t.AccountID, toDrop)
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
