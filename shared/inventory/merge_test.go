package inventory

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func obsWith(key EndpointKey, ids ...string) Observation {
	o := Observation{Key: key, Scheme: "https", Sources: []Source{{RequestID: "r1", Name: "Get user"}}}
	for i, id := range ids {
		o.Samples = append(o.Samples, Sample{ID: id, Response: SampleResponse{Status: 200 + i%2*204}})
	}
	return o
}

func TestMerge(t *testing.T) {
	t.Parallel()
	key := EndpointKey{Method: "GET", Host: "api.example.com", Path: "/users"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := func(imp string, now time.Time, keep int) MergeOptions {
		return MergeOptions{AccountID: "acc", CollectionID: "col", ImportID: imp, Now: now, Keep: keep}
	}
	tests := []struct {
		name        string
		existing    []string // retained sample ids before
		obs         []string
		keep        int
		wantIDs     []string
		wantWrite   []string
		wantDropped []string
	}{
		{"new endpoint", nil, []string{"a", "b"}, 10, []string{"a", "b"}, []string{"a", "b"}, nil},
		{"retention keeps newest", nil, []string{"a", "b", "c"}, 2, []string{"b", "c"}, []string{"b", "c"}, nil},
		{"older samples dropped", []string{"x", "y"}, []string{"a", "b"}, 3, []string{"y", "a", "b"}, []string{"a", "b"}, []string{"x"}},
		{"re-merge is stable", []string{"y", "a", "b"}, []string{"a", "b"}, 3, []string{"y", "a", "b"}, []string{"a", "b"}, nil},
		{"retry after retention", []string{"b", "c"}, []string{"a", "b", "c"}, 2, []string{"b", "c"}, []string{"b", "c"}, nil},
		{"duplicate ids in one observation", nil, []string{"a", "a"}, 5, []string{"a"}, []string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var existing *Endpoint
			if tt.existing != nil {
				e, _, _ := Merge(nil, obsWith(key), opts("imp0", t0, 10))
				e.SampleIDs = tt.existing
				existing = &e
			}
			ep, write, dropped := Merge(existing, obsWith(key, tt.obs...), opts("imp1", t0.Add(time.Hour), tt.keep))
			require.Equal(t, tt.wantIDs, ep.SampleIDs)
			var w []string
			for _, s := range write {
				w = append(w, s.ID)
			}
			require.Equal(t, tt.wantWrite, w)
			require.Equal(t, tt.wantDropped, dropped)
		})
	}
}

func TestMergeFields(t *testing.T) {
	t.Parallel()
	key := EndpointKey{Method: "GET", Host: "api.example.com", Path: "/users"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first, _, _ := Merge(nil, obsWith(key, "a"), MergeOptions{AccountID: "acc", CollectionID: "col", ImportID: "imp1", Now: t0, Keep: 10})
	require.Equal(t, EndpointID("col", key), first.ID)
	require.Equal(t, "imp1", first.CreatedByImport)
	require.Equal(t, int64(1), first.Version)
	require.Equal(t, t0, first.FirstSeen)

	o := obsWith(key, "b", "c")
	o.Sources = append(o.Sources, Source{Name: "List users"})
	second, _, _ := Merge(&first, o, MergeOptions{AccountID: "acc", CollectionID: "col", ImportID: "imp2", Now: t0.Add(time.Hour), Keep: 10})
	require.Equal(t, "imp1", second.CreatedByImport, "creator is kept")
	require.Equal(t, "imp2", second.LastImportID)
	require.Equal(t, int64(2), second.Version)
	require.Equal(t, t0, second.FirstSeen)
	require.Equal(t, t0.Add(time.Hour), second.LastSeen)
	require.Equal(t, []int{200, 404}, second.StatusCodes)
	require.Len(t, second.Sources, 2)
	require.Equal(t, []string{"a"}, first.SampleIDs, "merge does not alias the stored endpoint")
}

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{0: "unknown", 99: "unknown", 200: "2xx", 302: "3xx", 404: "4xx", 599: "5xx", 600: "unknown"} {
		require.Equal(t, want, StatusClass(code), code)
	}
}
