package compile

import (
	"fmt"
	"sort"
	"syscall"

	"sandbox/egress"
	"sandbox/plan"
	"sandbox/profile"
)

// networkSteps compiles [network]. Mode "host" shares the host's network
// namespace and needs nothing. "none" and "nat" get a namespace of their
// own, whose loopback interface the kernel creates down: a LoopbackUp step
// brings it up, so that programs talking to themselves over 127.0.0.1
// work. "nat" also gets a helper (pasta or slirp4netns) that the launcher
// attaches to the namespace after clone; see services_nat.go.
func (c *compiler) networkSteps(pl *plan.Plan) []plan.Step {
	if !c.p.Namespaces.Net {
		return nil
	}
	nw := c.p.Network
	steps := []plan.Step{plan.LoopbackUp{From: plan.From{At: plan.Origin(c.origin("network.mode"))}}}
	if nw.Mode == profile.NetworkFiltered {
		// The loopback step also makes the proxy's listening socket
		// (child_net.c): the only way out of this namespace.
		pl.Egress = &plan.Egress{
			Port:         egress.Port,
			Allow:        planEgressRules(append([]profile.EgressRule(nil), nw.Allow...)),
			AllowPrivate: planEgressRules(append([]profile.EgressRule(nil), nw.AllowPrivate...)),
			Hosts:        planHostMappings(append([]profile.HostMapping(nil), nw.Hosts...)),
			At:           plan.Origin(c.origin("network.mode")),
		}
		return steps
	}
	if nw.Mode != profile.NetworkNAT {
		return steps
	}
	backend, prog, ok := c.natBackend()
	if !ok {
		return steps
	}
	pl.NAT = &plan.NAT{
		Backend:           backend,
		Program:           prog,
		Forwards:          planForwards(append([]profile.PortForward(nil), nw.Forwards...)),
		AllowHostLoopback: nw.AllowHostLoopback,
		At:                plan.Origin(c.origin("network.mode")),
	}
	return steps
}

// natBackend picks the NAT helper network.backend asks for and finds it on
// this machine: auto takes pasta (faster, and it forwards ports without an
// API socket) when installed, else slirp4netns.
func (c *compiler) natBackend() (backend, prog string, ok bool) {
	want := c.p.Network.Backend
	at := c.origin("network.backend")
	packages := map[string]string{profile.BackendPasta: "passt", profile.BackendSlirp4netns: "slirp4netns"}
	switch want {
	case profile.BackendPasta, profile.BackendSlirp4netns:
		if p, err := c.h.LookPath(want); err == nil {
			return want, p, true
		}
		other := profile.BackendSlirp4netns
		if want == other {
			other = profile.BackendPasta
		}
		c.hostProblem(at, "network.backend", "%s is not installed; install it (sudo apt-get install %s), or set backend = %q",
			want, packages[want], other)
		return "", "", false
	}
	for _, b := range []string{profile.BackendPasta, profile.BackendSlirp4netns} {
		if p, err := c.h.LookPath(b); err == nil {
			return b, p, true
		}
	}
	c.hostProblem(c.origin("network.mode"), "network.mode",
		`mode "nat" needs pasta or slirp4netns and neither is installed; install one (sudo apt-get install passt, or sudo apt-get install slirp4netns), or set mode = "none"`)
	return "", "", false
}

// hostProblem reports something this machine lacks (a socket, a bus, a
// program) rather than a mistake in the profile: an error, or with
// Host.Lenient a warning, and the part it concerns is left out.
func (c *compiler) hostProblem(at profile.Origin, key, format string, args ...any) {
	if c.h.Lenient {
		c.hostProblemWarn(at, key, format, args...)
		return
	}
	c.fail(at, key, format, args...)
}

// hostProblemWarn reports a fact of this machine as a warning whatever
// the mode; Survey compiles use it for what a launch would refuse.
func (c *compiler) hostProblemWarn(at profile.Origin, key, format string, args ...any) {
	c.warns = append(c.warns, plan.Warning{Problem: warningOf(&profile.Error{File: at.File, Line: at.Line, Col: at.Col, Key: key,
		Msg: fmt.Sprintf(format, args...)})})
}

// hostAbsent is hostProblem for a part of the desktop session that is not
// running at all (Warning.Optional).
func (c *compiler) hostAbsent(at profile.Origin, key, format string, args ...any) {
	if !c.h.Lenient {
		c.fail(at, key, format, args...)
		return
	}
	c.warns = append(c.warns, plan.Warning{Optional: true, Problem: warningOf(&profile.Error{File: at.File, Line: at.Line, Col: at.Col, Key: key,
		Msg: fmt.Sprintf(format, args...)})})
}

// warnings are the lenient compile's warnings in profile order: files in
// the order they were first met, then by line.
func (c *compiler) warnings() []plan.Warning {
	rank := map[string]int{}
	for _, w := range c.warns {
		if _, ok := rank[w.File]; !ok {
			rank[w.File] = len(rank)
		}
	}
	sort.SliceStable(c.warns, func(i, j int) bool {
		a, b := c.warns[i], c.warns[j]
		if rank[a.File] != rank[b.File] {
			return rank[a.File] < rank[b.File]
		}
		return a.Line < b.Line
	})
	return c.warns
}

// DescribeNetwork says in words what network the plan gives the sandbox,
// one sentence a line, for explain.
func DescribeNetwork(p *plan.Plan) []string {
	if p.CloneFlags&syscall.CLONE_NEWNET == 0 {
		return []string{"mode host: the sandbox shares the host's network: every interface, services listening on the host's 127.0.0.1, and abstract unix sockets (@name, which X11 and D-Bus may listen on) are all reachable"}
	}
	if p.Egress != nil {
		return egress.Describe(p.Egress)
	}
	n := p.NAT
	if n == nil {
		return []string{"mode none: a network namespace of its own with only the loopback interface (lo), brought up; nothing outside the sandbox is reachable"}
	}
	out := []string{fmt.Sprintf("mode nat, through %s (%s): a network namespace of its own whose connections leave through user-mode NAT on the host; the host's interfaces are not visible inside", n.Backend, n.Program)}
	// What each backend reaches is measured by the integration test
	// TestNetworkNATHostAddresses and tabled in docs/profile-format.md.
	slirp := n.Backend == profile.BackendSlirp4netns
	switch {
	case n.AllowHostLoopback && slirp:
		out = append(out, "LOOSENED: services listening on the host's 127.0.0.1 are reachable inside through 10.0.2.2 (allow_host_loopback = true)")
	case n.AllowHostLoopback:
		out = append(out, "LOOSENED: services listening on the host's 127.0.0.1 and ::1 are reachable inside through the IPv4 and IPv6 gateways' addresses (allow_host_loopback = true)")
	default:
		out = append(out, "services listening only on the host's 127.0.0.1 or ::1 are not reachable (allow_host_loopback = false)")
	}
	if slirp {
		out = append(out, "the host's other IPv4 addresses are reachable as on any network (services listening on 0.0.0.0 among them); there is no IPv6")
	} else {
		out = append(out, "the host's other addresses are reachable as on any network (services listening on 0.0.0.0 or :: among them), but for those of its default-route interface, which the sandbox takes as its own")
	}
	listen := ""
	if n.Backend == profile.BackendSlirp4netns {
		// slirp4netns delivers to the tap address (10.0.2.100), pasta
		// to the namespace's loopback as well.
		listen = " (a server there must listen on 0.0.0.0, not only 127.0.0.1)"
	}
	for _, f := range n.Forwards {
		out = append(out, fmt.Sprintf("the host's 127.0.0.1:%d/%s reaches port %d inside%s (from %s:%d)",
			f.HostPort, f.Proto, f.SandboxPort, listen, f.At.File, f.At.Line))
	}
	return out
}
