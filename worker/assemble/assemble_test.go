package assemble_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/worker/assemble"
)

// memStore keeps endpoints and samples in memory.
type memStore struct {
	mu      sync.Mutex
	eps     map[string]inventory.Endpoint
	samples map[string]inventory.Sample
	reads   int
}

func (m *memStore) EndpointsByID(_ context.Context, _ string, ids []string) ([]inventory.Endpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	var out []inventory.Endpoint
	for _, id := range ids {
		if ep, ok := m.eps[id]; ok && !slices.ContainsFunc(out, func(e inventory.Endpoint) bool { return e.ID == id }) {
			out = append(out, ep)
		}
	}
	return out, nil
}

// SaveEndpoints checks versions as the store does: a new endpoint must not
// exist, a known one must still have the version it was merged from.
func (m *memStore) SaveEndpoints(_ context.Context, eps []inventory.Endpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	conflict := false
	for _, ep := range eps {
		if cur, ok := m.eps[ep.ID]; ok && cur.Version != ep.Version-1 || !ok && ep.Version != 1 {
			conflict = true
			continue
		}
		m.eps[ep.ID] = ep
	}
	if conflict {
		return store.ErrConflict
	}
	return nil
}

func (m *memStore) SaveSamples(_ context.Context, samples []inventory.Sample) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range samples {
		m.samples[s.ID] = s
	}
	return nil
}

func (m *memStore) DeleteSamples(_ context.Context, _ string, ids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.samples, id)
	}
	return nil
}

func write(ctx context.Context, st assemble.Store, log *slog.Logger, t assemble.Target, observations []inventory.Observation) error {
	_, err := assemble.Write(ctx, st, log, t, observations)
	return err
}

func writeOver(ctx context.Context, st assemble.Store, log *slog.Logger, t assemble.Target, observations []inventory.Observation, existing []inventory.Endpoint) error {
	_, err := assemble.WriteOver(ctx, st, log, t, observations, existing)
	return err
}

func obs(path string, status int, samples ...string) inventory.Observation {
	o := inventory.Observation{Key: inventory.EndpointKey{Method: "GET", Host: "h", Path: path}, Sources: []inventory.Source{{Name: path}}}
	for _, id := range samples {
		o.Samples = append(o.Samples, inventory.Sample{ID: id, AccountID: "acc", Response: inventory.SampleResponse{Status: status}})
	}
	return o
}

// TestPreviewIsWhatWriteStores: the change feed compares with Preview, so
// it must be exactly what Write then stores.
func TestPreviewIsWhatWriteStores(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	target := assemble.Target{AccountID: "acc", CollectionID: "col", ImportID: "imp_2", Now: t0.Add(time.Hour), Keep: 2}
	for _, tc := range []struct {
		name     string
		stored   []inventory.Observation // written first by imp_1
		observed []inventory.Observation
	}{
		{"new endpoints", nil, []inventory.Observation{obs("/a", 200, "s1"), obs("/b", 404, "s2")}},
		{"an endpoint observed twice", nil, []inventory.Observation{obs("/a", 200, "s1"), obs("/a", 500, "s2")}},
		{"merged into stored ones, retention applied", []inventory.Observation{obs("/a", 200, "s1", "s2")},
			[]inventory.Observation{obs("/a", 201, "s3"), obs("/c", 200, "s4")}},
		{"nothing", []inventory.Observation{obs("/a", 200, "s1")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := &memStore{eps: map[string]inventory.Endpoint{}, samples: map[string]inventory.Sample{}}
			first := target
			first.ImportID, first.Now = "imp_1", t0
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			require.NoError(t, write(ctx, st, log, first, tc.stored))
			var existing []inventory.Endpoint
			for _, ep := range st.eps {
				existing = append(existing, ep)
			}

			preview := assemble.Preview(target, existing, tc.observed)
			require.NoError(t, write(ctx, st, log, target, tc.observed))
			require.Len(t, preview, len(slices.CompactFunc(slices.Clone(tc.observed), func(a, b inventory.Observation) bool { return a.Key == b.Key })))
			for _, ep := range preview {
				require.Equal(t, st.eps[ep.ID], ep)
				for _, id := range ep.SampleIDs {
					require.Contains(t, st.samples, id, "the endpoint's samples are stored")
				}
			}
		})
	}
}

// TestWriteOver: with the stored state in hand, Write does not read the
// endpoints again; with a stale state it conflicts, re-reads and stores
// what Write would have stored.
func TestWriteOver(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	first := assemble.Target{AccountID: "acc", CollectionID: "col", ImportID: "imp_1", Now: t0, Keep: 2}
	second := assemble.Target{AccountID: "acc", CollectionID: "col", ImportID: "imp_2", Now: t0.Add(time.Hour), Keep: 2}
	observed := []inventory.Observation{obs("/a", 201, "s3"), obs("/c", 200, "s4")}

	want := &memStore{eps: map[string]inventory.Endpoint{}, samples: map[string]inventory.Sample{}}
	require.NoError(t, write(ctx, want, log, first, []inventory.Observation{obs("/a", 200, "s1", "s2")}))
	require.NoError(t, write(ctx, want, log, second, observed))

	tests := []struct {
		name      string
		existing  func(st *memStore) []inventory.Endpoint
		wantReads int
	}{
		{"fresh state", func(st *memStore) []inventory.Endpoint { return values(st.eps) }, 0},
		{"stale state (read before imp_1 wrote)", func(*memStore) []inventory.Endpoint { return nil }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &memStore{eps: map[string]inventory.Endpoint{}, samples: map[string]inventory.Sample{}}
			require.NoError(t, write(ctx, st, log, first, []inventory.Observation{obs("/a", 200, "s1", "s2")}))
			existing := tt.existing(st)
			st.reads = 0
			require.NoError(t, writeOver(ctx, st, log, second, observed, existing))
			require.Equal(t, tt.wantReads, st.reads)
			// After a conflict, endpoints that did not conflict were
			// written and merged again: same content, a later version.
			require.Equal(t, withoutVersions(want.eps), withoutVersions(st.eps))
			require.Equal(t, want.samples, st.samples)
		})
	}
}

func values(m map[string]inventory.Endpoint) []inventory.Endpoint {
	var out []inventory.Endpoint
	for _, ep := range m {
		out = append(out, ep)
	}
	return out
}

func withoutVersions(m map[string]inventory.Endpoint) map[string]inventory.Endpoint {
	out := map[string]inventory.Endpoint{}
	for id, ep := range m {
		ep.Version = 0
		out[id] = ep
	}
	return out
}

// TestWriteInGroups: a write larger than a group is split into groups
// written at once; every observation of an endpoint merges in one group
// (here the same endpoint is observed GroupSize+1 observations apart), the
// result is what Preview says, and Written tells created from updated.
func TestWriteInGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first := assemble.Target{AccountID: "acc", CollectionID: "col", ImportID: "imp_1", Now: t0, Keep: 3}
	second := assemble.Target{AccountID: "acc", CollectionID: "col", ImportID: "imp_2", Now: t0.Add(time.Hour), Keep: 3}
	n := 3*assemble.GroupSize + 7
	st := &memStore{eps: map[string]inventory.Endpoint{}, samples: map[string]inventory.Sample{}}
	var stored []inventory.Observation
	for i := range n / 2 {
		stored = append(stored, obs(fmt.Sprintf("/e%d", i), 200, fmt.Sprintf("old%d", i)))
	}
	w, err := assemble.Write(ctx, st, log, first, stored)
	require.NoError(t, err)
	require.Len(t, w.Created, n/2)
	require.Len(t, w.Touched, n/2)

	var observed []inventory.Observation
	for i := range n {
		observed = append(observed, obs(fmt.Sprintf("/e%d", i), 201, fmt.Sprintf("new%d", i)))
	}
	observed = append(observed, obs("/e0", 500, "again0")) // far from its first observation
	preview := assemble.Preview(second, values(st.eps), observed)
	w, err = assemble.Write(ctx, st, log, second, observed)
	require.NoError(t, err)
	require.Len(t, w.Touched, n)
	require.Len(t, w.Created, n-n/2, "endpoints the second import created")
	require.Len(t, preview, n)
	for _, ep := range preview {
		require.Equal(t, ep, st.eps[ep.ID])
	}
	e0 := st.eps[inventory.EndpointID("col", observed[0].Key)]
	require.Equal(t, []int{200, 201, 500}, e0.StatusCodes)
	require.ElementsMatch(t, []string{"old0", "new0", "again0"}, e0.SampleIDs)
}

// failingStore fails to save the samples of one endpoint.
type failingStore struct {
	*memStore
	bad string
}

func (f *failingStore) SaveSamples(ctx context.Context, samples []inventory.Sample) error {
	for _, s := range samples {
		if s.ID == f.bad {
			return errors.New("disk full")
		}
	}
	return f.memStore.SaveSamples(ctx, samples)
}

// TestWriteGroupFails: one group's error is the write's error (not the
// cancellation of the groups beside it).
func TestWriteGroupFails(t *testing.T) {
	t.Parallel()
	st := &failingStore{memStore: &memStore{eps: map[string]inventory.Endpoint{}, samples: map[string]inventory.Sample{}}, bad: "s900"}
	var observed []inventory.Observation
	for i := range 4 * assemble.GroupSize {
		observed = append(observed, obs(fmt.Sprintf("/e%d", i), 200, fmt.Sprintf("s%d", i)))
	}
	target := assemble.Target{AccountID: "acc", CollectionID: "col", ImportID: "imp_1", Now: time.Now(), Keep: 3}
	_, err := assemble.Write(context.Background(), st, slog.New(slog.DiscardHandler), target, observed)
	require.EqualError(t, err, "disk full")
}

// TestWriteCancelled: a write whose context ends reports it, whatever
// groups it had written.
func TestWriteCancelled(t *testing.T) {
	t.Parallel()
	st := &memStore{eps: map[string]inventory.Endpoint{}, samples: map[string]inventory.Sample{}}
	var observed []inventory.Observation
	for i := range 3 * assemble.GroupSize {
		observed = append(observed, obs(fmt.Sprintf("/e%d", i), 200, fmt.Sprintf("s%d", i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	target := assemble.Target{AccountID: "acc", CollectionID: "col", ImportID: "imp_1", Now: time.Now(), Keep: 3}
	_, err := assemble.Write(ctx, st, slog.New(slog.DiscardHandler), target, observed)
	require.ErrorIs(t, err, context.Canceled)
}
