package profile

import (
	"fmt"
	"strings"
)

// resolveNetwork makes network.mode and namespaces.net agree when a
// profile writes only one of them: mode = "host" is namespaces.net =
// false, and namespaces.net = false alone (the older spelling) means mode
// "host". The derived value's origin is the line that decided it, so
// `sandbox explain` points at what the user wrote. When both are written
// and disagree, validate reports it and no profile is returned.
func resolveNetwork(p *Profile, m *merged) {
	mode, modeSet := m.scalars["network.mode"]
	net, netSet := m.scalars["namespaces.net"]
	switch {
	case modeSet && !netSet:
		p.Namespaces.Net = p.Network.Mode != NetworkHost
		p.Origins["namespaces.net"] = mode.at
	case netSet && !modeSet:
		if !p.Namespaces.Net {
			p.Network.Mode = NetworkHost
		}
		p.Origins["network.mode"] = net.at
	}
}

// networkWritten returns how network.mode and namespaces.net were set,
// and whether the checks that depend on the mode can run: not when either
// value is bad (its own error says enough) or when the two disagree
// (network-mode-agrees says so).
func (v *validator) networkWritten() (mode, net scalar, modeSet, netSet, ok bool) {
	mode, modeSet = v.m.scalars["network.mode"]
	net, netSet = v.m.scalars["namespaces.net"]
	if v.m.bad["network.mode"] || v.m.bad["namespaces.net"] {
		return mode, net, modeSet, netSet, false
	}
	agree := !modeSet || !netSet || (v.p.Network.Mode == NetworkHost) != v.p.Namespaces.Net
	return mode, net, modeSet, netSet, agree
}

func (v *validator) networkModeAgrees() {
	nw := v.p.Network
	mode, net, modeSet, netSet, ok := v.networkWritten()
	if ok || !modeSet || !netSet || v.m.bad["network.mode"] || v.m.bad["namespaces.net"] {
		return
	}
	netText := originString(net.at, mode.at.File)
	if nw.Mode == NetworkHost {
		v.errAt(mode.at, "network.mode", `mode "host" shares the host network, but namespaces.net = true at %s asks for a new one; remove namespaces.net (network.mode says it all), or choose mode "none" or "nat"`, netText)
	} else {
		v.errAt(mode.at, "network.mode", `mode %s needs a new network namespace, but namespaces.net = false at %s shares the host's; remove namespaces.net (network.mode says it all), or write mode = "host"`, quote(nw.Mode), netText)
	}
}

// modeWhy says why the mode is what it is, for a message at a line of
// the file from.
func (v *validator) modeWhy(from string) string {
	nw := v.p.Network
	mode, net, modeSet, netSet, _ := v.networkWritten()
	switch {
	case modeSet:
		return fmt.Sprintf("network.mode is %s at %s", quote(nw.Mode), originString(mode.at, from))
	case netSet:
		return fmt.Sprintf("network.mode is %s because namespaces.net = false at %s", quote(nw.Mode), originString(net.at, from))
	}
	return fmt.Sprintf("network.mode is %s by default", quote(nw.Mode))
}

func (v *validator) filteredOnlyKeys() {
	if _, _, _, _, ok := v.networkWritten(); !ok || v.p.Network.Mode == NetworkFiltered {
		return
	}
	// An allow-list under another mode would read as a filter that is
	// not there.
	for _, key := range []string{"network.allow", "network.allow_private", "network.hosts"} {
		if l := v.m.lists[key]; len(l) > 0 {
			v.errAt(l[0].at, l[0].path, `%s applies only with mode = "filtered" (%s); remove it, or set mode = "filtered"`,
				strings.TrimPrefix(key, "network."), v.modeWhy(l[0].at.File))
		}
	}
}

func (v *validator) natOnlyKeys() {
	nw := v.p.Network
	if _, _, _, _, ok := v.networkWritten(); !ok || nw.Mode == NetworkNAT {
		return
	}
	// Defaults written out are accepted in any mode, so that a layer can
	// neutralise what a NAT base set.
	if s, ok := v.m.scalars["network.backend"]; ok && nw.Backend != BackendAuto {
		v.errAt(s.at, "network.backend", `backend applies only with mode = "nat" (%s); remove it, or set mode = "nat"`, v.modeWhy(s.at.File))
	}
	if s, ok := v.m.scalars["network.allow_host_loopback"]; ok && nw.AllowHostLoopback {
		v.errAt(s.at, "network.allow_host_loopback", `allow_host_loopback applies only with mode = "nat" (%s); remove it, or set mode = "nat"`, v.modeWhy(s.at.File))
	}
	if fw := v.m.lists["network.forward"]; len(fw) > 0 {
		v.errAt(fw[0].at, fw[0].path, `forward applies only with mode = "nat" (%s); remove it, or set mode = "nat"`, v.modeWhy(fw[0].at.File))
	}
}

func (v *validator) forwardOnce() {
	if _, _, _, _, ok := v.networkWritten(); ok {
		v.forwardConflicts()
	}
}

// forwardConflicts reports two forwards of one host port and protocol
// that came from different layers; the decoder already refuses them
// within one file.
func (v *validator) forwardConflicts() {
	first := map[string]PortForward{}
	for _, e := range v.m.lists["network.forward"] {
		f := e.val.(PortForward)
		prev, dup := first[hostPortKey(f)]
		if !dup {
			first[hostPortKey(f)] = f
			continue
		}
		v.errAt(e.at, e.path, "%s; to replace the inherited one, add merge.remove.\"network.forward\" = [%s]",
			duplicateForwardMessage(prev, f), quote(forwardKey(prev)))
	}
}
