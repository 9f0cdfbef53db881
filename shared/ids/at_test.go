package ids

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAt(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, At("syn", t0, "sch_1"), At("syn", t0, "sch_1"))
	require.NotEqual(t, At("syn", t0, "sch_1"), At("syn", t0, "sch_2"))
	require.Less(t, At("syn", t0, "sch_1"), At("syn", t0.Add(time.Millisecond), "sch_1"))
	require.Less(t, At("syn", t0, "zzz"), New("syn", t0.Add(time.Second)), "sorts among New ids by time")
	require.True(t, HasPrefix(At("syn", t0), "syn"))
}
