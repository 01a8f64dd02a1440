package review

import (
	"fmt"
	"sort"
	"strings"
	"syscall"

	"sandbox/plan"
)

// Direction says what a change does to isolation.
type Direction string

const (
	Tightening Direction = "tightening"
	Loosening  Direction = "loosening"
	// Neutral changes neither exposes nor hides anything of the host (a
	// tmpfs moved, a variable's value changed).
	Neutral Direction = "neutral"
)

// Change is one difference between two plans.
type Change struct {
	Area      string    `json:"area"` // namespaces, ids, mount, capabilities, seccomp, env, network, desktop, dbus, process
	Direction Direction `json:"direction"`
	Text      string    `json:"text"`
	// At is the line in B responsible (or in A, for what B dropped).
	At plan.Origin `json:"at"`
}

// Loosens reports whether any change loosens.
func Loosens(cs []Change) bool {
	for _, c := range cs {
		if c.Direction == Loosening {
			return true
		}
	}
	return false
}

// Diff lists how plan b differs from plan a.
func Diff(a, b *plan.Plan) ([]Change, error) {
	var out []Change
	add := func(area string, d Direction, at plan.Origin, format string, args ...any) {
		out = append(out, Change{Area: area, Direction: d, Text: fmt.Sprintf(format, args...), At: at})
	}
	diffNamespaces(a, b, add)
	diffIDs(a, b, add)
	diffMounts(a, b, add)
	diffCaps(a, b, add)
	if err := diffSeccomp(a, b, add); err != nil {
		return nil, err
	}
	diffEnv(a, b, add)
	diffServices(a, b, add)
	if out == nil {
		out = []Change{}
	}
	return out, nil
}

type adder func(area string, d Direction, at plan.Origin, format string, args ...any)

var nsNames = []struct {
	flag uintptr
	name string
}{
	{syscall.CLONE_NEWUSER, "user"}, {syscall.CLONE_NEWNS, "mount"}, {syscall.CLONE_NEWPID, "pid"},
	{syscall.CLONE_NEWNET, "net"}, {syscall.CLONE_NEWIPC, "ipc"}, {syscall.CLONE_NEWUTS, "uts"},
	{syscall.CLONE_NEWCGROUP, "cgroup"},
}

func diffNamespaces(a, b *plan.Plan, add adder) {
	for _, n := range nsNames {
		ina, inb := a.CloneFlags&n.flag != 0, b.CloneFlags&n.flag != 0
		switch {
		case ina && !inb:
			add("namespaces", Loosening, plan.Origin{}, "the %s namespace is now shared with the host (namespaces.%s)", n.name, n.name)
		case !ina && inb:
			add("namespaces", Tightening, plan.Origin{}, "the %s namespace is now the sandbox's own", n.name)
		}
	}
	if a.TimeNamespace != b.TimeNamespace {
		d := Tightening
		if a.TimeNamespace {
			d = Loosening
		}
		add("namespaces", d, plan.Origin{}, "time namespace: %v -> %v", a.TimeNamespace, b.TimeNamespace)
	}
}

func diffIDs(a, b *plan.Plan, add adder) {
	ha, ga, _ := a.HostIDs()
	hb, gb, _ := b.HostIDs()
	at := plan.Origin{}
	if b.IDs != nil {
		at = b.IDs.At
	}
	if ha != hb || ga != gb {
		d := Neutral
		switch {
		case hb == 0 && ha != 0:
			d = Loosening
		case ha == 0 && hb != 0:
			d = Tightening
		}
		add("ids", d, at, "the payload runs as host uid %d gid %d (was %d %d)", hb, gb, ha, ga)
	}
	if a.UID != b.UID || a.GID != b.GID {
		add("ids", Neutral, at, "the payload's ids inside: %d:%d (was %d:%d)", b.UID, b.GID, a.UID, a.GID)
	}
}

// mountKey describes what a mount step puts at its target.
type mountInfo struct {
	kind, source string
	ro, devices  bool
	at           plan.Origin
}

func mounts(p *plan.Plan) map[string]mountInfo {
	m := map[string]mountInfo{}
	for _, st := range p.Steps {
		switch st := st.(type) {
		case plan.BindMount:
			m[st.Target] = mountInfo{kind: "bind", source: st.Source, ro: st.ReadOnly, devices: st.Devices, at: st.At}
		case plan.Tmpfs:
			m[st.Target] = mountInfo{kind: "tmpfs", at: st.At}
		case plan.Proc:
			m[st.Target] = mountInfo{kind: "proc", at: st.At}
		case plan.Dev:
			m[st.Target] = mountInfo{kind: "dev", at: st.At}
		case plan.Mqueue:
			m[st.Target] = mountInfo{kind: "mqueue", at: st.At}
		case plan.Overlay:
			m[st.Target] = mountInfo{kind: "overlay", source: strings.Join(st.Lower, ":"), ro: st.Upper == "", at: st.At}
		case plan.DBusSocket:
			m[st.Target] = mountInfo{kind: "dbus-socket", source: st.Bus, at: st.At}
		case plan.PulseSocket:
			m[st.Target] = mountInfo{kind: "pulse-socket", at: st.At}
		}
	}
	return m
}

func exposes(m mountInfo) bool {
	return m.kind == "bind" || m.kind == "overlay" || strings.HasSuffix(m.kind, "-socket")
}

func describeMount(m mountInfo) string {
	s := m.kind
	if m.source != "" {
		s += " of " + m.source
	}
	if exposes(m) {
		if m.ro {
			s += ", read-only"
		} else {
			s += ", writable"
		}
	}
	if m.devices {
		s += ", devices usable"
	}
	return s
}

func diffMounts(a, b *plan.Plan, add adder) {
	ma, mb := mounts(a), mounts(b)
	for _, t := range sortedTargets(ma, mb) {
		x, inA := ma[t]
		y, inB := mb[t]
		switch {
		case inA && !inB:
			d := Neutral
			if exposes(x) {
				d = Tightening
			}
			add("mount", d, x.at, "%s: no longer mounted (was %s)", t, describeMount(x))
		case !inA && inB:
			d := Neutral
			if exposes(y) {
				d = Loosening
			}
			add("mount", d, y.at, "%s: %s", t, describeMount(y))
		case x != y && (x.kind != y.kind || x.source != y.source || x.ro != y.ro || x.devices != y.devices):
			d := Neutral
			switch {
			case exposes(y) && (!exposes(x) || x.source != y.source):
				d = Loosening
			case exposes(x) && !exposes(y):
				d = Tightening
			case (x.ro && !y.ro) || (!x.devices && y.devices):
				d = Loosening
			case (!x.ro && y.ro) || (x.devices && !y.devices):
				d = Tightening
			}
			add("mount", d, y.at, "%s: %s (was %s)", t, describeMount(y), describeMount(x))
		}
	}
}

func sortedTargets(a, b map[string]mountInfo) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]mountInfo{a, b} {
		for t := range m {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

func capsOf(p *plan.Plan) (map[string]bool, plan.Origin) {
	m := map[string]bool{}
	for _, st := range p.Steps {
		if c, ok := st.(plan.Capabilities); ok {
			for _, n := range c.Names {
				m[strings.ToLower(n)] = true
			}
			return m, c.At
		}
	}
	return nil, plan.Origin{} // no capability step: nothing dropped
}

func diffCaps(a, b *plan.Plan, add adder) {
	ca, _ := capsOf(a)
	cb, at := capsOf(b)
	if (ca == nil) != (cb == nil) {
		if cb == nil {
			add("capabilities", Loosening, plan.Origin{}, "capabilities are no longer dropped")
		} else {
			add("capabilities", Tightening, at, "capabilities are dropped")
		}
		return
	}
	for n := range cb {
		if !ca[n] {
			add("capabilities", Loosening, at, "capability %s is kept", n)
		}
	}
	for n := range ca {
		if !cb[n] {
			add("capabilities", Tightening, at, "capability %s is dropped", n)
		}
	}
}

func diffEnv(a, b *plan.Plan, add adder) {
	ea, eb := envMap(a.Env), envMap(b.Env)
	for _, k := range sortedKeys(eb) {
		if va, ok := ea[k]; !ok {
			add("env", Loosening, plan.Origin{}, "%s is passed to the payload", k)
		} else if va != eb[k] {
			add("env", Neutral, plan.Origin{}, "%s changes value", k)
		}
	}
	for _, k := range sortedKeys(ea) {
		if _, ok := eb[k]; !ok {
			add("env", Tightening, plan.Origin{}, "%s is no longer passed", k)
		}
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func diffServices(a, b *plan.Plan, add adder) {
	// network helper
	switch {
	case a.NAT == nil && b.NAT != nil:
		add("network", Loosening, b.NAT.At, "outbound network through %s", b.NAT.Backend)
	case a.NAT != nil && b.NAT == nil:
		add("network", Tightening, a.NAT.At, "no more outbound network through %s", a.NAT.Backend)
	}
	// desktop switches
	da, db := map[string]plan.DesktopItem{}, map[string]plan.DesktopItem{}
	for _, d := range a.Desktop {
		da[d.Key] = d
	}
	for _, d := range b.Desktop {
		db[d.Key] = d
	}
	for k, d := range db {
		if _, ok := da[k]; !ok {
			add("desktop", Loosening, d.At, "%s: %s", k, d.Description)
		}
	}
	for k, d := range da {
		if _, ok := db[k]; !ok {
			add("desktop", Tightening, d.At, "%s is off", k)
		}
	}
	// D-Bus rules, per bus
	ra, rb := busRules(a), busRules(b)
	for bus, rules := range rb {
		for r, at := range rules {
			if _, ok := ra[bus][r]; !ok {
				add("dbus", Loosening, at, "%s bus: %s", bus, r)
			}
		}
	}
	for bus, rules := range ra {
		for r, at := range rules {
			if _, ok := rb[bus][r]; !ok {
				add("dbus", Tightening, at, "%s bus: %s is gone", bus, r)
			}
		}
	}
	// no_new_privs
	na, nb := hasStep[plan.NoNewPrivs](a), hasStep[plan.NoNewPrivs](b)
	if na && !nb {
		add("process", Loosening, plan.Origin{}, "no_new_privs is no longer set")
	} else if !na && nb {
		add("process", Tightening, plan.Origin{}, "no_new_privs is set")
	}
}

func busRules(p *plan.Plan) map[string]map[string]plan.Origin {
	m := map[string]map[string]plan.Origin{}
	if p.DBusProxy == nil {
		return m
	}
	for _, b := range p.DBusProxy.Buses {
		m[b.Bus] = map[string]plan.Origin{}
		for _, r := range b.Rules {
			m[b.Bus][r] = b.At
		}
	}
	return m
}

func hasStep[T plan.Step](p *plan.Plan) bool {
	for _, s := range p.Steps {
		if _, ok := s.(T); ok {
			return true
		}
	}
	return false
}
