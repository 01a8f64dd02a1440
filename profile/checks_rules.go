package profile

import "slices"

// The checks below were the compiler's until they moved here: none of
// them depends on the machine.

func (v *validator) procNeedsPID() {
	if v.p.Namespaces.PID {
		return
	}
	for _, m := range v.p.Filesystem.Mounts {
		if m.Type == MountProc {
			v.errAt(m.At, mountKeyOf(m)+".type", "a new proc needs a pid namespace (it would show every host process); set namespaces.pid = true, or ro-bind /proc instead")
		}
	}
}

func (v *validator) mqueueNeedsIPC() {
	if v.p.Namespaces.IPC {
		return
	}
	for _, m := range v.p.Filesystem.Mounts {
		if m.Type == MountMqueue {
			v.errAt(m.At, mountKeyOf(m)+".type", "mqueue needs an ipc namespace, or it would expose the host's queues; set namespaces.ipc = true")
		}
	}
}

// mountKeyOf is the dotted key of a mount entry ("mount[2]"), or "mount"
// for one that has none.
func mountKeyOf(m Mount) string {
	if m.Key != "" {
		return m.Key
	}
	return "mount"
}

func (v *validator) timeNeedsInit() {
	if v.p.Namespaces.Time && !v.p.Process.Init {
		v.errAt(v.p.OriginOf("namespaces.time"), "namespaces.time",
			"a time namespace applies to the children of the process that creates it, so it needs the init; set process.init = true or namespaces.time = false")
	}
}

func (v *validator) sharedPIDNeedsInit() {
	// Without a pid namespace no kernel ends the payload's detached
	// children with the sandbox; only the init does (L9).
	if !v.p.Namespaces.PID && !v.p.Process.Init {
		v.errAt(v.p.OriginOf("process.init"), "process.init",
			"without a pid namespace only the init can end what the payload leaves running when the sandbox ends; set process.init = true or namespaces.pid = true")
	}
}

func (v *validator) mapsNeedUserns() {
	id := v.p.Identity
	if !v.p.Namespaces.User && (len(id.UIDMap) > 0 || len(id.GIDMap) > 0 || id.Subids) {
		v.errAt(v.p.OriginOf("namespaces.user"), "namespaces.user",
			"id maps need a user namespace; set namespaces.user = true or remove identity.uid_map, identity.gid_map and identity.subids")
	}
}

// nestedUsernsGuard: with process.nested_user_namespaces = false the
// sandbox limits user namespaces in its own one (compile_userns.go);
// without a user namespace of its own that limit would be the host's, so
// only the filter can hold.
func (v *validator) nestedUsernsGuard() {
	p := v.p
	if !p.Process.NestedUserNamespaces && !p.Namespaces.User && !p.Seccomp.DeniesUserNamespaces() {
		v.errAt(p.OriginOf("seccomp.policy"), "seccomp.policy",
			"without a seccomp filter that refuses user namespaces and with namespaces.user = false, nothing stops the payload from creating them (process.nested_user_namespaces = false): keep a seccomp policy, set namespaces.user = true, or set process.nested_user_namespaces = true")
	}
}

// sysResourceGuard: the payload in the sandbox's user namespace with
// CAP_SYS_RESOURCE could raise the user namespace limit again. Behind
// locked mounts (CAP_SYS_ADMIN kept, one id) it lives in a namespace
// below, whose capabilities do not reach the limit.
func (v *validator) sysResourceGuard() {
	p := v.p
	keep := p.Capabilities.Keep
	if p.Process.NestedUserNamespaces || !p.Namespaces.User || p.Seccomp.DeniesUserNamespaces() ||
		!slices.Contains(keep, "CAP_SYS_RESOURCE") || slices.Contains(keep, "CAP_SYS_ADMIN") {
		// With CAP_SYS_ADMIN the mounts are locked, or
		// sys-admin-single-id refuses the profile.
		return
	}
	v.errAt(p.OriginOf("capabilities.keep"), "capabilities.keep",
		"CAP_SYS_RESOURCE would let the payload raise user.max_user_namespaces again, and no seccomp filter refuses user namespaces (process.nested_user_namespaces = false): drop it, keep a seccomp policy, or set process.nested_user_namespaces = true")
}

// sysAdminSingleID stops the one escape an id range leaves open to a
// payload that keeps CAP_SYS_ADMIN. With a range the sandbox cannot write
// the nested maps that lock its mounts, so only the payload's lack of
// CAP_SYS_ADMIN keeps it from remounting a read-only bind writable or
// unmounting a mask (checklist F3).
func (v *validator) sysAdminSingleID() {
	p := v.p
	if !p.Namespaces.User || !p.Identity.MapsRange() || !slices.Contains(p.Capabilities.Keep, "CAP_SYS_ADMIN") {
		return
	}
	key := "identity.uid_map"
	if p.Identity.Subids {
		key = "identity.subids"
	}
	v.errAt(p.OriginOf("capabilities.keep"), "capabilities.keep",
		"CAP_SYS_ADMIN cannot be kept together with %s: with an id range the sandbox's mounts cannot be locked, and the payload could undo them; drop CAP_SYS_ADMIN or map a single id", key)
}

// MapsRange reports whether the identity maps more than one uid or gid:
// subordinate ids, or an explicit map with more than one id on a side. A
// side without a map maps one id.
func (id Identity) MapsRange() bool {
	single := func(r []IDRange) bool { return len(r) == 0 || (len(r) == 1 && r[0].Count == 1) }
	return id.Subids || !single(id.UIDMap) || !single(id.GIDMap)
}

func (v *validator) landlockNeedsNNP() {
	ll := v.p.Landlock
	// The kernel applies a ruleset only under no_new_privs or with
	// CAP_SYS_ADMIN, which the payload no longer has.
	if ll.Enabled && ll.Require > 0 && !v.p.Process.NoNewPrivs {
		v.errAt(v.p.OriginOf("process.no_new_privs"), "process.no_new_privs",
			"Landlock (landlock.require = %d) needs no_new_privs; set process.no_new_privs = true or drop landlock.require", ll.Require)
	}
}

func (v *validator) pipewireUnrestricted() {
	d := v.p.Desktop
	if d.PipeWire && !d.PipeWireUnrestricted {
		v.errAt(v.p.OriginOf("desktop.pipewire"), "desktop.pipewire", "the PipeWire socket cannot be restricted: any client of it can create a node from the server's "+
			"spa-node-factory with a library of its choosing, which the host's PipeWire loads (host code execution), and PipeWire's "+
			"own restriction for sandboxed clients does not prevent it; for sound, use desktop.pulseaudio (filtered, and served by "+
			"pipewire-pulse on a PipeWire desktop) and set desktop.pipewire = false, or accept the risk with desktop.pipewire_unrestricted = true")
	}
}
