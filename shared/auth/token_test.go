package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewTokenUniqueAndHashed(t *testing.T) {
	t.Parallel()
	a, b := NewToken(), NewToken()
	require.NotEqual(t, a, b)
	require.Len(t, Hash(a), 64)
	require.Equal(t, Hash(a), Hash(a))
	require.NotEqual(t, Hash(a), Hash(b))
	require.NotContains(t, Hash(a), a)
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer   abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer  ", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := BearerToken(tt.header)
		require.Equal(t, tt.ok, ok, tt.header)
		require.Equal(t, tt.want, got, tt.header)
	}
}
