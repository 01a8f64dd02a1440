package compile

import (
	"sandbox/plan"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// The Landlock ruleset is derived from the mount view, so that the file
// rules and the mounts say the same thing twice: read and execute where the
// view is read-only, write where it is writable, nothing elsewhere. The
// second wall matters where the first is loosened or bypassed: a payload
// with nested user namespaces (the browsers') cannot mount a view of its
// own at all under Landlock, a directory fd from outside the view reaches
// nothing, and a shared pid namespace's /proc/PID/root leads outside every
// rule.
//
// The ruleset is applied by the C child (child_landlock.c) from the flat
// plan, after pivot_root, because the child and the plan cache's fast path
// run no Go; the Go side only needs the constants and the ABI probe, which
// golang.org/x/sys/unix has. go-landlock is not used: its syscall package
// links libcap's psx, which wraps pthread_create in the whole launcher,
// whose C constructor (the fast path) and clone must not run under it.

const (
	// llRead is what a read-only part of the view grants.
	llRead = unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR | unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	// llWrite is what a writable part grants besides llRead.
	llWrite = unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_REMOVE_DIR | unix.LANDLOCK_ACCESS_FS_REMOVE_FILE |
		unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_DIR | unix.LANDLOCK_ACCESS_FS_MAKE_REG | unix.LANDLOCK_ACCESS_FS_MAKE_SOCK |
		unix.LANDLOCK_ACCESS_FS_MAKE_FIFO | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK | unix.LANDLOCK_ACCESS_FS_MAKE_SYM | unix.LANDLOCK_ACCESS_FS_REFER |
		unix.LANDLOCK_ACCESS_FS_TRUNCATE
	llScoped = unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | unix.LANDLOCK_SCOPE_SIGNAL
)

// landlock builds the Landlock step from the view steps (everything before
// pivot-root), or nil when the profile turns it off.
func (c *compiler) landlock(view []plan.Step) *plan.Landlock {
	ll := c.p.Landlock
	at := c.origin("landlock")
	abi := c.h.LandlockABIVersion()
	if ll.Require > 0 && abi < ll.Require {
		c.fail(c.origin("landlock.require"), "landlock.require",
			"this kernel offers Landlock ABI %d, below the %d the profile requires; lower landlock.require, or run on a newer kernel", abi, ll.Require)
	}
	if !ll.Enabled {
		return nil
	}
	if !c.p.Process.NoNewPrivs {
		// The kernel applies a ruleset only under no_new_privs or
		// with CAP_SYS_ADMIN, which the payload no longer has; with
		// landlock.require the profile is refused (check
		// landlock-needs-nnp).
		return nil
	}
	st := &plan.Landlock{From: plan.From{At: plan.Origin(at)}, ABI: abi, Require: ll.Require,
		HandledFS: llRead | llWrite, Scoped: llScoped}
	st.Paths = landlockPaths(view)
	for _, p := range ll.ReadOnly {
		st.Paths = append(st.Paths, plan.LandlockPath{Path: p, Access: llRead, Required: true})
	}
	for _, p := range ll.ReadWrite {
		st.Paths = append(st.Paths, plan.LandlockPath{Path: p, Access: llRead | llWrite, Write: true, Required: true})
	}
	st.Paths = landlockOnce(st.Paths)
	st.Ports, st.HandledNet = landlockPorts(c.p.Network.ConnectPorts, c.p.Network.BindPorts)
	st.Missing = landlockMissing(abi, st.HandledNet != 0)
	return st
}

// landlockPaths reads the view: the new root read-only, each writable
// mount and created directory writable. A later mount of the same target
// replaces the earlier; a recursive remount-ro takes write away from
// everything at or beneath its target.
func landlockPaths(view []plan.Step) []plan.LandlockPath {
	access := map[string]uint64{}
	set := func(p string, write bool) {
		if write {
			access[p] = llRead | llWrite
		} else {
			access[p] = llRead
		}
	}
	for _, s := range view {
		switch s := s.(type) {
		case plan.NewRoot:
			set("/", false)
		case plan.BindMount:
			// A read-only mount does not stop writes to the device
			// nodes of a dev-bind: neither may Landlock.
			set(s.Target, !s.ReadOnly || s.Devices)
		case plan.Tmpfs:
			set(s.Target, true)
		case plan.Proc:
			set(s.Target, true)
		case plan.Dev:
			set(s.Target, true)
		case plan.Mqueue:
			set(s.Target, true)
		case plan.Overlay:
			set(s.Target, true)
		case plan.Dir:
			set(s.Target, true)
		case plan.File:
			set(s.Target, s.Mode&0o222 != 0)
		case plan.RemountReadOnly:
			for p := range access {
				if pathBeneath(p, s.Target) {
					access[p] = llRead
				}
			}
		}
	}
	out := make([]plan.LandlockPath, 0, len(access))
	for p, a := range access {
		out = append(out, plan.LandlockPath{Path: p, Access: a, Write: a&llWrite != 0})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// landlockOnce keeps each rule once: a path named twice keeps the union,
// and a rule that an ancestor's rule already covers is dropped (Landlock
// grants beneath a path), unless the profile named it and it must exist.
func landlockOnce(in []plan.LandlockPath) []plan.LandlockPath {
	byPath := map[string]plan.LandlockPath{}
	var order []string
	for _, r := range in {
		if prev, ok := byPath[r.Path]; ok {
			prev.Access |= r.Access
			prev.Write = prev.Access&llWrite != 0
			prev.Required = prev.Required || r.Required
			byPath[r.Path] = prev
			continue
		}
		byPath[r.Path] = r
		order = append(order, r.Path)
	}
	sort.Strings(order)
	var out []plan.LandlockPath
	for _, p := range order {
		r := byPath[p]
		covered := false
		for _, q := range order {
			if q != p && pathBeneath(p, q) && byPath[q].Access&r.Access == r.Access {
				covered = true
				break
			}
		}
		if !covered || r.Required {
			out = append(out, r)
		}
	}
	return out
}

// pathBeneath reports whether p is dir or lies beneath it.
func pathBeneath(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// landlockPorts turns network.connect_ports and network.bind_ports into
// port rules, and the network rights the ruleset handles: only a list
// that is set restricts.
func landlockPorts(connect, bind []int) ([]plan.LandlockPort, uint64) {
	var handled uint64
	acc := map[int]uint64{}
	for _, p := range connect {
		acc[p] |= unix.LANDLOCK_ACCESS_NET_CONNECT_TCP
	}
	for _, p := range bind {
		acc[p] |= unix.LANDLOCK_ACCESS_NET_BIND_TCP
	}
	if len(connect) > 0 {
		handled |= unix.LANDLOCK_ACCESS_NET_CONNECT_TCP
	}
	if len(bind) > 0 {
		handled |= unix.LANDLOCK_ACCESS_NET_BIND_TCP
	}
	var out []plan.LandlockPort
	for p, a := range acc {
		out = append(out, plan.LandlockPort{Port: uint16(p), Access: a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out, handled
}

// landlockMissing says what a kernel of this ABI leaves out.
func landlockMissing(abi int, ports bool) []string {
	var m []string
	if abi < 1 {
		return []string{"this kernel has no Landlock (or it is not enabled in the lsm= list): the mount view and seccomp are the only walls"}
	}
	if abi < 2 {
		m = append(m, "ABI 2 (refer): files cannot be moved or linked from one directory to another at all")
	}
	if abi < 3 {
		m = append(m, "ABI 3 (truncate): truncating a file is not restricted by Landlock")
	}
	if abi < 4 && ports {
		m = append(m, "ABI 4 (network): network.connect_ports and network.bind_ports are not enforced")
	}
	if abi < 5 {
		m = append(m, "ABI 5 (ioctl on devices): device ioctls are not restricted by Landlock")
	}
	if abi < 6 {
		m = append(m, "ABI 6 (scoping): signals and abstract unix sockets can reach processes outside the sandbox that share its pid or network namespace")
	}
	return m
}
