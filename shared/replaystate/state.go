// Package replaystate keeps the in-flight state of an import's replays in
// Redis: parked results waiting to be written (numbered and counted once
// per request as they arrive, then claimed by one batch at a time), which
// results are written, counters by outcome, the cancel flag, and a
// per-account cap on replays in flight.
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

// parkScript stores one result, numbers it and counts its outcome, the
// first time its index is parked: the number is the import's done count
// after it (1 for the first). Parking an index again (a retried task)
// changes nothing and returns the first number.
// KEYS: results hash, numbers hash, counts hash. ARGV: ttl seconds, index,
// result, counter field, status class (” for none). Returns {number, total}.
var parkScript = redis.NewScript(`
local results, numbers, counts = KEYS[1], KEYS[2], KEYS[3]
local n = redis.call('HGET', numbers, ARGV[2])
if not n then
  n = redis.call('HINCRBY', counts, 'done', 1)
  redis.call('HSET', numbers, ARGV[2], n)
  redis.call('HSET', results, ARGV[2], ARGV[3])
  redis.call('HINCRBY', counts, ARGV[4], 1)
  if ARGV[5] ~= '' then redis.call('HINCRBY', counts, 'class:' .. ARGV[5], 1) end
end
for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ARGV[1]) end
local total = redis.call('HGET', counts, 'total')
return {tonumber(n), tonumber(total or '-1')}
`)

// Outcome is one replay's outcome: its counter field (FieldImported or
// FieldSkippedPrefix+reason) and, for a kept answer, its status class.
type Outcome struct {
	Field string
	Class string
}

// Park stores one replay's result until a batch claims it and counts its
// outcome, once per request index: the progress counters move as replays
// finish. It returns the result's number (the done count after it: 1 for
// the first; the same again when an index is parked twice) and the total
// (-1 when Start was not called). A caller asks for a batch every so many
// numbers and at the total, so every result is written soon after.
func (s *State) Park(ctx context.Context, importID string, index int, result []byte, o Outcome) (number, total int, err error) {
	res, err := parkScript.Run(ctx, s.rdb, []string{key(importID, "results"), key(importID, "numbers"), key(importID, "counts")},
		int(KeyTTL/time.Second), strconv.Itoa(index), result, o.Field, o.Class).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("park: %w", err)
	}
	return int(res[0]), int(res[1]), nil
}

// claimScript moves parked results into a claim hash, up to max results
// and, after the first, maxBytes of them, unless the claim still holds
// results (an attempt that did not finish); it returns the claim's
// contents as field, value pairs.
// KEYS: results hash, claim hash. ARGV: max, maxBytes, ttl seconds.
var claimScript = redis.NewScript(`
local results, claim, max, maxBytes = KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('EXISTS', claim) == 0 then
  local cursor, taken, bytes = '0', 0, 0
  repeat
    local page = redis.call('HSCAN', results, cursor, 'COUNT', max)
    cursor = page[1]
    local kv = page[2]
    for i = 1, #kv, 2 do
      local full = taken >= max or (taken > 0 and bytes + #kv[i+1] > maxBytes)
      if not full and redis.call('HEXISTS', claim, kv[i]) == 0 then
        redis.call('HSET', claim, kv[i], kv[i+1])
        redis.call('HDEL', results, kv[i])
        taken = taken + 1
        bytes = bytes + #kv[i+1]
      end
    end
  until cursor == '0' or taken >= max or bytes >= maxBytes
  if taken > 0 then redis.call('EXPIRE', claim, ARGV[3]) end
end
return redis.call('HGETALL', claim)
`)

// Claim takes parked results for the batch claimID, up to max results and
// (beyond the first) maxBytes of them, and returns them by request index.
// Results are claimed by one batch only; a claim that was not released
// (its batch failed) is returned again to the same claimID, so a retried
// batch writes what it had taken. An empty map means nothing is parked.
func (s *State) Claim(ctx context.Context, importID, claimID string, max, maxBytes int) (map[int][]byte, error) {
	kv, err := claimScript.Run(ctx, s.rdb, []string{key(importID, "results"), key(importID, "claim:"+claimID)},
		max, maxBytes, int(KeyTTL/time.Second)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	out := make(map[int][]byte, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		idx, err := strconv.Atoi(kv[i])
		if err != nil {
			continue
		}
		out[idx] = []byte(kv[i+1])
	}
	return out, nil
}

// Unclaim drops a claim whose results are written.
func (s *State) Unclaim(ctx context.Context, importID, claimID string) error {
	return s.rdb.Del(ctx, key(importID, "claim:"+claimID)).Err()
}

// writtenScript marks indices written. KEYS: written set, counts hash.
// ARGV: ttl seconds, then indices. Returns {written, total}.
var writtenScript = redis.NewScript(`
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local total = redis.call('HGET', KEYS[2], 'total')
return {redis.call('SCARD', KEYS[1]), tonumber(total or '-1')}
`)

// Written records that the results of indices are in the inventory and
// returns how many are (each index once) and the total (-1 when Start was
// not called). The batch that sees written reach total finalizes.
func (s *State) Written(ctx context.Context, importID string, indices []int) (written, total int, err error) {
	args := make([]any, 0, len(indices)+1)
	args = append(args, int(KeyTTL/time.Second))
	for _, idx := range indices {
		args = append(args, strconv.Itoa(idx))
	}
	res, err := writtenScript.Run(ctx, s.rdb, []string{key(importID, "written"), key(importID, "counts")}, args...).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("written: %w", err)
	}
	return int(res[0]), int(res[1]), nil
}

// Touch records endpoints an import's step wrote: created are the ones the
// import created, touched all it wrote (created included). Recording the
// same ids again changes nothing, so a retried step may.
func (s *State) Touch(ctx context.Context, importID string, created, touched []string) error {
	pipe := s.rdb.TxPipeline()
	for _, part := range []struct {
		name string
		ids  []string
	}{{"created", created}, {"touched", touched}} {
		if len(part.ids) == 0 {
			continue
		}
		k := key(importID, part.name)
		members := make([]any, len(part.ids))
		for i, id := range part.ids {
			members[i] = id
		}
		pipe.SAdd(ctx, k, members...)
		pipe.Expire(ctx, k, KeyTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("touch endpoints: %w", err)
	}
	return nil
}

// EndpointCounts is how many endpoints the import's steps created and
// updated (wrote, created earlier), as recorded by Touch.
func (s *State) EndpointCounts(ctx context.Context, importID string) (created, updated int, err error) {
	pipe := s.rdb.Pipeline()
	c := pipe.SCard(ctx, key(importID, "created"))
	t := pipe.SCard(ctx, key(importID, "touched"))
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("endpoint counts: %w", err)
	}
	return int(c.Val()), int(t.Val() - c.Val()), nil
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
	return s.rdb.Del(ctx, key(importID, "results"), key(importID, "numbers"), key(importID, "written"), key(importID, "counts"),
		key(importID, "created"), key(importID, "touched")).Err()
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

// unlockScript deletes a lock only if it still holds the caller's token.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// LockWriter takes an import's writer lock for token, for at most hold
// (taking it again with the same token extends it). It reports false when
// another token holds it. Batches of one import write one at a time, so
// they do not fight over the same endpoints.
func (s *State) LockWriter(ctx context.Context, importID, token string, hold time.Duration) (bool, error) {
	k := key(importID, "writer")
	ok, err := s.rdb.SetNX(ctx, k, token, hold).Result()
	if err != nil || ok {
		return ok, err
	}
	cur, err := s.rdb.Get(ctx, k).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil || cur != token {
		return false, err
	}
	return true, s.rdb.PExpire(ctx, k, hold).Err()
}

// UnlockWriter releases the writer lock if token holds it.
func (s *State) UnlockWriter(ctx context.Context, importID, token string) error {
	return unlockScript.Run(ctx, s.rdb, []string{key(importID, "writer")}, token).Err()
}
