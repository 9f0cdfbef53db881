package ids

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewSortsByTime(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := New("imp", t0), New("imp", t0.Add(time.Millisecond))
	require.Less(t, a, b)
	require.True(t, HasPrefix(a, "imp"))
	require.False(t, HasPrefix(a, "col"))
	require.NotEqual(t, New("imp", t0), New("imp", t0))
}

func TestStable(t *testing.T) {
	t.Parallel()
	require.Equal(t, Stable("ep", "a", "b"), Stable("ep", "a", "b"))
	require.NotEqual(t, Stable("ep", "ab", "c"), Stable("ep", "a", "bc"))
	require.NotEqual(t, Stable("ep", "a"), Stable("col", "a"))
}
