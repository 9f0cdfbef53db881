package tasks

import (
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
)

func TestImportCollectionRoundTrip(t *testing.T) {
	t.Parallel()
	task, err := NewImportCollection(ImportCollection{ImportID: "imp_1", AccountID: "acc_1"}, 3)
	require.NoError(t, err)
	require.Equal(t, TypeImportCollection, task.Type())
	p, err := ParseImportCollection(task)
	require.NoError(t, err)
	require.Equal(t, ImportCollection{ImportID: "imp_1", AccountID: "acc_1"}, p)
}

func TestImportCollectionRejects(t *testing.T) {
	t.Parallel()
	_, err := NewImportCollection(ImportCollection{ImportID: "imp_1"}, 3)
	require.Error(t, err)
	for _, payload := range []string{`{`, `{}`, `{"import_id":"x"}`} {
		_, err := ParseImportCollection(asynq.NewTask(TypeImportCollection, []byte(payload)))
		require.Error(t, err, payload)
	}
}
