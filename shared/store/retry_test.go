package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
)

// TestConcurrentUpserts upserts the same collection and samples from many
// goroutines at once: racing inserts of one _id must not fail.
func TestConcurrentUpserts(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			col := inventory.Collection{ID: "col_race", AccountID: "acc_1", Name: fmt.Sprint("c", i), Schema: "2.1.0", CreatedAt: now, UpdatedAt: now}
			samples := []inventory.Sample{{ID: "smp_race", AccountID: "acc_1", CollectionID: "col_race", EndpointID: "ep_1", CapturedAt: now}}
			errs[i] = errors.Join(s.UpsertCollection(ctx, col), s.SaveSamples(ctx, samples))
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	got, err := s.GetCollection(ctx, "acc_1", "col_race")
	require.NoError(t, err)
	require.Equal(t, "2.1.0", got.Schema)
}
