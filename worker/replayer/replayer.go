// Package replayer handles replay:request tasks (send one request of an
// import to its server, within the per-host rate limit and the account's
// in-flight cap) and replay:batch tasks (write a batch of results into the
// inventory, count them once, and finalize the import after the last).
package replayer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/ids"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/metrics"
	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/replay"
	"github.com/apiscout/apiscout/shared/replaystate"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/tasks"
	"github.com/apiscout/apiscout/worker/assemble"
)

// Store is what replaying needs of the database.
type Store interface {
	GetImport(ctx context.Context, accountID, id string) (inventory.Import, error)
	GetBlob(ctx context.Context, id string) ([]byte, error)
	SaveOutcomes(ctx context.Context, accountID, importID, key string, seq int, rows []inventory.RequestOutcome) error
	EndpointTemplates(ctx context.Context, accountID, collectionID string) ([]inventory.Endpoint, error)
	AddChanges(ctx context.Context, step string, set changes.Set) (changes.Set, error)
	assemble.Store
}

var _ Store = (*store.Store)(nil)

// Enqueuer puts tasks on the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Config configures the Replayer.
type Config struct {
	// SamplesPerEndpoint is how many samples an endpoint keeps.
	SamplesPerEndpoint int
	// MaxInFlightPerAccount caps the replays of one account in flight
	// across all workers.
	MaxInFlightPerAccount int
	// TaskMaxRetry is the retry count of finalize tasks.
	TaskMaxRetry int
	// BatchSize is how many replay results one write takes; a batch is
	// asked for every BatchSize results and after the last.
	BatchSize int
	// NoRedaction stores replayed samples as sent and received. False (the
	// default) redacts credentials before a result is parked in Redis and
	// credentials and detected sensitive values in the stored sample.
	NoRedaction bool
	// MaxLocalWait is how long a task waits in place for its turn at a
	// host's rate limit before it gives its worker slot back to the queue.
	// Default 10 s.
	MaxLocalWait time.Duration
}

// batchMaxRetry is generous: an import completes only once every batch
// has written its results.
const batchMaxRetry = 25

// Replayer handles replay tasks.
type Replayer struct {
	store   Store
	state   *replaystate.State
	queue   Enqueuer
	limiter *redis_rate.Limiter
	sender  *Sender
	metrics *metrics.Metrics
	log     *slog.Logger
	cfg     Config
	cache   *collectionCache
	turns   turns
}

// New returns a Replayer.
func New(st Store, state *replaystate.State, q Enqueuer, limiter *redis_rate.Limiter, sender *Sender, m *metrics.Metrics, log *slog.Logger, cfg Config) *Replayer {
	if cfg.BatchSize < 1 {
		cfg.BatchSize = 1
	}
	if cfg.MaxLocalWait == 0 {
		cfg.MaxLocalWait = 10 * time.Second
	}
	r := &Replayer{store: st, state: state, queue: q, limiter: limiter, sender: sender, metrics: m, log: log, cfg: cfg}
	r.cache = newCollectionCache(4, r.load)
	return r
}

// load reads an import and parses its stored collection (and environment)
// as the import did.
func (r *Replayer) load(ctx context.Context, accountID, importID string) (*loaded, error) {
	imp, err := r.store.GetImport(ctx, accountID, importID)
	if err != nil {
		return nil, err
	}
	data, err := r.store.GetBlob(ctx, imp.Source.FileBlobID)
	if err != nil {
		return nil, err
	}
	var opts postman.Options
	if imp.Source.EnvBlobID != "" {
		env, err := r.store.GetBlob(ctx, imp.Source.EnvBlobID)
		if err != nil {
			return nil, err
		}
		if _, opts.Environment, err = postman.ParseEnvironment(env); err != nil {
			return nil, err
		}
	}
	coll, err := postman.Parse(data, opts)
	if err != nil {
		return nil, err
	}
	return &loaded{imp: imp, coll: coll}, nil
}

// RateLimitError asks asynq to run the task again after RetryIn, without
// counting a failure or a retry.
type RateLimitError struct {
	RetryIn time.Duration
	Why     string
}

func (e *RateLimitError) Error() string {
	return "rate limited (" + e.Why + "): retry in " + e.RetryIn.String()
}

// retryError is a failed attempt worth repeating after at least Delay (a
// server's Retry-After).
type retryError struct {
	msg   string
	Delay time.Duration
}

func (e *retryError) Error() string { return e.msg }

// IsFailure tells asynq that rate limiting is not a failure.
func IsFailure(err error) bool {
	var rl *RateLimitError
	return !errors.As(err, &rl)
}

// RetryDelay is asynq's RetryDelayFunc: the limiter's wait for rate
// limiting, at least the server's Retry-After, else exponential backoff
// with jitter.
func RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryIn
	}
	backoff := time.Duration(1<<min(n, 10)) * 500 * time.Millisecond
	backoff += time.Duration(time.Now().UnixNano() % int64(backoff/2+1))
	var re *retryError
	if errors.As(err, &re) && re.Delay > backoff {
		return re.Delay
	}
	if t != nil && t.Type() != tasks.TypeReplayRequest {
		return asynq.DefaultRetryDelayFunc(n, err, t)
	}
	return min(backoff, 5*time.Minute)
}

// ProcessRequest handles replay:request.
func (r *Replayer) ProcessRequest(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParseReplayRequest(t)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	l, err := r.cache.get(ctx, p.AccountID, p.ImportID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("import %s no longer exists: %w", p.ImportID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if p.Index >= len(l.coll.Requests) {
		return fmt.Errorf("import %s has no request %d: %w", p.ImportID, p.Index, asynq.SkipRetry)
	}
	req := &l.coll.Requests[p.Index]
	o := l.imp.Options
	res := replay.Result{Index: p.Index, OriginalURL: req.Built.URL.Raw}

	if cancelled, err := r.state.Cancelled(ctx, p.ImportID); err != nil {
		return err
	} else if cancelled {
		res.Outcome, res.Reason = inventory.OutcomeSkipped, replay.ReasonCancelled
		return r.report(ctx, p, res)
	}
	target, err := replay.TargetURL(req.Built.URL, o.TargetOverride)
	if err != nil {
		res.Outcome, res.Reason, res.Detail = inventory.OutcomeSkipped, replay.ReasonUnresolvedVariable, err.Error()
		return r.report(ctx, p, res)
	}
	res.ReplayedURL = target
	if err := r.waitRate(ctx, p.AccountID, target, o.MaxRPSPerHost); err != nil {
		return err
	}
	member := fmt.Sprintf("%s:%d", p.ImportID, p.Index)
	if err := r.state.Acquire(ctx, p.AccountID, member, r.cfg.MaxInFlightPerAccount, time.Duration(o.ReplayTimeout)*2+time.Minute); err != nil {
		if errors.Is(err, replaystate.ErrBusy) {
			r.metrics.RateLimited.WithLabelValues("account_in_flight").Inc()
			return &RateLimitError{RetryIn: 250 * time.Millisecond, Why: "account in-flight cap"}
		}
		return err
	}
	r.metrics.ReplaysInFlight.Inc()
	ans, sendErr := r.sender.Send(ctx, req, o, target)
	r.metrics.ReplaysInFlight.Dec()
	_ = r.state.Release(context.WithoutCancel(ctx), p.AccountID, member)

	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	last := retried >= maxRetry
	if sendErr != nil {
		reason, again := Cause(sendErr)
		r.metrics.Replays.WithLabelValues(outcomeLabel(reason)).Inc()
		if again && !last {
			return &retryError{msg: "replay: " + reason + ": " + sendErr.Error()}
		}
		res.Outcome, res.Reason, res.Detail = inventory.OutcomeSkipped, reason, sendErr.Error()
		return r.report(ctx, p, res)
	}
	res.Status, res.LatencyMS = ans.Status, ans.Latency.Milliseconds()
	keep, _ := replay.ParseStatuses(o.KeepStatuses)
	switch replay.Judge(ans.Status, keep) {
	case replay.Keep:
		res.Outcome = inventory.OutcomeImported
		headers, url := replay.RedactHeaders, replay.RedactURL
		if r.cfg.NoRedaction {
			headers, url = replay.Headers, func(s string) string { return s }
		}
		res.Request = &inventory.SampleRequest{
			Method:  req.Built.Method,
			URL:     url(req.Built.URL.Raw),
			Headers: headers(ans.SentHeader),
		}
		if req.Built.Body != nil {
			res.Request.Body = req.Built.Body.Raw
		}
		res.Response = &inventory.SampleResponse{
			Status: ans.Status, Headers: headers(ans.Header),
			Body: string(ans.Body), BodyTruncated: ans.Truncated,
		}
	case replay.Retry:
		if !last {
			r.metrics.Replays.WithLabelValues("retry").Inc()
			return &retryError{msg: fmt.Sprintf("replay: server answered %d", ans.Status), Delay: retryAfter(ans.Header, time.Now())}
		}
		res.Outcome, res.Reason = inventory.OutcomeSkipped, replay.NonKeptReason(ans.Status)
	default:
		res.Outcome, res.Reason = inventory.OutcomeSkipped, replay.NonKeptReason(ans.Status)
	}
	r.metrics.Replays.WithLabelValues(outcomeLabel(res.Reason)).Inc()
	r.metrics.ReplayDuration.WithLabelValues(outcomeLabel(res.Reason)).Observe(ans.Latency.Seconds())
	return r.report(ctx, p, res)
}

// outcomeLabel is a bounded metric label for a reason ("" = kept).
func outcomeLabel(reason string) string {
	switch {
	case reason == "":
		return "kept"
	case len(reason) > 8 && reason[:8] == "non_2xx:":
		return "non_2xx"
	case len(reason) > 13 && reason[:13] == "server_error:":
		return "server_error"
	case len(reason) > 12 && reason[:12] == "unreachable:":
		return "unreachable"
	}
	return reason
}

// waitRate takes a token of the per-host limit shared by all workers
// (redis_rate, GCRA in Redis). Within this process the tasks for one host
// take turns (a FIFO lock per host), so a task does not lose the race for
// the next token again and again, and tokens are used as soon as they are
// due. A task that cannot get its turn within MaxLocalWait hands itself
// back to the queue (not a failure, no retry used).
func (r *Replayer) waitRate(ctx context.Context, accountID, target string, rps int) error {
	key := "apiscout:rate:{" + accountID + "}:" + originOf(target)
	turn := r.turns.get(key)
	wait := time.NewTimer(r.cfg.MaxLocalWait)
	defer wait.Stop()
	select {
	case turn <- struct{}{}:
	case <-wait.C:
		r.metrics.RateLimited.WithLabelValues("host").Inc()
		return &RateLimitError{RetryIn: time.Second, Why: "per-host limit"}
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-turn }()
	// A small burst (a tenth of a second of tokens) lets a late wake-up catch
	// up, so the long-run rate is the configured one.
	limit := redis_rate.Limit{Rate: rps, Period: time.Second, Burst: max(1, rps/10)}
	for waited := false; ; waited = true {
		res, err := r.limiter.Allow(ctx, key, limit)
		if err != nil {
			return err
		}
		if res.Allowed > 0 {
			return nil
		}
		if !waited {
			r.metrics.RateLimited.WithLabelValues("host").Inc()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(res.RetryAfter):
		}
	}
}

// turns hands out one FIFO lock (a channel of capacity 1) per key.
type turns struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (t *turns) get(key string) chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]chan struct{}{}
	}
	c, ok := t.m[key]
	if !ok {
		c = make(chan struct{}, 1)
		t.m[key] = c
	}
	return c
}

func originOf(target string) string {
	i := len(target)
	for j := len("https://"); j < len(target); j++ {
		if target[j] == '/' || target[j] == '?' {
			i = j
			break
		}
	}
	return target[:i]
}

// report parks a result (which counts it) and, every BatchSize results
// and at the last one, enqueues a batch that writes what is parked.
func (r *Replayer) report(ctx context.Context, p tasks.ReplayRequest, res replay.Result) error {
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	o := replaystate.Outcome{Field: res.Field()}
	if res.Outcome == inventory.OutcomeImported {
		o.Class = inventory.StatusClass(res.Status)
	}
	n, total, err := r.state.Park(ctx, p.ImportID, p.Index, data, o)
	if err != nil {
		return err
	}
	size := r.cfg.BatchSize
	if n%size != 0 && n != total {
		return nil
	}
	t, err := tasks.NewReplayBatch(tasks.ReplayBatch{ImportID: p.ImportID, AccountID: p.AccountID, Seq: (n + size - 1) / size}, batchMaxRetry)
	if err != nil {
		return err
	}
	return tasks.EnqueueOnce(ctx, r.queue, t)
}

// ProcessBatch handles replay:batch: it claims parked results (at most
// claimMax or claimMaxBytes at a time) until none is left, writes each claim's kept answers as samples
// and every result's outcome row, and enqueues the import's finalize task
// once every result is written. Batches of one import write one at a time
// (the import's writer lock); each claim goes to one batch, and a retried
// batch first writes the claim it held.
func (r *Replayer) ProcessBatch(ctx context.Context, t *asynq.Task) error {
	b, err := tasks.ParseReplayBatch(t)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	claim := strconv.Itoa(b.Seq)
	if err := r.lockWriter(ctx, b.ImportID, claim); err != nil {
		return err
	}
	defer func() { _ = r.state.UnlockWriter(context.WithoutCancel(ctx), b.ImportID, claim) }()
	for {
		if ok, err := r.state.LockWriter(ctx, b.ImportID, claim, writerHold); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("replay batch %s/%d lost the writer lock", b.ImportID, b.Seq)
		}
		parked, err := r.state.Claim(ctx, b.ImportID, claim, claimMax, claimMaxBytes)
		if err != nil {
			return err
		}
		if len(parked) == 0 {
			return nil
		}
		indices := make([]int, 0, len(parked))
		for idx := range parked {
			indices = append(indices, idx)
		}
		sort.Ints(indices)
		if err := r.write(ctx, b, indices, parked); err != nil {
			return err
		}
		written, total, err := r.state.Written(ctx, b.ImportID, indices)
		if err != nil {
			return err
		}
		if total >= 0 && written >= total {
			ft, err := tasks.NewImportFinalize(tasks.ImportFinalize{ImportID: b.ImportID, AccountID: b.AccountID}, r.cfg.TaskMaxRetry)
			if err != nil {
				return err
			}
			if err := tasks.EnqueueOnce(ctx, r.queue, ft); err != nil {
				return err
			}
		}
		if err := r.state.Unclaim(ctx, b.ImportID, claim); err != nil {
			return err
		}
	}
}

// A write takes at most claimMax parked results and, beyond the first,
// claimMaxBytes of them: few, large writes while replays arrive faster than
// they are written, with memory bounded whatever the body sizes.
const (
	claimMax      = 1000
	claimMaxBytes = 32 << 20
)

// writerHold bounds how long a batch holds its import's writer lock
// between two rounds (a worker that dies holding it delays the import's
// other batches by at most this much).
const writerHold = time.Minute

// lockWriter waits for the import's writer lock: batches of one import
// write one after another (each drains what is parked), instead of racing
// for the same endpoints. A batch that waits longer than MaxLocalWait goes
// back to the queue without counting as a failure.
func (r *Replayer) lockWriter(ctx context.Context, importID, token string) error {
	deadline := time.Now().Add(r.cfg.MaxLocalWait)
	for {
		ok, err := r.state.LockWriter(ctx, importID, token, writerHold)
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return &RateLimitError{RetryIn: time.Second, Why: "import writer busy"}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// write turns a batch's results into samples and outcome rows.
func (r *Replayer) write(ctx context.Context, b tasks.ReplayBatch, indices []int, parked map[int][]byte) error {
	l, err := r.cache.get(ctx, b.AccountID, b.ImportID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("import %s no longer exists: %w", b.ImportID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	imp := l.imp
	if imp.CollectionID == "" {
		// The cached import predates SetImportReplaying; read it again.
		if imp, err = r.store.GetImport(ctx, b.AccountID, b.ImportID); err != nil {
			return err
		}
	}
	// Replayed paths join the collection's stored templates they fit, as
	// saved responses do.
	known, err := l.templates(ctx, r.store.EndpointTemplates, imp.AccountID, imp.CollectionID)
	if err != nil {
		return err
	}
	planner := inventory.NewReplayPlanner(l.coll, imp.CollectionID, inventory.PlanOptions{
		AccountID: imp.AccountID, ImportID: imp.ID, Now: imp.CreatedAt, Known: known, NoRedaction: r.cfg.NoRedaction,
	})
	rows := make([]inventory.RequestOutcome, 0, len(indices))
	for _, idx := range indices {
		var res replay.Result
		if err := json.Unmarshal(parked[idx], &res); err != nil || idx >= len(l.coll.Requests) {
			continue
		}
		req := &l.coll.Requests[idx]
		row := inventory.RequestOutcome{
			Index: idx, RequestID: req.ID, Name: req.Name, Folders: req.Folders, Method: req.Built.Method,
			URL: req.Built.URL.Raw, Outcome: res.Outcome, Reason: res.Reason, Detail: res.Detail, Status: res.Status,
		}
		if res.Outcome == inventory.OutcomeImported && res.Request != nil && res.Response != nil {
			ex := postman.Example{Request: req.Built, Status: res.Response.Status, Body: res.Response.Body}
			for _, h := range res.Response.Headers {
				ex.Headers = append(ex.Headers, postman.KV{Key: h.Name, Value: h.Value})
			}
			epID := planner.Add(req, ex, func(s *inventory.Sample, epID string) {
				s.ID = ids.Stable("smp", epID, "replay", imp.ID, strconv.Itoa(idx))
				s.Source = inventory.SampleSource{Kind: inventory.SourceReplay, ImportID: imp.ID, RequestID: req.ID,
					RequestName: req.Name, LatencyMS: res.LatencyMS}
				if res.ReplayedURL != "" && res.ReplayedURL != req.Built.URL.Raw {
					s.Source.ReplayedURL = res.ReplayedURL
				}
				s.Response.BodyTruncated = s.Response.BodyTruncated || res.Response.BodyTruncated
			})
			row.Samples, row.EndpointIDs = 1, []string{epID}
		}
		rows = append(rows, row)
	}
	parts := make([]string, len(indices))
	for i, idx := range indices {
		parts[i] = strconv.Itoa(idx)
	}
	step := ids.Stable("replay", parts...)
	observations := planner.Observations()
	target := assemble.Target{
		AccountID: imp.AccountID, CollectionID: imp.CollectionID, ImportID: imp.ID,
		Now: imp.CreatedAt, Keep: r.cfg.SamplesPerEndpoint,
	}
	if len(observations) > 0 {
		// What the batch changes joins its import's change set, recorded
		// before the batch writes (as the import's own step does).
		epIDs := make([]string, len(observations))
		for i, o := range observations {
			epIDs[i] = inventory.EndpointID(imp.CollectionID, o.Key)
		}
		prev, err := r.store.EndpointsByID(ctx, imp.AccountID, epIDs)
		if err != nil {
			return err
		}
		set := changes.NewSet(imp.AccountID, imp.CollectionID, imp.ID, imp.CreatedAt,
			changes.Diff(prev, assemble.Preview(target, prev, observations)))
		set.Source = imp.Source.Kind
		if _, err := r.store.AddChanges(ctx, step, set); err != nil {
			return err
		}
		written, err := assemble.WriteOver(ctx, r.store, r.log, target, observations, prev)
		if err != nil {
			return err
		}
		if err := r.state.Touch(ctx, imp.ID, written.Created, written.Touched); err != nil {
			return err
		}
	}
	return r.store.SaveOutcomes(ctx, imp.AccountID, imp.ID, step, 1, rows)
}
