// Package replay decides which requests of a collection are replayed, builds
// the HTTP requests that replay them (auth applied, signatures computed at
// send time), and turns answers into outcomes. It does no I/O of its own: the
// caller sends the requests (through an egress-guarded client).
package replay

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apiscout/apiscout/shared/inventory"
)

// Defaults of the replay options.
const (
	DefaultTimeout       = 30 * time.Second
	MaxTimeout           = 5 * time.Minute
	DefaultMaxRPSPerHost = 10
	MaxRPSPerHost        = 10000
	MaxRedirects         = 10
	// AllMethods in ReplayMethods replays every method, writes included.
	AllMethods = "ALL"
)

// DefaultMethods are the methods replayed unless the import says otherwise:
// the ones that should not change anything on the server.
var DefaultMethods = []string{"GET", "HEAD", "OPTIONS"}

// DefaultKeepStatuses keeps 2xx answers only, as the reference product does.
var DefaultKeepStatuses = []string{"2xx"}

// Normalize validates import options and fills in the defaults of the
// replay options, so a stored import shows what it does. Replay options
// other than allow_replay need allow_replay.
func Normalize(o *inventory.ImportOptions) error {
	if !o.AllowReplay {
		if len(o.ReplayMethods) > 0 || o.ReplayTimeout != 0 || o.FollowRedirects != nil || o.InsecureTLS ||
			o.MaxRPSPerHost != 0 || len(o.KeepStatuses) > 0 || o.DryRun || len(o.TargetOverride) > 0 {
			return fmt.Errorf("replay options need \"allow_replay\": true")
		}
		return nil
	}
	if len(o.ReplayMethods) == 0 {
		o.ReplayMethods = slices.Clone(DefaultMethods)
	}
	for i, m := range o.ReplayMethods {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" || strings.IndexFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			return fmt.Errorf("replay_methods: %q is not an HTTP method", o.ReplayMethods[i])
		}
		o.ReplayMethods[i] = m
	}
	if slices.Contains(o.ReplayMethods, AllMethods) && len(o.ReplayMethods) > 1 {
		return fmt.Errorf(`replay_methods: "all" stands alone`)
	}
	slices.Sort(o.ReplayMethods)
	o.ReplayMethods = slices.Compact(o.ReplayMethods)
	switch d := time.Duration(o.ReplayTimeout); {
	case d == 0:
		o.ReplayTimeout = inventory.Duration(DefaultTimeout)
	case d < time.Millisecond || d > MaxTimeout:
		return fmt.Errorf("replay_timeout: want 1ms to %s", MaxTimeout)
	}
	if o.FollowRedirects == nil {
		t := true
		o.FollowRedirects = &t
	}
	switch {
	case o.MaxRPSPerHost == 0:
		o.MaxRPSPerHost = DefaultMaxRPSPerHost
	case o.MaxRPSPerHost < 0 || o.MaxRPSPerHost > MaxRPSPerHost:
		return fmt.Errorf("max_rps_per_host: want 1 to %d", MaxRPSPerHost)
	}
	if len(o.KeepStatuses) == 0 {
		o.KeepStatuses = slices.Clone(DefaultKeepStatuses)
	}
	if _, err := ParseStatuses(o.KeepStatuses); err != nil {
		return err
	}
	if len(o.TargetOverride) > 0 {
		norm := make(map[string]string, len(o.TargetOverride))
		for from, to := range o.TargetOverride {
			f, err := origin(from)
			if err != nil {
				return fmt.Errorf("target_override: key %q: %w", from, err)
			}
			t, err := origin(to)
			if err != nil {
				return fmt.Errorf("target_override: %q: %w", to, err)
			}
			norm[f] = t
		}
		o.TargetOverride = norm
	}
	return nil
}

// origin normalises "scheme://host[:port]" (lower case, default ports
// dropped); anything more than an origin is an error.
func origin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("want an origin like https://api.example.com[:port]")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("want an origin only (no path, query or user)")
	}
	return originOf(u.Scheme, u.Hostname(), u.Port()), nil
}

func originOf(scheme, host, port string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

// Statuses is a set of kept response statuses.
type Statuses struct{ ranges [][2]int }

// ParseStatuses reads "2xx", "404" and "200-399" forms.
func ParseStatuses(list []string) (Statuses, error) {
	var s Statuses
	for _, item := range list {
		item = strings.ToLower(strings.TrimSpace(item))
		switch {
		case len(item) == 3 && item[1:] == "xx" && item[0] >= '1' && item[0] <= '5':
			c := int(item[0]-'0') * 100
			s.ranges = append(s.ranges, [2]int{c, c + 99})
		case strings.Contains(item, "-"):
			a, b, _ := strings.Cut(item, "-")
			lo, err1 := strconv.Atoi(a)
			hi, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || lo < 100 || hi > 599 || lo > hi {
				return s, fmt.Errorf("keep_statuses: %q is not a range like 200-399", item)
			}
			s.ranges = append(s.ranges, [2]int{lo, hi})
		default:
			c, err := strconv.Atoi(item)
			if err != nil || c < 100 || c > 599 {
				return s, fmt.Errorf("keep_statuses: %q is not a status, class (2xx) or range", item)
			}
			s.ranges = append(s.ranges, [2]int{c, c})
		}
	}
	return s, nil
}

// Contains reports whether code is kept.
func (s Statuses) Contains(code int) bool {
	for _, r := range s.ranges {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}

// MethodAllowed reports whether the options replay method.
func MethodAllowed(o inventory.ImportOptions, method string) bool {
	return slices.Contains(o.ReplayMethods, AllMethods) || slices.Contains(o.ReplayMethods, strings.ToUpper(method))
}
