package main

import (
	"fmt"
	"strconv"
	"strings"

	"sandbox/launcher"
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

// settings flattens an effective profile, in the order of the reference.
func settings(p *profile.Profile) []setting {
	var out []setting
	addAt := func(key string, value any, text string, at profile.Origin) {
		out = append(out, setting{Key: key, Value: value, Text: text, From: originString(at), At: at})
	}
	add := func(key string, value any, text string) { addAt(key, value, text, latestOrigin(p, key)) }
	addBool := func(key string, v bool) { add(key, v, strconv.FormatBool(v)) }
	addList := func(key string, v []string) { add(key, nonNil(v), list(v)) }

	add("description", p.Description, strconv.Quote(p.Description))
	addList("programs", p.Programs)
	ns := p.Namespaces
	for _, n := range []struct {
		k string
		v bool
	}{{"user", ns.User}, {"mount", ns.Mount}, {"pid", ns.PID}, {"net", ns.Net}, {"ipc", ns.IPC},
		{"uts", ns.UTS}, {"cgroup", ns.Cgroup}, {"time", ns.Time}} {
		addBool("namespaces."+n.k, n.v)
	}
	id := p.Identity
	add("identity.uid", id.UID, optID(id.UID))
	add("identity.gid", id.GID, optID(id.GID))
	addBool("identity.subids", id.Subids)
	if len(id.UIDMap) > 0 {
		add("identity.uid_map", id.UIDMap, ranges(id.UIDMap))
	}
	if len(id.GIDMap) > 0 {
		add("identity.gid_map", id.GIDMap, ranges(id.GIDMap))
	}
	if p.Hostname != "" {
		add("hostname", p.Hostname, strconv.Quote(p.Hostname))
	}
	if p.Domainname != "" {
		add("domainname", p.Domainname, strconv.Quote(p.Domainname))
	}
	if cwd := p.Filesystem.Cwd; cwd != "" {
		add("filesystem.cwd", cwd, cwd)
	} else {
		add("filesystem.cwd", nil, "(the caller's directory if visible, else HOME, else /)")
	}
	if p.Filesystem.PersistentHome {
		add("filesystem.persistent_home", true, "true ("+p.Filesystem.HomeDir+")")
	}
	// Each entry is named as in the file that declares it (From).
	for _, m := range p.Filesystem.Mounts {
		addAt(m.Key, m, mountString(m), m.At)
	}
	addList("capabilities.keep", p.Capabilities.Keep)
	addBool("capabilities.ambient", p.Capabilities.Ambient)
	add("seccomp.policy", string(p.Seccomp.Policy), string(p.Seccomp.Policy))
	if p.Seccomp.Policy == profile.PolicyAllowList {
		a := actionString(p.Seccomp.DefaultAction)
		add("seccomp.default_action", a, a)
	}
	if p.Seccomp.Policy != profile.PolicyNone {
		addBool("seccomp.allow_terminal_injection", p.Seccomp.AllowTerminalInjection)
	}
	for _, r := range p.Seccomp.Syscalls {
		a := actionString(r.Action)
		addAt("seccomp.syscalls."+r.Name, a, a, r.At)
	}
	addList("environment.keep", p.Environment.Keep)
	addList("environment.unset", p.Environment.Unset)
	for _, v := range p.Environment.Set {
		add("environment.set."+v.Name, v.Value, strconv.Quote(v.Value))
	}
	for _, l := range p.Limits {
		addAt("limits."+l.Name, limitJSON{Soft: limitValue(l.Soft), Hard: limitValue(l.Hard)}, limit(l), l.At)
	}
	pr := p.Process
	addBool("process.die_with_parent", pr.DieWithParent)
	addBool("process.new_session", pr.NewSession)
	addBool("process.init", pr.Init)
	addBool("process.nested_user_namespaces", pr.NestedUserNamespaces)
	addBool("process.no_new_privs", pr.NoNewPrivs)
	if len(pr.PassFDs) > 0 {
		var s []string
		for _, fd := range pr.PassFDs {
			s = append(s, strconv.Itoa(fd))
		}
		add("process.pass_fds", pr.PassFDs, list(s))
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
			if what, ok := launcher.PortalRuleReach(r.kind, e); ok {
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
