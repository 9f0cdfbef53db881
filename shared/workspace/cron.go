package workspace

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Spec is a parsed schedule: a standard five-field cron expression
// ("0 */6 * * *"), a descriptor (@hourly, @daily, @weekly, @monthly,
// @yearly), or "@every D". Activations are computed in UTC; "@every D" runs
// at multiples of D since the Unix epoch, so every scheduler process
// computes the same instants.
type Spec struct {
	expr  string
	sched cron.Schedule
	every time.Duration
}

// ParseSpec parses a schedule expression.
func ParseSpec(expr string) (Spec, error) {
	expr = strings.TrimSpace(expr)
	if rest, ok := strings.CutPrefix(expr, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second || d%time.Second != 0 {
			return Spec{}, fmt.Errorf("@every wants a whole number of seconds, at least 1s, like @every 6h")
		}
		return Spec{expr: expr, every: d}, nil
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return Spec{}, fmt.Errorf("time zones are not supported: schedules run in UTC")
	}
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return Spec{}, fmt.Errorf("not a cron expression (minute hour day-of-month month day-of-week, or @hourly, @daily, @every 6h): %v", err)
	}
	return Spec{expr: expr, sched: s}, nil
}

// String returns the expression.
func (s Spec) String() string { return s.expr }

// Next returns the first activation strictly after t.
func (s Spec) Next(t time.Time) time.Time {
	t = t.UTC()
	if s.every > 0 {
		return t.Truncate(s.every).Add(s.every)
	}
	return s.sched.Next(t)
}

// Between returns the activations in (from, to], at most limit of them.
func (s Spec) Between(from, to time.Time, limit int) []time.Time {
	var out []time.Time
	for t := s.Next(from); !t.IsZero() && !t.After(to) && len(out) < limit; t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

// MinGap is the shortest time between two of the n activations after t
// (0 when the expression never fires twice).
func (s Spec) MinGap(t time.Time, n int) time.Duration {
	var gap time.Duration
	prev := s.Next(t)
	for range n {
		next := s.Next(prev)
		if next.IsZero() || prev.IsZero() {
			break
		}
		if d := next.Sub(prev); gap == 0 || d < gap {
			gap = d
		}
		prev = next
	}
	return gap
}
