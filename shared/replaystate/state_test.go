package replaystate_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/replaystate"
	"github.com/apiscout/apiscout/shared/testenv"
)

func TestReportCountsEachIndexOnce(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	require.NoError(t, s.Start(ctx, "imp", 3))
	require.NoError(t, s.Start(ctx, "imp", 99), "a retried start keeps the first total")

	done, total, err := s.Report(ctx, "imp", map[int]replaystate.Outcome{0: {Field: "imported", Class: "2xx"}, 1: {Field: "skipped:non_2xx:404"}})
	require.NoError(t, err)
	require.Equal(t, 2, done)
	require.Equal(t, 3, total)
	// A redelivered batch reports index 1 again: it is not counted twice.
	done, _, err = s.Report(ctx, "imp", map[int]replaystate.Outcome{1: {Field: "skipped:non_2xx:404"}, 2: {Field: "imported", Class: "2xx"}})
	require.NoError(t, err)
	require.Equal(t, 3, done)

	p, ok, err := s.Progress(ctx, "imp")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, replaystate.Progress{Total: 3, Done: 3, Imported: 2, Skipped: map[string]int{"non_2xx:404": 1},
		SamplesByStatus: map[string]int{"2xx": 2}}, p)

	c := replaystate.AddTo(inventory.Counts{Total: 4, Imported: 1, Samples: 2, Skipped: map[string]int{"no_saved_response": 0}}, p)
	require.Equal(t, 3, c.Imported)
	require.Equal(t, 4, c.Samples)
	require.Equal(t, 1, c.Skipped["non_2xx:404"])
	require.Equal(t, 3, c.Replay.Done)

	require.NoError(t, s.Forget(ctx, "imp"))
	_, ok, err = s.Progress(ctx, "imp")
	require.NoError(t, err)
	require.False(t, ok)
}

func TestParkAndCancel(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	require.NoError(t, s.Park(ctx, "imp", 4, []byte("four")))
	require.NoError(t, s.Park(ctx, "imp", 4, []byte("four again")))
	got, err := s.Parked(ctx, "imp", []int{4, 5})
	require.NoError(t, err)
	require.Equal(t, map[int][]byte{4: []byte("four again")}, got)
	require.NoError(t, s.Unpark(ctx, "imp", []int{4}))
	got, err = s.Parked(ctx, "imp", []int{4})
	require.NoError(t, err)
	require.Empty(t, got)

	c, err := s.Cancelled(ctx, "imp")
	require.NoError(t, err)
	require.False(t, c)
	require.NoError(t, s.Cancel(ctx, "imp"))
	c, err = s.Cancelled(ctx, "imp")
	require.NoError(t, err)
	require.True(t, c)
}

func TestInFlightCap(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	require.NoError(t, s.Acquire(ctx, "acc", "a", 2, time.Minute))
	require.NoError(t, s.Acquire(ctx, "acc", "a", 2, time.Minute), "re-acquiring one's own slot is fine")
	require.NoError(t, s.Acquire(ctx, "acc", "b", 2, time.Minute))
	require.ErrorIs(t, s.Acquire(ctx, "acc", "c", 2, time.Minute), replaystate.ErrBusy)
	require.NoError(t, s.Acquire(ctx, "other", "c", 2, time.Minute), "accounts have their own cap")
	require.NoError(t, s.Release(ctx, "acc", "a"))
	require.NoError(t, s.Acquire(ctx, "acc", "c", 2, time.Minute))
	n, err := s.InFlight(ctx, "acc")
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
	// A slot held past its bound (a worker died holding it) is reclaimed.
	require.NoError(t, s.Acquire(ctx, "acc", "d", 2, time.Nanosecond))
}
