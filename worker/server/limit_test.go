package server

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/worker/replayer"
)

func TestLimitHeavy(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan string, 10)
	h := limitHeavy(2, "heavy")(asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		started <- t.Type()
		if t.Type() == "heavy" {
			<-release
		}
		return nil
	}))
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { require.NoError(t, h.ProcessTask(ctx, asynq.NewTask("heavy", nil))) })
	}
	require.Equal(t, "heavy", <-started)
	require.Equal(t, "heavy", <-started)

	tests := []struct {
		typ         string
		rateLimited bool
	}{
		{"heavy", true},  // both slots taken
		{"light", false}, // other types are not limited
	}
	for _, tt := range tests {
		err := h.ProcessTask(ctx, asynq.NewTask(tt.typ, nil))
		var rl *replayer.RateLimitError
		require.Equal(t, tt.rateLimited, errors.As(err, &rl), tt.typ)
		if tt.rateLimited {
			require.False(t, replayer.IsFailure(err), "over the limit is not a failure")
		}
	}
	close(release)
	wg.Wait()
	require.NoError(t, h.ProcessTask(ctx, asynq.NewTask("heavy", nil)), "slots are given back")
}
