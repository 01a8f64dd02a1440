// Package export writes a compiled launch plan in the terms of other
// sandboxing engines: an OCI runtime bundle (runc, crun), a bubblewrap
// argument vector and a systemd drop-in. Every format is generated from
// the launcher.Plan, never from the profile text, so that what runs there
// is what `sandbox` itself would have set up; whatever a format cannot say
// is reported as a Gap.
package export

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"sandbox/plan"
)

// Gap is one part of a plan that a format cannot express.
type Gap struct {
	// Key names the part in profile terms ("desktop.x11").
	Key string `json:"key"`
	// Format is "oci", "bwrap" or "systemd".
	Format string `json:"format"`
	// Text says what is lost or approximated.
	Text string `json:"text"`
	// Weakens is true when the exported sandbox is weaker than the
	// plan's (it exposes more); false when it only lacks a feature or is
	// stricter.
	Weakens bool `json:"weakens"`
	// At is the profile line responsible, when there is one.
	At plan.Origin `json:"at"`
}

func (g Gap) String() string {
	s := fmt.Sprintf("%s: %s", g.Key, g.Text)
	switch {
	case g.At.Line > 0:
		s += fmt.Sprintf(" (%s:%d)", g.At.File, g.At.Line)
	case g.At.File != "":
		s += " (" + g.At.File + ")"
	}
	if g.Weakens {
		s += " [weakens isolation]"
	}
	return s
}

// Gaps is a list of gaps.
type Gaps []Gap

// Weakening returns the gaps that weaken isolation.
func (gs Gaps) Weakening() Gaps {
	var out Gaps
	for _, g := range gs {
		if g.Weakens {
			out = append(out, g)
		}
	}
	return out
}

// Print writes one gap per line, prefixed as a launcher message.
func (gs Gaps) Print(w io.Writer) {
	for _, g := range gs {
		fmt.Fprintf(w, "sandbox: export %s: gap: %s\n", g.Format, g)
	}
}

// gapper collects gaps of one format, each key once.
type gapper struct {
	format string
	gaps   Gaps
	seen   map[string]bool
}

func (g *gapper) add(key string, at plan.Origin, weakens bool, format string, args ...any) {
	if g.seen == nil {
		g.seen = map[string]bool{}
	}
	text := fmt.Sprintf(format, args...)
	if g.seen[key+"\x00"+text] {
		return
	}
	g.seen[key+"\x00"+text] = true
	g.gaps = append(g.gaps, Gap{Key: key, Format: g.format, Text: text, Weakens: weakens, At: at})
}

// planGaps are the parts of a plan no exported format carries: the
// services the launcher itself runs beside the sandbox.
func planGaps(pl *plan.Plan, g *gapper) {
	if pl.DBusProxy != nil {
		for _, b := range pl.DBusProxy.Buses {
			g.add("desktop.dbus", b.At, false, "the filtering D-Bus proxy for the %s bus is run by the launcher: not expressible in %s, the bus socket is left out", b.Bus, g.format)
		}
	}
	if pl.PulseProxy != nil {
		g.add("desktop.pulseaudio", pl.PulseProxy.At, false, "the sound filter is run by the launcher: not expressible in %s, the sound socket is left out", g.format)
	}
	if pl.NAT != nil {
		g.add("network.mode", pl.NAT.At, false, "the %s network helper is run by the launcher: not expressible in %s, the network namespace has only loopback", pl.NAT.Backend, g.format)
	}
	if len(pl.PassFDs) > 0 {
		g.add("process.pass_fds", pl.PassFDsAt[pl.PassFDs[0]], false, "descriptors passed from the caller: not expressible in %s", g.format)
	}
	for _, w := range pl.Warnings {
		g.add(w.Key, plan.Origin{File: w.File, Line: w.Line, Col: w.Col}, false, "left out of the plan on this machine: %s", w.Msg)
	}
}

// capNames returns capability names in OCI spelling ("CAP_NET_RAW").
func capNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.ToUpper(n)
		if !strings.HasPrefix(n, "CAP_") {
			n = "CAP_" + n
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// steps returns the plan's steps of type T, in order.
func steps[T plan.Step](pl *plan.Plan) []T {
	var out []T
	for _, s := range pl.Steps {
		if t, ok := s.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
