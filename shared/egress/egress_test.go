package egress

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckIP(t *testing.T) {
	t.Parallel()
	public, err := ParsePolicy("public", "", "")
	require.NoError(t, err)
	opened, err := ParsePolicy("public", "127.0.0.1, 10.1.0.0/16", "")
	require.NoError(t, err)
	strict, err := ParsePolicy("allowlist", "127.0.0.0/8", "api.internal")
	require.NoError(t, err)
	tests := []struct {
		ip                       string
		public, opened, strictOK bool
	}{
		{"8.8.8.8", true, true, false},
		{"2606:4700::1111", true, true, false},
		{"127.0.0.1", false, true, true},
		{"127.0.0.2", false, false, true},
		{"10.1.2.3", false, true, false},
		{"10.2.0.1", false, false, false},
		{"172.16.0.1", false, false, false},
		{"192.168.1.1", false, false, false},
		{"169.254.169.254", false, false, false},
		{"100.64.0.1", false, false, false},
		{"0.0.0.0", false, false, false},
		{"224.0.0.1", false, false, false},
		{"::1", false, false, false},
		{"::ffff:127.0.0.1", false, true, true},
		{"::ffff:169.254.169.254", false, false, false},
		{"fd00:ec2::254", false, false, false},
		{"fe80::1", false, false, false},
		{"ff02::1", false, false, false},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.ip)
		require.Equal(t, tt.public, public.CheckIP(a) == nil, "public %s", tt.ip)
		require.Equal(t, tt.opened, opened.CheckIP(a) == nil, "opened %s", tt.ip)
		require.Equal(t, tt.strictOK, strict.CheckIP(a) == nil, "strict %s", tt.ip)
		if err := public.CheckIP(a); err != nil {
			require.ErrorIs(t, err, ErrBlocked)
		}
	}
}

func TestCheckHost(t *testing.T) {
	t.Parallel()
	strict, err := ParsePolicy("allowlist", "127.0.0.1", "api.internal")
	require.NoError(t, err)
	public, err := ParsePolicy("", "", "")
	require.NoError(t, err)
	require.NoError(t, strict.CheckHost("127.0.0.1"))
	require.NoError(t, strict.CheckHost("API.internal"))
	require.ErrorIs(t, strict.CheckHost("api.stripe.com"), ErrBlocked)
	require.ErrorIs(t, strict.CheckHost("[::1]"), ErrBlocked)
	require.NoError(t, public.CheckHost("api.stripe.com"), "public mode checks names at dial time")
	require.ErrorIs(t, public.CheckHost("localhost"), ErrBlocked)
	require.ErrorIs(t, public.CheckHost(""), ErrBlocked)

	_, err = ParsePolicy("open", "", "")
	require.Error(t, err)
	_, err = ParsePolicy("public", "not-an-ip", "")
	require.Error(t, err)
}

// fakeResolver answers from a map and records lookups.
type fakeResolver struct {
	answers map[string][]netip.Addr
	asked   []string
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.asked = append(f.asked, host)
	if a, ok := f.answers[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestDialer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	res := &fakeResolver{answers: map[string][]netip.Addr{
		"rebind.example":   {netip.MustParseAddr("127.0.0.1")},
		"metadata.example": {netip.MustParseAddr("169.254.169.254")},
	}}
	public := &Dialer{Policy: Policy{Mode: ModePublic}, Resolver: res}
	_, err = public.DialContext(context.Background(), "tcp", "rebind.example:"+port)
	require.ErrorIs(t, err, ErrBlocked, "a name resolving to loopback is refused at dial time")
	_, err = public.DialContext(context.Background(), "tcp", "metadata.example:80")
	require.ErrorIs(t, err, ErrBlocked)

	opened := &Dialer{Policy: Policy{Mode: ModePublic, AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, Resolver: res}
	c, err := opened.DialContext(context.Background(), "tcp", "rebind.example:"+port)
	require.NoError(t, err)
	c.Close()

	strict := &Dialer{Policy: Policy{Mode: ModeAllowlist, AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, Resolver: res}
	res.asked = nil
	_, err = strict.DialContext(context.Background(), "tcp", "api.stripe.com:443")
	require.ErrorIs(t, err, ErrBlocked)
	require.Empty(t, res.asked, "strict mode refuses before any DNS lookup")
	c, err = strict.DialContext(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	c.Close()
}
