package egress

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"sandbox/plan"
	"sandbox/profile"
)

func planRules(t *testing.T, entries ...string) []plan.EgressRule {
	t.Helper()
	var out []plan.EgressRule
	for _, e := range entries {
		r, msg := profile.ParseEgressRule(e)
		if msg != "" {
			t.Fatal(msg)
		}
		out = append(out, plan.EgressRule{Host: r.Host, Port: r.Port, At: plan.Origin(r.At)})
	}
	return out
}

// TestEgressPolicyDecides checks the allow-list rule by rule, with a
// fake resolver: a DNS answer in a private range is refused unless
// allow_private lists the name or the address.
func TestEgressPolicyDecides(t *testing.T) {
	dns := map[string][]string{
		"pypi.org":          {"151.101.0.223"},
		"api.github.com":    {"140.82.112.6"},
		"a.b.github.com":    {"140.82.112.7"},
		"evil.github.com":   {"10.0.0.5"},
		"six.github.com":    {"fd00::1", "2606:50c0::1"},
		"mapped.github.com": {"::ffff:127.0.0.1"},
		"meta.github.com":   {"169.254.169.254"},
		"cgnat.github.com":  {"100.64.1.1"},
		"dev.internal.org":  {"192.168.1.10"},
	}
	pol := &egressPolicy{
		allow:   planRules(t, "pypi.org:443", "*.github.com", "9.9.9.9:853", "dev.internal.org:8080", "10.1.2.3:22"),
		private: planRules(t, "dev.internal.org:8080", "10.1.2.3:22"),
		lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
			var out []netip.Addr
			for _, s := range dns[host] {
				out = append(out, netip.MustParseAddr(s))
			}
			if out == nil {
				return nil, errors.New("no such host")
			}
			return out, nil
		},
	}
	for _, c := range []struct {
		host string
		port int
		want string // address, or a part of the refusal
	}{
		{"pypi.org", 443, "151.101.0.223"},
		{"PyPI.org.", 443, "151.101.0.223"},
		{"pypi.org", 80, "not in network.allow"},
		{"api.github.com", 443, "140.82.112.6"},
		{"a.b.github.com", 80, "140.82.112.7"},
		{"api.github.com", 22, "not in network.allow"},
		{"github.com", 443, "not in network.allow"}, // *.github.com is not github.com
		{"notgithub.com", 443, "not in network.allow"},
		{"evil.github.com", 443, "resolves to 10.0.0.5"},
		{"six.github.com", 443, "2606:50c0::1"},
		{"mapped.github.com", 443, "resolves to 127.0.0.1"},
		{"meta.github.com", 443, "resolves to 169.254.169.254"},
		{"cgnat.github.com", 443, "resolves to 100.64.1.1"},
		{"dev.internal.org", 8080, "192.168.1.10"},
		{"9.9.9.9", 853, "9.9.9.9"},
		{"9.9.9.9", 443, "an IP address not listed"},
		{"151.101.0.223", 443, "an IP address not listed"},
		{"[::1]", 443, "an IP address not listed"},
		{"10.1.2.3", 22, "10.1.2.3"},
		{"none.github.com", 443, "does not resolve"},
	} {
		addrs, why := pol.decide(context.Background(), c.host, c.port)
		got := why
		if why == "" {
			got = addrs[0].String()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s:%d: got %q, want %q", c.host, c.port, got, c.want)
		}
	}
}
