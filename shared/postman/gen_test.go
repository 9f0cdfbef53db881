package postman_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

func TestGenerateCollection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n      int
		share  float64
		target int
	}{
		{n: 1, share: 0, target: 0},
		{n: 37, share: 0.5, target: 0},
		{n: 200, share: 0.3, target: 1 << 20},
		{n: 1000, share: 1, target: 3 << 20},
	}
	for _, tt := range tests {
		data := postman.GenerateCollection(tt.n, tt.share, tt.target)
		require.Equal(t, data, postman.GenerateCollection(tt.n, tt.share, tt.target), "deterministic")
		if tt.target > 0 {
			require.InEpsilon(t, tt.target, len(data), 0.01)
		}
		c, err := postman.Parse(data, testOptions())
		require.NoError(t, err)
		require.Equal(t, postman.SchemaV21, c.Schema)
		require.Len(t, c.Requests, tt.n)
		with := 0
		for _, r := range c.Requests {
			require.Empty(t, r.Invalid)
			require.Empty(t, r.Unresolved, r.Built.URL.Raw)
			require.Contains(t, r.Built.URL.Raw, "https://api.example.com/v1/resource")
			if len(r.Examples) > 0 {
				require.Len(t, r.Examples, 2)
				with++
			}
		}
		require.Equal(t, int(float64(tt.n)*tt.share), with)
	}
}
