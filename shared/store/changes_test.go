package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/store"
)

func TestChangeSets(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	added := func(id string) changes.Change {
		return changes.Change{Kind: changes.Added, EndpointID: id, Method: "GET", Host: "h", Path: "/" + id}
	}
	// Three imports of col_1, one of col_2 and one of another account.
	for i, imp := range []string{"imp_01", "imp_02", "imp_03"} {
		require.NoError(t, addChanges(ctx, s, "import", changes.NewSet("acc_1", "col_1", imp, t0.Add(time.Duration(i)*time.Hour), []changes.Change{added(fmt.Sprint("ep_", i))})))
	}
	require.NoError(t, addChanges(ctx, s, "import", changes.NewSet("acc_1", "col_2", "imp_04", t0, nil)))
	require.NoError(t, addChanges(ctx, s, "import", changes.NewSet("acc_2", "col_1", "imp_05", t0, nil)))

	// Steps of one import add up; a step run again keeps what it saw first.
	require.NoError(t, addChanges(ctx, s, "batch-1", changes.NewSet("acc_1", "col_1", "imp_03", t0, []changes.Change{added("ep_x")})))
	require.NoError(t, addChanges(ctx, s, "batch-1", changes.NewSet("acc_1", "col_1", "imp_03", t0, nil)))
	require.NoError(t, addChanges(ctx, s, "batch-2", changes.NewSet("acc_1", "col_1", "imp_03", t0, []changes.Change{added("ep_x")})))
	got, err := s.ChangesOfImport(ctx, "acc_1", "imp_03")
	require.NoError(t, err)
	require.Equal(t, changes.Counts{Added: 2}, got.Counts)
	require.Equal(t, "col_1", got.CollectionID)
	_, err = s.ChangesOfImport(ctx, "acc_2", "imp_03")
	require.ErrorIs(t, err, store.ErrNotFound, "another account's set is not found")

	var seen []string
	got, err = s.ChangesOfImport(ctx, "acc_1", "imp_02")
	require.NoError(t, err)
	require.Equal(t, changes.Counts{Added: 1}, got.Counts, "one step")

	p := store.Page{Limit: 2}
	for range 5 {
		page, err := s.ListChanges(ctx, "acc_1", "col_1", p)
		require.NoError(t, err)
		for _, set := range page {
			seen = append(seen, set.ImportID)
		}
		if len(page) < p.Limit {
			break
		}
		p.After = page[len(page)-1].ImportID
	}
	require.Equal(t, []string{"imp_03", "imp_02", "imp_01"}, seen, "newest import first, across pages")

	// Concurrent steps of one import (replay batches on several workers)
	// all land.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.AddChanges(ctx, fmt.Sprint("batch-", i), changes.NewSet("acc_1", "col_1", "imp_06", t0, []changes.Change{added(fmt.Sprint("ep_c", i))}))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got, err = s.ChangesOfImport(ctx, "acc_1", "imp_06")
	require.NoError(t, err)
	require.Equal(t, len(errs), got.Counts.Added)
}

func addChanges(ctx context.Context, s *store.Store, step string, set changes.Set) error {
	_, err := s.AddChanges(ctx, step, set)
	return err
}
