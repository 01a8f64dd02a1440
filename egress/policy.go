package egress

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"sandbox/plan"
)

// Port is where a filtered sandbox finds the proxy: 127.0.0.1:3128
// inside its own network namespace.
const Port = 3128

// Env are the variables that point the payload at the proxy.
// NO_PROXY keeps the sandbox's own loopback direct: the proxy would refuse
// it anyway, and programs talking to themselves must keep working.
func Env(port int) map[string]string {
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	env := map[string]string{}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"} {
		env[k] = url
		env[strings.ToLower(k)] = url
	}
	env["NO_PROXY"] = "localhost,127.0.0.1,::1"
	env["no_proxy"] = env["NO_PROXY"]
	return env
}

// egressPolicy decides, for the proxy, which addresses a request for
// host:port may reach.
type egressPolicy struct {
	allow, private []plan.EgressRule
	hosts          map[string]netip.Addr
	lookup         func(ctx context.Context, host string) ([]netip.Addr, error)
}

func newEgressPolicy(e *plan.Egress) *egressPolicy {
	pol := &egressPolicy{allow: e.Allow, private: e.AllowPrivate, hosts: map[string]netip.Addr{}}
	for _, h := range e.Hosts {
		if a, err := netip.ParseAddr(h.Addr); err == nil {
			pol.hosts[h.Name] = a
		}
	}
	pol.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	return pol
}

// egressRuleMatches reports whether rule r allows host (a canonical name
// or address) at port. A wildcard matches names below its suffix at any
// depth, never the suffix itself nor an address.
func egressRuleMatches(r plan.EgressRule, host string, port int) bool {
	if r.Port == 0 {
		if port != 80 && port != 443 {
			return false
		}
	} else if r.Port != port {
		return false
	}
	if suffix, ok := strings.CutPrefix(r.Host, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return r.Host == host
}

func egressMatchAny(rules []plan.EgressRule, host string, port int) bool {
	for _, r := range rules {
		if egressRuleMatches(r, host, port) {
			return true
		}
	}
	return false
}

// egressCanonicalHost lower-cases a name and drops a trailing dot and
// IPv6 brackets; an address comes back in its canonical form, and
// isIP says which it is.
func egressCanonicalHost(host string) (string, netip.Addr, bool) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		return a.String(), a, true
	}
	return strings.TrimSuffix(strings.ToLower(host), "."), netip.Addr{}, false
}

// egressCGNAT (100.64.0.0/10) and egressThisNet (0.0.0.0/8) are built
// where they are used rather than parsed at every start.
func egressCGNAT() netip.Prefix   { return netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64}), 10) }
func egressThisNet() netip.Prefix { return netip.PrefixFrom(netip.AddrFrom4([4]byte{}), 8) }

// egressInternal reports whether a is an address of the host itself or of
// its local networks, which a DNS answer must not make the sandbox
// reach: loopback, link-local, private (RFC 1918, ULA fc00::/7, carrier
// NAT 100.64/10), unspecified, "this network" 0/8, multicast, broadcast.
func egressInternal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsPrivate() || a.IsUnspecified() ||
		egressCGNAT().Contains(a) || egressThisNet().Contains(a) ||
		a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// decide returns the addresses a request for host:port may connect to,
// or why it is refused. The proxy connects to these addresses and never
// resolves the name again, so a second DNS answer cannot differ from the
// one checked (DNS rebinding).
func (pol *egressPolicy) decide(ctx context.Context, rawHost string, port int) ([]netip.Addr, string) {
	if port < 1 || port > 65535 {
		return nil, "not a valid port"
	}
	host, ip, isIP := egressCanonicalHost(rawHost)
	if isIP {
		if !egressMatchAny(pol.allow, host, port) {
			return nil, "an IP address not listed in network.allow (a name's address is never allowed by its name)"
		}
		if egressInternal(ip) && !egressMatchAny(pol.private, host, port) {
			return nil, fmt.Sprintf("%s is a loopback, link-local or private address not listed in network.allow_private", host)
		}
		return []netip.Addr{ip}, ""
	}
	if !egressMatchAny(pol.allow, host, port) {
		return nil, "not in network.allow"
	}
	var addrs []netip.Addr
	if a, ok := pol.hosts[host]; ok {
		addrs = []netip.Addr{a}
	} else {
		got, err := pol.lookup(ctx, host)
		if err != nil {
			return nil, fmt.Sprintf("does not resolve (%v)", err)
		}
		addrs = got
	}
	var ok []netip.Addr
	var internal []string
	for _, a := range addrs {
		a = a.Unmap()
		if egressInternal(a) && !egressMatchAny(pol.private, host, port) && !egressMatchAny(pol.private, a.String(), port) {
			internal = append(internal, a.String())
			continue
		}
		ok = append(ok, a)
	}
	if len(ok) == 0 {
		if len(internal) > 0 {
			return nil, fmt.Sprintf("resolves to %s, a loopback, link-local or private address not listed in network.allow_private", strings.Join(internal, ", "))
		}
		return nil, "resolves to no address"
	}
	return ok, ""
}
