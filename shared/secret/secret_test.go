package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

const apiKey = "PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef9f3c"

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret(apiKey)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", s, "group", slog.GroupValue(slog.Any("k", s)))
	for _, out := range []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", s, s, s, s, s, s, s, s),
		fmt.Sprint(struct{ K Secret }{s}), fmt.Sprintf("%+v", &struct{ K Secret }{s}),
		buf.String(), fmt.Errorf("wrapped: %v", s).Error(),
	} {
		require.NotContains(t, out, "PMAK")
		require.NotContains(t, out, "9f3c")
	}
	b, err := json.Marshal(map[string]any{"k": s})
	require.NoError(t, err)
	require.NotContains(t, string(b), "PMAK")
	require.Equal(t, apiKey, s.Reveal())
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{apiKey, "****9f3c"},
		{"short", "****"},
		{"", "****"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Secret(tt.in).Mask())
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := NewKey()
	b, err := ParseKey(k)
	require.NoError(t, err)
	require.Len(t, b, KeyBytes)
	for _, bad := range []string{"", "not base64!", "c2hvcnQ="} {
		_, err := ParseKey(bad)
		require.Error(t, err, bad)
	}
}

func TestSealOpenAndRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := NewKey(), NewKey()
	before, err := NewKeyring(oldKey, "")
	require.NoError(t, err)
	sealed, err := before.Seal(apiKey, "pmc_1")
	require.NoError(t, err)
	require.Equal(t, before.CurrentKeyID(), sealed.KeyID)
	require.False(t, bytes.Contains(sealed.Data, []byte(apiKey)))
	require.False(t, bytes.Contains(sealed.Data, []byte("9f3c")))

	got, stale, err := before.Open(sealed, "pmc_1")
	require.NoError(t, err)
	require.False(t, stale)
	require.Equal(t, apiKey, got.Reveal())

	_, _, err = before.Open(sealed, "pmc_2")
	require.ErrorIs(t, err, ErrCorrupt, "bound to its owner")
	tampered := Sealed{KeyID: sealed.KeyID, Data: bytes.Clone(sealed.Data)}
	tampered.Data[len(tampered.Data)-1] ^= 1
	_, _, err = before.Open(tampered, "pmc_1")
	require.ErrorIs(t, err, ErrCorrupt)

	// Rotation: the new key seals, the previous one still opens.
	after, err := NewKeyring(newKey, oldKey)
	require.NoError(t, err)
	got, stale, err = after.Open(sealed, "pmc_1")
	require.NoError(t, err)
	require.True(t, stale, "sealed with the previous key")
	require.Equal(t, apiKey, got.Reveal())
	resealed, err := after.Seal(got, "pmc_1")
	require.NoError(t, err)
	require.NotEqual(t, sealed.KeyID, resealed.KeyID)

	// Once the previous key is dropped, old values are reported, not garbled.
	retired, err := NewKeyring(newKey, "")
	require.NoError(t, err)
	_, _, err = retired.Open(sealed, "pmc_1")
	require.ErrorIs(t, err, ErrUnknownKey)
	_, _, err = retired.Open(resealed, "pmc_1")
	require.NoError(t, err)
}
