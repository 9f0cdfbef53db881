package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/secret"
)

func TestDevSecretKeyIsKept(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	first, path, err := devSecretKey(dir)
	require.NoError(t, err)
	_, err = secret.ParseKey(first)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	again, _, err := devSecretKey(dir)
	require.NoError(t, err)
	require.Equal(t, first, again, "the same key after a restart")

	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	_, _, err = devSecretKey(dir)
	require.Error(t, err)
}
