package replaystate_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/replaystate"
	"github.com/apiscout/apiscout/shared/testenv"
)

func TestParkNumbersAndCountsEachIndexOnce(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	require.NoError(t, s.Start(ctx, "imp", 3))
	require.NoError(t, s.Start(ctx, "imp", 99), "a retried start keeps the first total")

	tests := []struct {
		index         int
		result        string
		outcome       replaystate.Outcome
		number, total int
	}{
		{0, "zero", replaystate.Outcome{Field: "imported", Class: "2xx"}, 1, 3},
		{1, "one", replaystate.Outcome{Field: "skipped:non_2xx:404"}, 2, 3},
		// A retried task parks index 1 again: same number, not counted twice,
		// the first result stays.
		{1, "one again", replaystate.Outcome{Field: "imported", Class: "2xx"}, 2, 3},
		{2, "two", replaystate.Outcome{Field: "imported", Class: "2xx"}, 3, 3},
	}
	for _, tt := range tests {
		n, total, err := s.Park(ctx, "imp", tt.index, []byte(tt.result), tt.outcome)
		require.NoError(t, err)
		require.Equal(t, tt.number, n, "index %d", tt.index)
		require.Equal(t, tt.total, total)
	}

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

	got, err := s.Claim(ctx, "imp", "1", 10, 1<<20)
	require.NoError(t, err)
	require.Equal(t, map[int][]byte{0: []byte("zero"), 1: []byte("one"), 2: []byte("two")}, got)

	written, total, err := s.Written(ctx, "imp", []int{0, 1})
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, []int{written, total})
	written, _, err = s.Written(ctx, "imp", []int{1, 2})
	require.NoError(t, err)
	require.Equal(t, 3, written, "an index written twice counts once")

	require.NoError(t, s.Forget(ctx, "imp"))
	_, ok, err = s.Progress(ctx, "imp")
	require.NoError(t, err)
	require.False(t, ok)
	n, _, err := s.Park(ctx, "imp", 0, []byte("zero"), replaystate.Outcome{Field: "imported"})
	require.NoError(t, err)
	require.Equal(t, 1, n, "forgotten state numbers afresh")
}

func TestClaimGivesEachResultToOneBatch(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	const total = 250
	require.NoError(t, s.Start(ctx, "imp", total))
	for i := range total {
		_, _, err := s.Park(ctx, "imp", i, []byte(strconv.Itoa(i)), replaystate.Outcome{Field: "imported"})
		require.NoError(t, err)
	}

	first, err := s.Claim(ctx, "imp", "a", 100, 1<<20)
	require.NoError(t, err)
	require.Len(t, first, 100)
	again, err := s.Claim(ctx, "imp", "a", 100, 1<<20)
	require.NoError(t, err)
	require.Equal(t, first, again, "an unreleased claim is returned again to its batch")

	seen := map[int]string{}
	for idx := range first {
		seen[idx] = "a"
	}
	require.NoError(t, s.Unclaim(ctx, "imp", "a"))
	for _, claim := range []string{"b", "a", "c"} {
		got, err := s.Claim(ctx, "imp", claim, 100, 1<<20)
		require.NoError(t, err)
		for idx, v := range got {
			require.Equal(t, strconv.Itoa(idx), string(v))
			require.Empty(t, seen[idx], "index %d claimed by %s and %s", idx, seen[idx], claim)
			seen[idx] = claim
		}
		require.NoError(t, s.Unclaim(ctx, "imp", claim))
	}
	require.Len(t, seen, total, "every parked result was claimed once")
	rest, err := s.Claim(ctx, "imp", "d", 100, 1<<20)
	require.NoError(t, err)
	require.Empty(t, rest)
}

func TestClaimBoundsBytes(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	big := strings.Repeat("x", 1000)
	for i := range 10 {
		_, _, err := s.Park(ctx, "imp", i, []byte(big), replaystate.Outcome{Field: "imported"})
		require.NoError(t, err)
	}
	tests := []struct {
		claim    string
		maxBytes int
		want     int
	}{
		{"a", 2500, 2}, // a third would pass the byte bound
		{"b", 10, 1},   // one result is always taken, however large
		{"c", 1 << 20, 7},
		{"d", 1 << 20, 0},
	}
	for _, tt := range tests {
		got, err := s.Claim(ctx, "imp", tt.claim, 100, tt.maxBytes)
		require.NoError(t, err)
		require.Len(t, got, tt.want, tt.claim)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
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

func TestWriterLock(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	steps := []struct {
		do    string
		token string
		want  bool
	}{
		{"lock", "a", true},
		{"lock", "b", false},
		{"lock", "a", true}, // extends its own lock
		{"unlock", "b", false},
		{"lock", "b", false}, // b could not unlock a's lock
		{"unlock", "a", false},
		{"lock", "b", true},
	}
	for i, st := range steps {
		if st.do == "unlock" {
			require.NoError(t, s.UnlockWriter(ctx, "imp", st.token))
			continue
		}
		ok, err := s.LockWriter(ctx, "imp", st.token, time.Minute)
		require.NoError(t, err)
		require.Equal(t, st.want, ok, "step %d", i)
	}
	ok, err := s.LockWriter(ctx, "other", "c", time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	require.Eventually(t, func() bool {
		ok, err := s.LockWriter(ctx, "other", "d", time.Minute)
		return err == nil && ok
	}, 5*time.Second, 5*time.Millisecond, "an expired lock is free")
}

// TestEndpointCounts: steps record the endpoints they wrote; an endpoint
// written by several steps (or a retried step) counts once, and one the
// import created is not also counted as updated.
func TestEndpointCounts(t *testing.T) {
	t.Parallel()
	s := replaystate.New(redis.NewClient(testenv.Redis(t)))
	ctx := context.Background()
	steps := []struct {
		created, touched []string
		wantC, wantU     int
	}{
		{nil, nil, 0, 0},
		{[]string{"a", "b"}, []string{"a", "b", "x"}, 2, 1},
		{[]string{"a", "b"}, []string{"a", "b", "x"}, 2, 1}, // the same step, retried
		{[]string{"c"}, []string{"a", "c", "y"}, 3, 2},
	}
	for i, st := range steps {
		require.NoError(t, s.Touch(ctx, "imp", st.created, st.touched))
		c, u, err := s.EndpointCounts(ctx, "imp")
		require.NoError(t, err)
		require.Equal(t, []int{st.wantC, st.wantU}, []int{c, u}, "after step %d", i)
	}
	require.NoError(t, s.Forget(ctx, "imp"))
	c, u, err := s.EndpointCounts(ctx, "imp")
	require.NoError(t, err)
	require.Equal(t, []int{0, 0}, []int{c, u})
}
