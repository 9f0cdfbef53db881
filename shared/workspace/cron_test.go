package workspace

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 4, 10, 17, 30, 0, time.UTC)
	tests := []struct {
		expr    string
		next    time.Time
		minGap  time.Duration
		wantErr bool
	}{
		{expr: "0 */6 * * *", next: time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), minGap: 6 * time.Hour},
		{expr: "@hourly", next: time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC), minGap: time.Hour},
		{expr: "@daily", next: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), minGap: 24 * time.Hour},
		{expr: "*/5 * * * *", next: time.Date(2026, 3, 4, 10, 20, 0, 0, time.UTC), minGap: 5 * time.Minute},
		{expr: "@every 15m", next: time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC), minGap: 15 * time.Minute},
		{expr: "@every 2s", next: time.Date(2026, 3, 4, 10, 17, 32, 0, time.UTC), minGap: 2 * time.Second},
		{expr: "@every 500ms", wantErr: true},
		{expr: "@every soon", wantErr: true},
		{expr: "61 * * * *", wantErr: true},
		{expr: "CRON_TZ=Europe/Paris 0 * * * *", wantErr: true},
		{expr: "", wantErr: true},
	}
	for _, tt := range tests {
		s, err := ParseSpec(tt.expr)
		if tt.wantErr {
			require.Error(t, err, tt.expr)
			continue
		}
		require.NoError(t, err, tt.expr)
		require.Equal(t, tt.next, s.Next(t0), tt.expr)
		require.Equal(t, tt.minGap, s.MinGap(t0, 20), tt.expr)
	}
}

func TestBetweenIsTheSameForEveryCaller(t *testing.T) {
	t.Parallel()
	s, err := ParseSpec("@every 10s")
	require.NoError(t, err)
	base := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	a := s.Between(base.Add(1234*time.Millisecond), base.Add(31*time.Second), 10)
	b := s.Between(base.Add(9*time.Second), base.Add(31*time.Second), 10)
	require.Equal(t, []time.Time{base.Add(10 * time.Second), base.Add(20 * time.Second), base.Add(30 * time.Second)}, a)
	require.Equal(t, a, b, "instants do not depend on when they are asked for")
	require.Len(t, s.Between(base, base.Add(time.Hour), 4), 4, "capped")
}
