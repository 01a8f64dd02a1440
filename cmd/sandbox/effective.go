package main

import (
	"fmt"
	"strconv"
	"strings"

	"sandbox/compile"
	"sandbox/profile"
)

// setting is one line of the effective profile: a key, its value and the
// file that set it ("default" when no file did). Value is typed for
// `explain --json` (a boolean, a number, an array, an object, or null for
// "the caller's own"); Text is how the text view shows it.
type setting struct {
	Key   string         `json:"key"`
	Value any            `json:"value"`
	Text  string         `json:"-"`
	From  string         `json:"from"`
	At    profile.Origin `json:"at"`
}

// limitJSON is a resource limit in `explain --json`; null is unlimited.
type limitJSON struct {
	Soft *uint64 `json:"soft"`
	Hard *uint64 `json:"hard"`
}

// settings flattens an effective profile, in the order of the reference:
// it walks profile.Schema(), so that a key the profile format gains is
// shown here too (TestEffectiveCoversSchema fails until it has a value).
func settings(p *profile.Profile) []setting {
	var out []setting
	addAt := func(key string, value any, text string, at profile.Origin) {
		out = append(out, setting{Key: key, Value: value, Text: text, From: originString(at), At: at})
	}
	leaves := leafSettings(p)
	for _, d := range profile.Schema() {
		switch {
		case d.Key == "mount":
			// Each entry is named as in the file that declares it.
			for _, m := range p.Filesystem.Mounts {
				addAt(m.Key, m, mountString(m), m.At)
			}
		case d.Key == "seccomp.syscalls":
			for _, r := range p.Seccomp.Syscalls {
				a := actionString(r.Action)
				addAt("seccomp.syscalls."+r.Name, a, a, r.At)
			}
		case d.Key == "environment.set":
			for _, v := range p.Environment.Set {
				addAt("environment.set."+v.Name, v.Value, strconv.Quote(v.Value), latestOrigin(p, "environment.set."+v.Name))
			}
		case d.Key == "limits":
			for _, l := range p.Limits {
				addAt("limits."+l.Name, limitJSON{Soft: limitValue(l.Soft), Hard: limitValue(l.Hard)}, limit(l), l.At)
			}
		default:
			leaf, ok := leaves[d.Key]
			if !ok {
				continue // a section, an entry's field, or how files combine
			}
			if v, text, shown := leaf(); shown {
				addAt(d.Key, v, text, latestOrigin(p, d.Key))
			}
		}
	}
	return out
}

// leaf is the effective value of one key, typed for JSON, and its text;
// shown is false where the key is only shown when it says something (an
// unset host name, an allow-list's default action under another policy).
type leaf func() (value any, text string, shown bool)

// schemaNotShown says whether key is one of those that say how profile
// files combine, not what the sandbox is: the effective profile is what
// they produced.
func schemaNotShown(key string) bool { return key == "extends" || key == "merge.replace" }

// leafSettings gives each key of the schema that holds a value its leaf.
func leafSettings(p *profile.Profile) map[string]leaf {
	always := func(v any, text string) leaf { return func() (any, string, bool) { return v, text, true } }
	b := func(v bool) leaf { return always(v, strconv.FormatBool(v)) }
	strs := func(v []string) leaf { return always(nonNil(v), list(v)) }
	quoted := func(v string) leaf { return always(v, strconv.Quote(v)) }
	word := func(v string) leaf { return always(v, v) }
	num := func(v int) leaf { return always(v, strconv.Itoa(v)) }
	nums := func(v []int) leaf {
		s := make([]string, len(v))
		for i, n := range v {
			s[i] = strconv.Itoa(n)
		}
		if v == nil {
			v = []int{}
		}
		return always(v, list(s))
	}
	ifSet := func(v string) leaf {
		return func() (any, string, bool) { return v, strconv.Quote(v), v != "" }
	}
	id, ns, fs, pr := p.Identity, p.Namespaces, p.Filesystem, p.Process
	dt, net, ll, tst := p.Desktop, p.Network, p.Landlock, p.Test
	m := map[string]leaf{
		"description":        quoted(p.Description),
		"programs":           strs(p.Programs),
		"hostname":           ifSet(p.Hostname),
		"domainname":         ifSet(p.Domainname),
		"namespaces.user":    b(ns.User),
		"namespaces.mount":   b(ns.Mount),
		"namespaces.pid":     b(ns.PID),
		"namespaces.net":     b(ns.Net),
		"namespaces.ipc":     b(ns.IPC),
		"namespaces.uts":     b(ns.UTS),
		"namespaces.cgroup":  b(ns.Cgroup),
		"namespaces.time":    b(ns.Time),
		"identity.uid":       always(id.UID, optID(id.UID)),
		"identity.gid":       always(id.GID, optID(id.GID)),
		"identity.subids":    b(id.Subids),
		"identity.host_root": b(id.HostRoot),
		"identity.uid_map":   func() (any, string, bool) { return id.UIDMap, ranges(id.UIDMap), len(id.UIDMap) > 0 },
		"identity.gid_map":   func() (any, string, bool) { return id.GIDMap, ranges(id.GIDMap), len(id.GIDMap) > 0 },
		"filesystem.cwd": func() (any, string, bool) {
			if fs.Cwd == "" {
				return nil, "(the caller's directory if visible, else HOME, else /)", true
			}
			return fs.Cwd, fs.Cwd, true
		},
		"filesystem.cwd_notice": b(fs.CwdNotice),
		"filesystem.unprotect":  strs(fs.Unprotect),
		"filesystem.persistent_home": func() (any, string, bool) {
			if fs.PersistentHome {
				return true, "true (" + fs.HomeDir + ")", true
			}
			return false, "false", true
		},
		"capabilities.keep":    strs(p.Capabilities.Keep),
		"capabilities.ambient": b(p.Capabilities.Ambient),
		"seccomp.policy":       word(string(p.Seccomp.Policy)),
		"seccomp.default_action": func() (any, string, bool) {
			a := actionString(p.Seccomp.DefaultAction)
			return a, a, p.Seccomp.Policy == profile.PolicyAllowList
		},
		"seccomp.allow_terminal_injection": func() (any, string, bool) {
			v := p.Seccomp.AllowTerminalInjection
			return v, strconv.FormatBool(v), p.Seccomp.Policy != profile.PolicyNone
		},
		"environment.keep":               strs(p.Environment.Keep),
		"environment.unset":              strs(p.Environment.Unset),
		"process.die_with_parent":        b(pr.DieWithParent),
		"process.new_session":            b(pr.NewSession),
		"process.init":                   b(pr.Init),
		"process.nested_user_namespaces": b(pr.NestedUserNamespaces),
		"process.no_new_privs":           b(pr.NoNewPrivs),
		"process.pass_fds":               nums(pr.PassFDs),
		"desktop.wayland":                b(dt.Wayland),
		"desktop.x11":                    b(dt.X11),
		"desktop.pulseaudio":             b(dt.PulseAudio),
		"desktop.pipewire":               b(dt.PipeWire),
		"desktop.pipewire_unrestricted":  b(dt.PipeWireUnrestricted),
		"desktop.gpu":                    b(dt.GPU),
		"desktop.fonts":                  b(dt.Fonts),
		"desktop.themes":                 b(dt.Themes),
		"desktop.portal":                 b(dt.Portal),
		"network.mode":                   word(net.Mode),
		"network.backend":                word(net.Backend),
		"network.allow_host_loopback":    b(net.AllowHostLoopback),
		"network.forward":                strs(forwardStrings(net.Forwards)),
		"network.allow":                  strs(egressStrings(net.Allow)),
		"network.allow_private":          strs(egressStrings(net.AllowPrivate)),
		"network.hosts":                  strs(hostStrings(net.Hosts)),
		"network.connect_ports":          nums(net.ConnectPorts),
		"network.bind_ports":             nums(net.BindPorts),
		"landlock.enabled":               b(ll.Enabled),
		"landlock.require":               num(ll.Require),
		"landlock.read_only":             strs(ll.ReadOnly),
		"landlock.read_write":            strs(ll.ReadWrite),
		"test.command":                   strs(tst.Command),
		"test.expect_exit":               num(tst.ExpectExit),
		"test.expect_output":             quoted(tst.ExpectOutput),
		"test.timeout":                   num(tst.Timeout),
		"test.requires":                  strs(tst.Requires),
		"test.setup":                     strs(tst.Setup),
		"test.check":                     strs(tst.Check),
	}
	for _, bus := range []struct {
		name string
		b    profile.DBusBus
	}{{"session", p.DBus.Session}, {"system", p.DBus.System}} {
		m["dbus."+bus.name+".talk"] = strs(bus.b.Talk)
		m["dbus."+bus.name+".own"] = strs(bus.b.Own)
		m["dbus."+bus.name+".see"] = strs(bus.b.See)
		m["dbus."+bus.name+".call"] = strs(bus.b.Call)
		m["dbus."+bus.name+".broadcast"] = strs(bus.b.Broadcast)
	}
	return m
}

// forwardStrings are port forwards as a profile writes them.
func forwardStrings(fs []profile.PortForward) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%d:%d/%s", f.HostPort, f.SandboxPort, f.Proto))
	}
	return out
}

// egressStrings are allow-list entries as a profile writes them.
func egressStrings(rs []profile.EgressRule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

// hostStrings are name mappings as a profile writes them.
func hostStrings(hs []profile.HostMapping) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Name+"="+h.Addr)
	}
	return out
}

// nonNil makes an empty list an empty JSON array rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// limitValue is a limit for JSON: nil (null) when unlimited.
func limitValue(v uint64) *uint64 {
	if v == profile.Unlimited {
		return nil
	}
	return &v
}

// latestOrigin is where key was set; for a list, whose entries are recorded
// one by one ("programs.firefox"), it is the entry set last.
func latestOrigin(p *profile.Profile, key string) profile.Origin {
	if o, ok := p.Origins[key]; ok {
		return o
	}
	layer := map[string]int{}
	for i, f := range p.Files {
		layer[f] = i
	}
	var best profile.Origin
	found := false
	for k, o := range p.Origins {
		if !strings.HasPrefix(k, key+".") {
			continue
		}
		if !found || layer[o.File] > layer[best.File] || (o.File == best.File && o.Line > best.Line) {
			best, found = o, true
		}
	}
	return best
}

// loosenings lists every way the profile is weaker than the defaults, so
// that an explicit loosening is always visible.
func loosenings(p *profile.Profile) []string {
	var out []string
	ns := p.Namespaces
	for _, n := range []struct {
		k string
		v bool
	}{{"user", ns.User}, {"pid", ns.PID}, {"net", ns.Net}, {"ipc", ns.IPC}, {"uts", ns.UTS}, {"cgroup", ns.Cgroup}} {
		if !n.v {
			out = append(out, fmt.Sprintf("the host's %s namespace is shared (namespaces.%s = false, %s)", n.k, n.k, originString(p.Origins["namespaces."+n.k])))
		}
	}
	if len(p.Capabilities.Keep) > 0 {
		out = append(out, "capabilities kept: "+strings.Join(p.Capabilities.Keep, ", "))
	}
	if !p.Process.NoNewPrivs {
		out = append(out, "no_new_privs is off: setuid programs can gain privileges ("+originString(p.Origins["process.no_new_privs"])+")")
	}
	if p.Seccomp.Policy == profile.PolicyNone {
		out = append(out, "no seccomp filter ("+originString(p.Origins["seccomp.policy"])+")")
	}
	for _, r := range p.Seccomp.Syscalls {
		if r.Action.Kind == profile.ActAllow && p.Seccomp.Policy == profile.PolicyDefault {
			out = append(out, fmt.Sprintf("syscall %s allowed by %s", r.Name, originString(r.At)))
		}
	}
	if p.Process.NestedUserNamespaces {
		out = append(out, "the payload may create user namespaces ("+originString(p.Origins["process.nested_user_namespaces"])+")")
	}
	out = append(out, unprotectLoosenings(p)...)
	for _, m := range p.Filesystem.Mounts {
		if m.Type == profile.MountBind && m.Home {
			out = append(out, fmt.Sprintf("the persistent home %s is writable at %s and outlives the sandbox (filesystem.persistent_home, %s)", m.Source, m.Target, originString(m.At)))
			continue
		}
		if m.Type == profile.MountBind {
			out = append(out, fmt.Sprintf("host path %s is writable at %s (%s)", m.Source, m.Target, originString(m.At)))
		}
	}
	// The [desktop] switches and D-Bus rules are desktopLoosenings.
	return append(out, explicitLoosenings(p)...)
}

// explicitLoosenings lists what the profile loosens through a key that
// exists only for that (to map host root, to switch off a guard the
// sandbox otherwise always keeps), which `sandbox check` mentions too.
func explicitLoosenings(p *profile.Profile) []string {
	var out []string
	if p.Seccomp.AllowTerminalInjection && p.Seccomp.Policy != profile.PolicyNone {
		out = append(out, "the terminal guard is off: TIOCSTI and TIOCLINUX can push input into the caller's terminal (seccomp.allow_terminal_injection = true, "+originString(p.Origins["seccomp.allow_terminal_injection"])+")")
	}
	if p.Identity.HostRoot {
		out = append(out, "a root launch maps the sandbox's ids to host root: the payload owns every file host root owns (identity.host_root = true, "+
			originString(p.Origins["identity.host_root"])+")")
	}
	out = append(out, landlockLoosenings(p)...)
	if p.Network.Mode == profile.NetworkFiltered {
		for _, r := range p.Network.AllowPrivate {
			out = append(out, fmt.Sprintf("the egress proxy may connect %s to loopback, link-local or private addresses: services of this machine or its LAN (network.allow_private, %s)",
				r.String(), originString(r.At)))
		}
	}
	for _, m := range p.Filesystem.Mounts {
		if m.Type == profile.MountDevBind && m.Writable {
			out = append(out, fmt.Sprintf("host path %s is writable at %s, and the host's device nodes in it can be changed (writable = true, %s)",
				m.Source, m.Target, originString(m.At)))
		}
	}
	return out
}

// unprotectLoosenings says which paths filesystem.unprotect releases from
// the protection of files the host trusts.
func unprotectLoosenings(p *profile.Profile) []string {
	var out []string
	for _, u := range p.Filesystem.Unprotect {
		out = append(out, fmt.Sprintf("%s is not protected as a file the host trusts: a writable bind may change it (filesystem.unprotect, %s)",
			u, originString(p.Origins["filesystem.unprotect."+u])))
	}
	return out
}

// graveLoosenings are the loosenings check notes even for a valid
// profile: host code execution through PipeWire (W2) and portal
// interfaces beyond desktop.portal's (W3). explain says the same in its
// desktop lines (loosen_desktop.go).
func graveLoosenings(p *profile.Profile) []string {
	var out []string
	if l := pipeWireLoosening(p); l != "" {
		out = append(out, l)
	}
	out = append(out, portalLoosenings(p)...)
	return append(out, unprotectLoosenings(p)...)
}

// portalLoosenings lists the session bus rules that reach portal
// interfaces beyond desktop.portal's (W3): among them are the portals that
// install and launch programs on the host.
func portalLoosenings(p *profile.Profile) []string {
	var out []string
	s := p.DBus.Session
	for _, r := range []struct {
		kind  string
		rules []string
	}{{"talk", s.Talk}, {"own", s.Own}, {"call", s.Call}} {
		for _, e := range r.rules {
			if what, ok := compile.PortalRuleReach(r.kind, e); ok {
				out = append(out, fmt.Sprintf("the session bus rule dbus.session.%s %q reaches %s, beyond desktop.portal's interfaces (%s)",
					r.kind, e, what, originString(p.Origins["dbus.session."+r.kind+"."+e])))
			}
		}
	}
	return out
}

// pipeWireLoosening is the line explain and check give a profile that
// binds the PipeWire socket unfiltered, or "".
func pipeWireLoosening(p *profile.Profile) string {
	if !p.Desktop.PipeWire || !p.Desktop.PipeWireUnrestricted {
		return ""
	}
	return "desktop.pipewire_unrestricted: " + pipeWireExposes + " (" + originString(p.Origins["desktop.pipewire_unrestricted"]) + ")"
}

func list(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func optID(v *uint32) string {
	if v == nil {
		return "(the caller's)"
	}
	return strconv.FormatUint(uint64(*v), 10)
}

func ranges(r []profile.IDRange) string {
	var s []string
	for _, x := range r {
		s = append(s, fmt.Sprintf("%d->%d x%d", x.Inside, x.Outside, x.Count))
	}
	return strings.Join(s, ", ")
}

func mountString(m profile.Mount) string {
	switch m.Type {
	case profile.MountBind, profile.MountROBind, profile.MountDevBind:
		s := fmt.Sprintf("%s %s", m.Type, m.Source)
		if m.Target != m.Source {
			s += " -> " + m.Target
		}
		if m.Optional {
			s += " (optional)"
		}
		return s
	case profile.MountSymlink:
		return fmt.Sprintf("symlink %s -> %s", m.Target, m.LinkTo)
	case profile.MountOverlay:
		return fmt.Sprintf("overlay %s over %s", m.Target, strings.Join(m.Lower, ":"))
	case profile.MountFile:
		if m.Source != "" {
			return fmt.Sprintf("file %s (copy of %s)", m.Target, m.Source)
		}
		return fmt.Sprintf("file %s (inline)", m.Target)
	}
	return fmt.Sprintf("%s %s", m.Type, m.Target)
}

func actionString(a profile.Action) string {
	if a.Kind == profile.ActErrno {
		return a.ErrnoName
	}
	return string(a.Kind)
}

func limit(l profile.Limit) string {
	f := func(v uint64) string {
		if v == profile.Unlimited {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	if l.Soft == l.Hard {
		return f(l.Soft)
	}
	return fmt.Sprintf("soft %s, hard %s", f(l.Soft), f(l.Hard))
}
