// Package replaystate keeps the in-flight state of an import's replays in
// Redis: parked results waiting to be written, which requests have
// reported (so a redelivered result counts once), counters by outcome, the
// cancel flag, and a per-account cap on replays in flight.
//
// Every key carries a TTL (KeyTTL, refreshed on write), so an abandoned
// import leaves nothing behind for long.
package replaystate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apiscout/apiscout/shared/inventory"
)

// KeyTTL bounds how long an import's replay state outlives its last write.
const KeyTTL = 7 * 24 * time.Hour

// Counter names in the counts hash.
const (
	FieldTotal    = "total"
	FieldDone     = "done"
	FieldImported = "imported"
	// FieldSkippedPrefix + reason counts skipped requests by reason.
	FieldSkippedPrefix = "skipped:"
)

// State is the Redis-backed replay state.
type State struct{ rdb redis.UniversalClient }

// New returns a State on rdb.
func New(rdb redis.UniversalClient) *State { return &State{rdb: rdb} }

func key(importID, part string) string { return "apiscout:replay:{" + importID + "}:" + part }

// Start records how many replays an import waits for (idempotent: a
// retried import:collection does not change it).
func (s *State) Start(ctx context.Context, importID string, total int) error {
	k := key(importID, "counts")
	pipe := s.rdb.TxPipeline()
	pipe.HSetNX(ctx, k, FieldTotal, total)
	pipe.Expire(ctx, k, KeyTTL)
	_, err := pipe.Exec(ctx)
	return err
}

// Park stores one replay's result until a batch writes it.
func (s *State) Park(ctx context.Context, importID string, index int, result []byte) error {
	k := key(importID, "results")
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, k, strconv.Itoa(index), result)
	pipe.Expire(ctx, k, KeyTTL)
	_, err := pipe.Exec(ctx)
	return err
}

// Parked returns the parked results of indices; missing ones (already
// written) are absent from the map.
func (s *State) Parked(ctx context.Context, importID string, indices []int) (map[int][]byte, error) {
	out := map[int][]byte{}
	if len(indices) == 0 {
		return out, nil
	}
	fields := make([]string, len(indices))
	for i, n := range indices {
		fields[i] = strconv.Itoa(n)
	}
	vals, err := s.rdb.HMGet(ctx, key(importID, "results"), fields...).Result()
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out[indices[i]] = []byte(str)
		}
	}
	return out, nil
}

// Unpark deletes written results.
func (s *State) Unpark(ctx context.Context, importID string, indices []int) error {
	if len(indices) == 0 {
		return nil
	}
	fields := make([]string, len(indices))
	for i, n := range indices {
		fields[i] = strconv.Itoa(n)
	}
	return s.rdb.HDel(ctx, key(importID, "results"), fields...).Err()
}

// reportScript marks indices done and counts each one's outcome (and the
// status class of a kept answer) only the first time it is reported.
// KEYS: done set, counts hash. ARGV: ttl seconds, then index, field, class
// triples. Returns {done, total}.
var reportScript = redis.NewScript(`
local done, counts = KEYS[1], KEYS[2]
for i = 2, #ARGV, 3 do
  if redis.call('SADD', done, ARGV[i]) == 1 then
    redis.call('HINCRBY', counts, ARGV[i+1], 1)
    redis.call('HINCRBY', counts, 'done', 1)
    if ARGV[i+2] ~= '' then redis.call('HINCRBY', counts, 'class:' .. ARGV[i+2], 1) end
  end
end
redis.call('EXPIRE', done, ARGV[1])
redis.call('EXPIRE', counts, ARGV[1])
local total = redis.call('HGET', counts, 'total')
return {redis.call('SCARD', done), tonumber(total or '-1')}
`)

// Outcome is one reported replay: its counter field (FieldImported or
// FieldSkippedPrefix+reason) and, for a kept answer, its status class.
type Outcome struct {
	Field string
	Class string
}

// Report counts outcomes by request index, once per index, and returns how
// many have reported and the total (-1 when Start was not called).
func (s *State) Report(ctx context.Context, importID string, outcomes map[int]Outcome) (done, total int, err error) {
	args := []any{int(KeyTTL / time.Second)}
	for idx, o := range outcomes {
		args = append(args, strconv.Itoa(idx), o.Field, o.Class)
	}
	res, err := reportScript.Run(ctx, s.rdb, []string{key(importID, "done"), key(importID, "counts")}, args...).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	return int(res[0]), int(res[1]), nil
}

// Progress is an import's replay counters.
type Progress struct {
	Total    int            `json:"total"`
	Done     int            `json:"done"`
	Imported int            `json:"imported"`
	Skipped  map[string]int `json:"skipped"`
	// SamplesByStatus counts kept answers by status class.
	SamplesByStatus map[string]int `json:"samples_by_status"`
}

// Progress reads the counters; ok is false when there are none.
func (s *State) Progress(ctx context.Context, importID string) (p Progress, ok bool, err error) {
	m, err := s.rdb.HGetAll(ctx, key(importID, "counts")).Result()
	if err != nil || len(m) == 0 {
		return p, false, err
	}
	p.Skipped, p.SamplesByStatus = map[string]int{}, map[string]int{}
	for f, v := range m {
		n, _ := strconv.Atoi(v)
		switch {
		case f == FieldTotal:
			p.Total = n
		case f == FieldDone:
			p.Done = n
		case f == FieldImported:
			p.Imported = n
		case strings.HasPrefix(f, FieldSkippedPrefix):
			p.Skipped[strings.TrimPrefix(f, FieldSkippedPrefix)] = n
		case strings.HasPrefix(f, "class:"):
			p.SamplesByStatus[strings.TrimPrefix(f, "class:")] = n
		}
	}
	return p, true, nil
}

// Cancel sets an import's cancel flag.
func (s *State) Cancel(ctx context.Context, importID string) error {
	return s.rdb.Set(ctx, key(importID, "cancelled"), "1", KeyTTL).Err()
}

// Cancelled reports the cancel flag.
func (s *State) Cancelled(ctx context.Context, importID string) (bool, error) {
	n, err := s.rdb.Exists(ctx, key(importID, "cancelled")).Result()
	return n == 1, err
}

// Forget removes an import's state once it is finalized (the counters
// have been copied into the import document).
func (s *State) Forget(ctx context.Context, importID string) error {
	return s.rdb.Del(ctx, key(importID, "results"), key(importID, "done"), key(importID, "counts")).Err()
}

// ErrBusy is returned by Acquire when the account has its cap of replays in
// flight.
var ErrBusy = errors.New("replays in flight at the account's cap")

// acquireScript adds a member to the in-flight set of an account unless it
// is full, after dropping members older than the stale bound. KEYS: zset.
// ARGV: now ms, stale-before ms, cap, member.
var acquireScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], 3600000)
return 1
`)

// Acquire takes one of an account's in-flight slots for member (a task id)
// for at most hold; Release gives it back. ErrBusy when none is free.
func (s *State) Acquire(ctx context.Context, accountID, member string, limit int, hold time.Duration) error {
	now := time.Now()
	ok, err := acquireScript.Run(ctx, s.rdb, []string{"apiscout:inflight:{" + accountID + "}"},
		now.UnixMilli(), now.Add(-hold).UnixMilli(), limit, member).Int()
	if err != nil {
		return fmt.Errorf("in-flight cap: %w", err)
	}
	if ok == 0 {
		return ErrBusy
	}
	return nil
}

// Release gives an in-flight slot back.
func (s *State) Release(ctx context.Context, accountID, member string) error {
	return s.rdb.ZRem(ctx, "apiscout:inflight:{"+accountID+"}", member).Err()
}

// InFlight is the number of replays in flight for an account.
func (s *State) InFlight(ctx context.Context, accountID string) (int64, error) {
	return s.rdb.ZCard(ctx, "apiscout:inflight:{"+accountID+"}").Result()
}

// AddTo adds replay progress to an import's counts (a pure function, so
// the API shows the same figures while the import runs).
func AddTo(c inventory.Counts, p Progress) inventory.Counts {
	out := c
	out.Skipped = maps.Clone(c.Skipped)
	out.SamplesByStatus = maps.Clone(c.SamplesByStatus)
	if out.Skipped == nil {
		out.Skipped = map[string]int{}
	}
	if out.SamplesByStatus == nil {
		out.SamplesByStatus = map[string]int{}
	}
	out.Imported += p.Imported
	out.Samples += p.Imported
	for k, n := range p.Skipped {
		out.Skipped[k] += n
	}
	for k, n := range p.SamplesByStatus {
		out.SamplesByStatus[k] += n
	}
	r := inventory.ReplayCounts{Total: p.Total, Done: p.Done, Imported: p.Imported, Skipped: maps.Clone(p.Skipped)}
	if c.Replay != nil {
		r.Planned = c.Replay.Planned
	}
	out.Replay = &r
	return out
}
