package compile

import (
	"fmt"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// Compile turns an effective profile into a plan that runs argv.
//
// Everything that can be checked before a process is spawned is checked
// here: host paths a mount needs, id maps the caller may not apply, the
// seccomp filter (compiled to BPF now, so its errors come before launch).
// Problems are returned as profile.Errors, each pointing at the profile line
// to change, and nothing has been started.
func Compile(p *profile.Profile, argv []string, h hostview.Host) (*plan.Plan, error) {
	c := &compiler{p: p, h: h}
	pl := &plan.Plan{
		Profile:       p.Name,
		Files:         append([]string(nil), p.Files...),
		CloneFlags:    cloneFlags(p.Namespaces),
		DieWithParent: p.Process.DieWithParent,
		PassFDs:       append([]int(nil), p.Process.PassFDs...),
		TimeNamespace: p.Namespaces.Time,
	}
	for _, fd := range pl.PassFDs {
		if pl.PassFDsAt == nil {
			pl.PassFDsAt = map[int]plan.Origin{}
		}
		pl.PassFDsAt[fd] = plan.Origin(c.origin("process.pass_fds." + strconv.Itoa(fd)))
	}
	pl.IDs = c.idMapping()
	pl.UID, pl.GID = c.insideIDs()
	pl.Env = c.environment()
	pl.Steps = c.steps(pl, argv)
	pl.Warnings = c.warnings()
	if len(c.errs) > 0 {
		sort.SliceStable(c.errs, func(i, j int) bool { return c.errs[i].Line < c.errs[j].Line })
		return nil, c.errs
	}
	return pl, nil
}

// compiler collects every problem rather than stopping at the first, so a
// user fixes a profile in one pass.
type compiler struct {
	p     *profile.Profile
	h     hostview.Host
	errs  profile.Errors
	warns []plan.Warning // what this machine lacks, with Host.Lenient
}

func (c *compiler) fail(at profile.Origin, key, format string, args ...any) {
	c.errs = append(c.errs, &profile.Error{
		File: at.File, Line: at.Line, Col: at.Col, Key: key,
		Msg: fmt.Sprintf(format, args...),
	})
}

// keepsSysAdmin reports whether the payload keeps CAP_SYS_ADMIN, the one
// capability that mounts, unmounts and remounts.
func (c *compiler) keepsSysAdmin() bool {
	for _, name := range c.p.Capabilities.Keep {
		if name == "CAP_SYS_ADMIN" {
			return true
		}
	}
	return false
}

// origin returns where a key was set, or the profile's own file when the
// value is a default (profile.OriginOf).
func (c *compiler) origin(key string) profile.Origin {
	return c.p.OriginOf(key)
}

func cloneFlags(ns profile.Namespaces) uintptr {
	var f uintptr
	set := func(on bool, flag int) {
		if on {
			f |= uintptr(flag)
		}
	}
	set(ns.User, unix.CLONE_NEWUSER)
	set(ns.Mount, unix.CLONE_NEWNS)
	set(ns.PID, unix.CLONE_NEWPID)
	set(ns.Net, unix.CLONE_NEWNET)
	set(ns.IPC, unix.CLONE_NEWIPC)
	set(ns.UTS, unix.CLONE_NEWUTS)
	set(ns.Cgroup, unix.CLONE_NEWCGROUP)
	// CLONE_NEWTIME is not set here: its bit overlaps the exit-signal
	// byte of clone(2), and a time namespace only applies to children of
	// the process that unshares it. Plan.TimeNamespace carries it instead.
	return f
}

// steps lays out the setup pipeline. The order is fixed by what each step
// needs:
//   - [desktop] and D-Bus binds follow the profile's mounts, and the
//     loopback interface is brought up while the sandbox still holds
//     CAP_NET_ADMIN over its network namespace (before lock-mounts);
//   - files the host trusts that a writable bind exposes are bound onto
//     themselves read-only after every other mount, so no ordering of the
//     profile undoes that (compile/protect.go);
//   - propagation is made private before the first mount, or root-mode
//     mounts would leak to the host (F9);
//   - the view is built under the new root, then pivot_root detaches the
//     host tree;
//   - mounts are locked (a further user namespace) once the view is final,
//     so the payload cannot undo them (F3);
//   - ids change before capabilities are set, because changing uid clears
//     the effective set;
//   - resource limits come after every step that allocates, forks or
//     opens (L10: limits.as = "1G" made the init's fork of the payload
//     fail), and the init forks the payload before them, so they bind the
//     payload and not the setup or the init; they stay before seccomp,
//     which an allow-list may not let prlimit64 through;
//   - no_new_privs and seccomp come last, right before exec, so setup
//     itself is not filtered.
func (c *compiler) steps(pl *plan.Plan, argv []string) []plan.Step {
	p := c.p
	var s []plan.Step
	// Mounts need locking only against a payload that keeps
	// CAP_SYS_ADMIN in the sandbox's user namespace: without it nothing
	// there can mount, unmount or remount, and a user namespace the
	// payload makes for itself gets every mount locked by the kernel
	// (copied into a less privileged namespace). Locking costs a further
	// user and mount namespace, and tearing the first one down, at every
	// launch.
	lock := pl.IDs != nil && c.keepsSysAdmin() && singleID(pl.IDs)
	// First, while the sandbox holds every capability in its user
	// namespace and before any step could create another.
	if st := c.usernsLimit(lock); st != nil {
		s = append(s, st)
	}
	s = append(s, plan.MakePrivate{}, plan.NewRoot{})
	s = append(s, c.mountSteps()...)
	// After the profile's own mounts: a tmpfs the profile puts on
	// ${HOME} or /tmp would otherwise hide the sockets and files bound
	// into it.
	s = append(s, c.desktopSteps(pl)...)
	s = append(s, c.networkSteps(pl)...)
	if p.Hostname != "" {
		s = append(s, plan.Hostname{From: plan.From{At: plan.Origin(c.origin("hostname"))}, Name: p.Hostname})
	}
	if p.Domainname != "" {
		s = append(s, plan.Domainname{From: plan.From{At: plan.Origin(c.origin("domainname"))}, Name: p.Domainname})
	}
	// Last before the host tree goes: protection covers every mount
	// above, the profile's, the desktop's and the network's.
	s = append(s, c.protectSteps(pl, s)...)
	s = append(s, plan.PivotRoot{})
	uid, gid := c.insideIDs()
	// Ids change before the mounts are locked: the nested user namespace
	// that locks them denies setgroups, and maps only the id the sandbox
	// runs as by then.
	if st, ok := c.setIDs(uid, gid); ok {
		s = append(s, st)
	}
	// A range with CAP_SYS_ADMIN kept cannot be locked, and the
	// profile refuses it (profile check sys-admin-single-id, F3).
	if lock {
		s = append(s, plan.LockMounts{UID: uid, GID: gid})
	}
	s = append(s, c.chdir(pl.Env))
	s = append(s, c.capabilities())
	if p.Process.NoNewPrivs {
		s = append(s, plan.NoNewPrivs{From: plan.From{At: plan.Origin(c.origin("process.no_new_privs"))}})
	}
	if p.Process.NewSession {
		s = append(s, plan.NewSession{From: plan.From{At: plan.Origin(c.origin("process.new_session"))}})
	}
	for _, l := range p.Limits {
		// The profile's validation refused any name it has no
		// resource for.
		res, _ := profile.LimitResource(l.Name)
		s = append(s, plan.Rlimit{From: plan.From{At: plan.Origin(l.At)}, Name: l.Name, Resource: res, Soft: l.Soft, Hard: l.Hard})
	}
	// Landlock last but seccomp, on the payload's own thread: after
	// the init forked it (the init keeps the host /proc it ends the
	// sandbox through), after every path the setup opens.
	if ll := c.landlock(s[:pivotIndex(s)]); ll != nil {
		s = append(s, *ll)
	}
	if sc := c.seccomp(); sc != nil {
		s = append(s, *sc)
	}
	path, _ := plan.LookupEnv(pl.Env, "PATH")
	s = append(s, plan.Exec{From: plan.From{At: plan.Origin(c.origin("programs"))}, Argv: append([]string(nil), argv...), Path: path, Init: p.Process.Init})
	return s
}

// pivotIndex returns the index of the pivot-root step: the view is what
// comes before it.
func pivotIndex(s []plan.Step) int {
	for i, st := range s {
		if _, ok := st.(plan.PivotRoot); ok {
			return i
		}
	}
	return len(s)
}
