package assemble_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/worker/assemble"
)

// memStore keeps endpoints and samples in memory.
type memStore struct {
	eps     map[string]inventory.Endpoint
	samples map[string]inventory.Sample
	reads   int
}

func (m *memStore) EndpointsByID(_ context.Context, _ string, ids []string) ([]inventory.Endpoint, error) {
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
	for _, s := range samples {
		m.samples[s.ID] = s
	}
	return nil
}

func (m *memStore) DeleteSamples(_ context.Context, _ string, ids []string) error {
	for _, id := range ids {
		delete(m.samples, id)
	}
	return nil
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
			require.NoError(t, assemble.Write(ctx, st, log, first, tc.stored))
			var existing []inventory.Endpoint
			for _, ep := range st.eps {
				existing = append(existing, ep)
			}

			preview := assemble.Preview(target, existing, tc.observed)
			require.NoError(t, assemble.Write(ctx, st, log, target, tc.observed))
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
	require.NoError(t, assemble.Write(ctx, want, log, first, []inventory.Observation{obs("/a", 200, "s1", "s2")}))
	require.NoError(t, assemble.Write(ctx, want, log, second, observed))

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
			require.NoError(t, assemble.Write(ctx, st, log, first, []inventory.Observation{obs("/a", 200, "s1", "s2")}))
			existing := tt.existing(st)
			st.reads = 0
			require.NoError(t, assemble.WriteOver(ctx, st, log, second, observed, existing))
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
