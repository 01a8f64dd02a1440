package profile

import (
	"cmp"
	"slices"
	"sort"
)

// defaultAction is what unlisted syscalls get under an allow-list: ENOSYS
// makes programs fall back (as for a syscall the kernel lacks) instead of
// failing as if permission were denied.
var defaultAction = Action{Kind: ActErrno, Errno: 38, ErrnoName: "ENOSYS"}

// defaultTestTimeout is test.timeout when no file sets it, in seconds.
const defaultTestTimeout = 60

// finish merges the layers into the effective profile, fills in defaults
// and checks the rules that involve more than one value.
func finish(name string, layers []*layer, env Env) (*Profile, Errors) {
	m, errs := mergeLayers(layers)
	dropRedundantCwdMounts(m)
	p := &Profile{
		Name:    name,
		Origins: map[string]Origin{},
		Namespaces: Namespaces{
			User: true, Mount: true, PID: true, Net: true,
			IPC: true, UTS: true, Cgroup: true, Time: false,
		},
		Seccomp: Seccomp{Policy: PolicyDefault, DefaultAction: defaultAction, Syscalls: []SyscallRule{}},
		Process: Process{DieWithParent: true, Init: true, NoNewPrivs: true},
		// Empty, not nil, so that JSON shows [] for "nothing".
		Programs:     []string{},
		Filesystem:   Filesystem{Mounts: []Mount{}, Unprotect: []string{}, CwdNotice: true},
		Capabilities: Capabilities{Keep: []string{}},
		Environment:  Environment{Keep: []string{}, Unset: []string{}, Set: []EnvVar{}},
		Limits:       []Limit{},
		DBus: DBus{
			Session: DBusBus{Talk: []string{}, Own: []string{}, See: []string{}, Call: []string{}, Broadcast: []string{}},
			System:  DBusBus{Talk: []string{}, Own: []string{}, See: []string{}, Call: []string{}, Broadcast: []string{}},
		},
		Network:  Network{Mode: NetworkNone, Backend: BackendAuto, Forwards: []PortForward{}},
		Landlock: Landlock{Enabled: true, ReadOnly: []string{}, ReadWrite: []string{}},
		Test: SmokeTest{
			Command: []string{}, Timeout: defaultTestTimeout,
			Requires: []string{}, Setup: []string{}, Check: []string{},
		},
	}
	for _, l := range layers {
		p.Files = append(p.Files, l.src.display)
	}
	applyScalars(p, m)
	applyLists(p, m)
	resolveNetwork(p, m)
	errs = append(errs, applyPersistentHome(p, env)...)
	errs = append(errs, validate(p, m, env)...)
	return p, errs
}

// scalarTargets says where each scalar key lands in a Profile.
func scalarTargets(p *Profile) map[string]any {
	return map[string]any{
		"description":                      &p.Description,
		"hostname":                         &p.Hostname,
		"domainname":                       &p.Domainname,
		"namespaces.user":                  &p.Namespaces.User,
		"namespaces.mount":                 &p.Namespaces.Mount,
		"namespaces.pid":                   &p.Namespaces.PID,
		"namespaces.net":                   &p.Namespaces.Net,
		"namespaces.ipc":                   &p.Namespaces.IPC,
		"namespaces.uts":                   &p.Namespaces.UTS,
		"namespaces.cgroup":                &p.Namespaces.Cgroup,
		"namespaces.time":                  &p.Namespaces.Time,
		"identity.uid":                     &p.Identity.UID,
		"identity.gid":                     &p.Identity.GID,
		"identity.subids":                  &p.Identity.Subids,
		"identity.host_root":               &p.Identity.HostRoot,
		"filesystem.cwd":                   &p.Filesystem.Cwd,
		"filesystem.cwd_notice":            &p.Filesystem.CwdNotice,
		"filesystem.persistent_home":       &p.Filesystem.PersistentHome,
		"capabilities.ambient":             &p.Capabilities.Ambient,
		"seccomp.policy":                   &p.Seccomp.Policy,
		"seccomp.default_action":           &p.Seccomp.DefaultAction,
		"seccomp.allow_terminal_injection": &p.Seccomp.AllowTerminalInjection,
		"process.die_with_parent":          &p.Process.DieWithParent,
		"process.new_session":              &p.Process.NewSession,
		"process.init":                     &p.Process.Init,
		"process.nested_user_namespaces":   &p.Process.NestedUserNamespaces,
		"process.no_new_privs":             &p.Process.NoNewPrivs,
		"desktop.wayland":                  &p.Desktop.Wayland,
		"desktop.x11":                      &p.Desktop.X11,
		"desktop.pulseaudio":               &p.Desktop.PulseAudio,
		"desktop.pipewire":                 &p.Desktop.PipeWire,
		"desktop.pipewire_unrestricted":    &p.Desktop.PipeWireUnrestricted,
		"desktop.gpu":                      &p.Desktop.GPU,
		"desktop.fonts":                    &p.Desktop.Fonts,
		"desktop.themes":                   &p.Desktop.Themes,
		"desktop.portal":                   &p.Desktop.Portal,
		"network.mode":                     &p.Network.Mode,
		"network.backend":                  &p.Network.Backend,
		"network.allow_host_loopback":      &p.Network.AllowHostLoopback,
		"landlock.enabled":                 &p.Landlock.Enabled,
		"landlock.require":                 &p.Landlock.Require,
		"test.command":                     &p.Test.Command,
		"test.setup":                       &p.Test.Setup,
		"test.check":                       &p.Test.Check,
		"test.expect_exit":                 &p.Test.ExpectExit,
		"test.expect_output":               &p.Test.ExpectOutput,
		"test.timeout":                     &p.Test.Timeout,
	}
}

func applyScalars(p *Profile, m *merged) {
	targets := scalarTargets(p)
	for key, s := range m.scalars {
		p.Origins[key] = s.at
		switch t := targets[key].(type) {
		case *string:
			*t = s.val.(string)
		case *bool:
			*t = s.val.(bool)
		case *int:
			*t = s.val.(int)
		case *[]string:
			*t = slices.Clone(s.val.([]string))
		case **uint32:
			v := s.val.(uint32)
			*t = &v
		case *SeccompPolicy:
			*t = s.val.(SeccompPolicy)
		case *Action:
			*t = s.val.(Action)
		default:
			panic("profile: scalar key without a target: " + key)
		}
	}
}

func applyLists(p *Profile, m *merged) {
	for list, entries := range m.lists {
		for i, e := range entries {
			if listModeOf(list) == appendAll {
				p.Origins[joinIndex(list, i)] = e.at
			} else {
				p.Origins[list+"."+e.key] = e.at
			}
		}
	}
	for _, e := range m.lists["programs"] {
		p.Programs = append(p.Programs, e.val.(string))
	}
	for _, e := range m.lists["mount"] {
		p.Filesystem.Mounts = append(p.Filesystem.Mounts, e.val.(Mount))
	}
	for _, e := range m.lists["filesystem.unprotect"] {
		p.Filesystem.Unprotect = append(p.Filesystem.Unprotect, e.val.(string))
	}
	sort.Strings(p.Filesystem.Unprotect)
	for _, e := range m.lists["identity.uid_map"] {
		p.Identity.UIDMap = append(p.Identity.UIDMap, e.val.(IDRange))
	}
	for _, e := range m.lists["identity.gid_map"] {
		p.Identity.GIDMap = append(p.Identity.GIDMap, e.val.(IDRange))
	}
	for _, e := range m.lists["capabilities.keep"] {
		p.Capabilities.Keep = append(p.Capabilities.Keep, e.val.(string))
	}
	sort.Strings(p.Capabilities.Keep)
	for _, e := range m.lists["seccomp.syscalls"] {
		p.Seccomp.Syscalls = append(p.Seccomp.Syscalls, e.val.(SyscallRule))
	}
	slices.SortFunc(p.Seccomp.Syscalls, func(a, b SyscallRule) int { return cmp.Compare(a.Name, b.Name) })
	for _, e := range m.lists["environment.keep"] {
		p.Environment.Keep = append(p.Environment.Keep, e.val.(string))
	}
	for _, e := range m.lists["environment.unset"] {
		p.Environment.Unset = append(p.Environment.Unset, e.val.(string))
	}
	for _, e := range m.lists["environment.set"] {
		p.Environment.Set = append(p.Environment.Set, e.val.(EnvVar))
	}
	slices.SortFunc(p.Environment.Set, func(a, b EnvVar) int { return cmp.Compare(a.Name, b.Name) })
	for _, e := range m.lists["limits"] {
		p.Limits = append(p.Limits, e.val.(Limit))
	}
	slices.SortFunc(p.Limits, func(a, b Limit) int { return cmp.Compare(a.Name, b.Name) })
	for _, bus := range []struct {
		name string
		b    *DBusBus
	}{{"session", &p.DBus.Session}, {"system", &p.DBus.System}} {
		for _, r := range []struct {
			key string
			dst *[]string
		}{{"talk", &bus.b.Talk}, {"own", &bus.b.Own}, {"see", &bus.b.See}, {"call", &bus.b.Call}, {"broadcast", &bus.b.Broadcast}} {
			for _, e := range m.lists["dbus."+bus.name+"."+r.key] {
				*r.dst = append(*r.dst, e.val.(string))
			}
		}
	}
	for _, e := range m.lists["network.forward"] {
		p.Network.Forwards = append(p.Network.Forwards, e.val.(PortForward))
	}
	for _, e := range m.lists["network.allow"] {
		p.Network.Allow = append(p.Network.Allow, e.val.(EgressRule))
	}
	for _, e := range m.lists["network.allow_private"] {
		p.Network.AllowPrivate = append(p.Network.AllowPrivate, e.val.(EgressRule))
	}
	for _, e := range m.lists["network.hosts"] {
		p.Network.Hosts = append(p.Network.Hosts, e.val.(HostMapping))
	}
	for _, e := range m.lists["test.requires"] {
		p.Test.Requires = append(p.Test.Requires, e.val.(string))
	}
	for _, e := range m.lists["landlock.read_only"] {
		p.Landlock.ReadOnly = append(p.Landlock.ReadOnly, e.val.(string))
	}
	for _, e := range m.lists["landlock.read_write"] {
		p.Landlock.ReadWrite = append(p.Landlock.ReadWrite, e.val.(string))
	}
	for _, e := range m.lists["network.connect_ports"] {
		p.Network.ConnectPorts = append(p.Network.ConnectPorts, e.val.(int))
	}
	sort.Ints(p.Network.ConnectPorts)
	for _, e := range m.lists["network.bind_ports"] {
		p.Network.BindPorts = append(p.Network.BindPorts, e.val.(int))
	}
	sort.Ints(p.Network.BindPorts)
	for _, e := range m.lists["process.pass_fds"] {
		p.Process.PassFDs = append(p.Process.PassFDs, e.val.(int))
	}
	sort.Ints(p.Process.PassFDs)
}
