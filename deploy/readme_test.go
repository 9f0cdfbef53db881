package deploy_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/config"
)

// TestReadmeListsEveryVariable keeps the README's configuration true.
func TestReadmeListsEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(repoFile("README.md"))
	require.NoError(t, err)
	for _, v := range config.Vars {
		require.Contains(t, string(readme), "`"+config.Prefix+v.Name+"`", "README.md does not document %s%s", config.Prefix, v.Name)
	}
}
