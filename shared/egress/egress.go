// Package egress decides which network targets replayed requests may reach
// and enforces it when connections are made. It is apiscout's SSRF guard.
//
// Two modes:
//   - public (default): any target except loopback, private (RFC 1918, ULA),
//     link-local (cloud metadata included), CGNAT, multicast, unspecified and
//     other reserved addresses. The check runs on every resolved IP at dial
//     time, so DNS rebinding and redirects cannot get around it.
//   - allowlist (strict): only allowlisted IP ranges and host names. Any
//     other target is refused before any DNS lookup is made.
//
// In both modes the allowlist (CIDRs and host names) opens what an operator
// trusts.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Modes.
const (
	ModePublic    = "public"
	ModeAllowlist = "allowlist"
)

// ErrBlocked is wrapped by every refusal.
var ErrBlocked = errors.New("blocked target")

// Policy is an egress policy. The zero value is public mode with no
// allowlist.
type Policy struct {
	Mode       string
	AllowCIDRs []netip.Prefix
	// AllowHosts are host names (lower case) allowed in any mode.
	AllowHosts []string
}

// ParsePolicy reads a mode and comma-separated allowlists (CIDRs or single
// IPs, and host names).
func ParsePolicy(mode, cidrs, hosts string) (Policy, error) {
	p := Policy{Mode: strings.ToLower(strings.TrimSpace(mode))}
	if p.Mode == "" {
		p.Mode = ModePublic
	}
	if p.Mode != ModePublic && p.Mode != ModeAllowlist {
		return p, fmt.Errorf("egress mode must be %q or %q, got %q", ModePublic, ModeAllowlist, mode)
	}
	for _, c := range splitList(cidrs) {
		if !strings.Contains(c, "/") {
			a, err := netip.ParseAddr(c)
			if err != nil {
				return p, fmt.Errorf("egress allowlist: %q is not an IP or CIDR", c)
			}
			p.AllowCIDRs = append(p.AllowCIDRs, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(c)
		if err != nil {
			return p, fmt.Errorf("egress allowlist: %q is not an IP or CIDR", c)
		}
		p.AllowCIDRs = append(p.AllowCIDRs, pr.Masked())
	}
	for _, h := range splitList(hosts) {
		p.AllowHosts = append(p.AllowHosts, strings.ToLower(h))
	}
	return p, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// blockedRanges are never contacted in public mode unless allowlisted.
var blockedRanges = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", unspecified
		"10.0.0.0/8",      // RFC 1918
		"100.64.0.0/10",   // CGNAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata (169.254.169.254)
		"172.16.0.0/12",   // RFC 1918
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // TEST-NET-1
		"192.168.0.0/16",  // RFC 1918
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // TEST-NET-2
		"203.0.113.0/24",  // TEST-NET-3
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"::ffff:0:0/96",   // IPv4-mapped (checked again as IPv4)
		"64:ff9b::/96",    // NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"fc00::/7",        // ULA (includes fd00:ec2::254, AWS metadata)
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// hostAllowed reports whether host is an allowlisted name.
func (p Policy) hostAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range p.AllowHosts {
		if h == host {
			return true
		}
	}
	return false
}

func (p Policy) ipAllowlisted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pr := range p.AllowCIDRs {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// CheckIP reports whether a resolved address may be contacted.
func (p Policy) CheckIP(a netip.Addr) error {
	a = a.Unmap()
	if p.ipAllowlisted(a) {
		return nil
	}
	if p.Mode == ModeAllowlist {
		return fmt.Errorf("%w: %s is not in the egress allowlist", ErrBlocked, a)
	}
	for _, pr := range blockedRanges {
		if pr.Contains(a) {
			return fmt.Errorf("%w: %s is a non-public address (%s)", ErrBlocked, a, pr)
		}
	}
	return nil
}

// CheckHost is the check before any lookup: an IP literal is checked as an
// address; in allowlist mode a host name must be allowlisted.
func (p Policy) CheckHost(host string) error {
	host = strings.Trim(host, "[]")
	if a, err := netip.ParseAddr(host); err == nil {
		return p.CheckIP(a)
	}
	if host == "" {
		return fmt.Errorf("%w: empty host", ErrBlocked)
	}
	if p.Mode == ModeAllowlist && !p.hostAllowed(host) {
		return fmt.Errorf("%w: host %s is not in the egress allowlist", ErrBlocked, host)
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		if !p.hostAllowed(host) {
			return fmt.Errorf("%w: %s is loopback", ErrBlocked, host)
		}
	}
	return nil
}

// Resolver looks up host names (net.DefaultResolver in production).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer makes connections only to addresses the policy allows. Every
// resolved address is checked, and the connection goes to the checked
// address, never to a second lookup's answer.
type Dialer struct {
	Policy   Policy
	Resolver Resolver
	Dialer   *net.Dialer
	// Passthrough lists host:port addresses dialled without a check (the
	// operator's proxy).
	Passthrough []string
}

// DialContext implements the signature of http.Transport.DialContext.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	nd := d.Dialer
	if nd == nil {
		nd = &net.Dialer{}
	}
	for _, pt := range d.Passthrough {
		if pt == addr {
			return nd.DialContext(ctx, network, addr)
		}
	}
	if err := d.Policy.CheckHost(host); err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		r := d.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		addrs, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, a := range addrs {
		if err := d.Policy.CheckIP(a); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil || errors.Is(firstErr, ErrBlocked) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("no address for %s", host)
	}
	return nil, firstErr
}
