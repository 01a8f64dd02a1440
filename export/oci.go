package export

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"sandbox/plan"
	"sandbox/profile"
	"sandbox/seccomp"
)

// OCIBundle is an OCI runtime bundle made from a plan: config.json plus the
// rootfs entries the plan creates itself (symlinks, directories and files
// on the empty root), which the runtime cannot create.
type OCIBundle struct {
	Spec *specs.Spec
	// Root are entries made in rootfs before the runtime mounts anything;
	// Files are file contents bound read-only from the bundle.
	Root  []RootEntry
	Files map[string][]byte
	Gaps  Gaps
}

// RootEntry is one symlink, directory or file in the bundle's rootfs.
type RootEntry struct {
	Path    string // inside, absolute
	LinkTo  string // symlink target, or ""
	Dir     bool
	Content []byte
	Mode    os.FileMode
}

// The /proc entries the sandbox masks (launcher/child_dev.c) and the /sys
// entries a bind of /sys hides (child_mount.c): the same list goes into the
// bundle, so the runtime hides the same kernel interfaces.
var (
	procMasked = []string{"kcore", "keys", "key-users", "latency_stats", "timer_list", "timer_stats",
		"sched_debug", "sysrq-trigger", "kpagecount", "kpageflags", "kpagecgroup", "acpi", "asound", "scsi"}
	procReadOnly = []string{"sys", "bus", "fs", "irq"}
	sysMasked    = []string{"firmware", "devices/virtual/powercap"}
)

// ociVersion is the spec version the bundle declares: the oldest that has
// every field it sets, so that the runtimes of current distributions
// (Debian 12's crun 1.8 refuses "1.3.0") accept it.
const ociVersion = "1.0.2"

// OCI translates a plan into a runtime bundle description.
func OCI(pl *plan.Plan) (*OCIBundle, error) {
	g := &gapper{format: "oci"}
	planGaps(pl, g)
	b := &OCIBundle{Files: map[string][]byte{}}
	s := &specs.Spec{
		Version: ociVersion,
		Root:    &specs.Root{Path: "rootfs", Readonly: true},
		Process: &specs.Process{Cwd: "/", Env: append([]string(nil), pl.Env...)},
		Linux: &specs.Linux{
			RootfsPropagation: "private",
		},
	}
	b.Spec = s
	ociNamespaces(pl, s)
	if pl.IDs != nil {
		for _, r := range pl.IDs.UIDMap {
			s.Linux.UIDMappings = append(s.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: r.Inside, HostID: r.Outside, Size: r.Count})
		}
		for _, r := range pl.IDs.GIDMap {
			s.Linux.GIDMappings = append(s.Linux.GIDMappings, specs.LinuxIDMapping{ContainerID: r.Inside, HostID: r.Outside, Size: r.Count})
		}
	}
	s.Process.User = specs.User{UID: pl.UID, GID: pl.GID}
	if pl.IDs != nil && !mapsInside0(pl.IDs.UIDMap) {
		g.add("identity", pl.IDs.At, false, "the user namespace maps no uid 0 inside (a rootless plan maps the caller's own id): some runtimes, runc 1.1 among them, refuse such a bundle")
	}
	if pl.DieWithParent {
		g.add("process.die_with_parent", plan.Origin{}, false, "the container is not killed when its caller dies: the engine (runc, podman) owns its lifetime")
	}

	rootWritable := true
	var mounted []string // mount targets so far, to know what hides a rootfs entry
	for _, st := range pl.Steps {
		switch st := st.(type) {
		case plan.MakePrivate, plan.NewRoot, plan.PivotRoot:
			// the runtime's own pivot into rootfs, with rprivate propagation.
		case plan.BindMount:
			if st.Optional && !exists(st.Source) {
				continue
			}
			s.Mounts = append(s.Mounts, bindMount(st.Source, st.Target, st.ReadOnly, st.Devices))
			mounted = append(mounted, st.Target)
			if st.Target == "/sys" {
				for _, m := range sysMasked {
					s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/sys/"+m)
				}
			}
		case plan.Tmpfs:
			opts := []string{"nosuid", "nodev", fmt.Sprintf("mode=%04o", st.Mode)}
			if st.Size > 0 {
				opts = append(opts, "size="+strconv.FormatUint(st.Size, 10))
			}
			s.Mounts = append(s.Mounts, specs.Mount{Destination: st.Target, Type: "tmpfs", Source: "tmpfs", Options: opts})
			mounted = append(mounted, st.Target)
		case plan.Proc:
			s.Mounts = append(s.Mounts, specs.Mount{Destination: st.Target, Type: "proc", Source: "proc", Options: []string{"nosuid", "nodev", "noexec"}})
			for _, m := range procMasked {
				s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, filepath.Join(st.Target, m))
			}
			for _, r := range procReadOnly {
				s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, filepath.Join(st.Target, r))
			}
			g.add("filesystem.proc", st.At, false, "masked /proc files are the runtime's read-write /dev/null binds (the plan's are read-only): they stay empty either way")
			mounted = append(mounted, st.Target)
		case plan.Dev:
			// The runtime creates null zero full random urandom tty, the
			// ptmx and fd links in a tmpfs /dev: the same set as the plan.
			d := st.Target
			s.Mounts = append(s.Mounts,
				specs.Mount{Destination: d, Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "noexec", "strictatime", "mode=755", "size=65536k"}},
				specs.Mount{Destination: d + "/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
				specs.Mount{Destination: d + "/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "nodev", "mode=1777"}})
			mounted = append(mounted, d)
			g.add("filesystem.dev", st.At, false, "the runtime makes the device nodes itself, writable (the plan binds the host's read-only): the same six devices")
		case plan.Mqueue:
			s.Mounts = append(s.Mounts, specs.Mount{Destination: st.Target, Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "nodev", "noexec"}})
			mounted = append(mounted, st.Target)
		case plan.Overlay:
			g.add("filesystem.overlay", st.At, false, "overlay at %s: not expressible in OCI without a host-side upper directory; left out", st.Target)
		case plan.Symlink:
			if under(st.Target, mounted) {
				g.add("filesystem.symlink", st.At, false, "symlink %s inside a mount: not expressible in OCI; left out", st.Target)
				continue
			}
			b.Root = append(b.Root, RootEntry{Path: st.Target, LinkTo: st.LinkTo})
		case plan.Dir:
			if under(st.Target, mounted) {
				continue // the runtime creates mount points; an empty directory is otherwise left out
			}
			b.Root = append(b.Root, RootEntry{Path: st.Target, Dir: true, Mode: os.FileMode(st.Mode)})
		case plan.File:
			src := st.CopyFrom
			if src == "" {
				name := fmt.Sprintf("files/%d%s", len(b.Files), strings.ReplaceAll(st.Target, "/", "_"))
				b.Files[name] = st.Content
				src = name
			} else if st.Optional && !exists(src) {
				continue
			}
			s.Mounts = append(s.Mounts, bindMount(src, st.Target, true, false))
		case plan.RemountReadOnly:
			if st.Target == "/" {
				rootWritable = false
				continue
			}
			s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, st.Target)
		case plan.Protect:
			s.Mounts = append(s.Mounts, bindMount(st.Host, st.Target, st.ReadOnly, false))
		case plan.LockMounts:
			g.add("lock-mounts", st.At, false, "the payload runs in the container's user namespace, not in a second one that locks its mounts: the capability drop, no_new_privs and the seccomp mount rules keep them in place")
		case plan.LoopbackUp:
			// runtimes bring lo up in a new network namespace.
		case plan.DBusSocket, plan.PulseSocket:
			// reported by planGaps.
		case plan.Hostname:
			s.Hostname = st.Name
		case plan.Domainname:
			s.Domainname = st.Name
		case plan.Chdir:
			// A runtime creates a missing cwd; the plan falls back
			// instead, so a directory nothing mounts takes the fallback.
			s.Process.Cwd = st.Dir
			if st.Fallback != "" && !visibleInside(st.Dir, s.Mounts) {
				s.Process.Cwd = st.Fallback
			}
		case plan.Rlimit:
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(st.Name), Hard: st.Hard, Soft: st.Soft})
		case plan.SetIDs:
			s.Process.User = specs.User{UID: st.UID, GID: st.GID, AdditionalGids: st.Groups}
		case plan.Capabilities:
			c := capNames(st.Names)
			lc := &specs.LinuxCapabilities{Bounding: c, Effective: c, Permitted: c, Inheritable: c}
			if st.Ambient {
				lc.Ambient = c
			}
			s.Process.Capabilities = lc
		case plan.NoNewPrivs:
			s.Process.NoNewPrivileges = true
		case plan.NewSession:
			// terminal stays false: the payload gets the caller's stdio and no controlling terminal.
		case plan.Seccomp:
			sc, err := ociSeccomp(st, g)
			if err != nil {
				return nil, fmt.Errorf("export oci: seccomp: %w", err)
			}
			s.Linux.Seccomp = sc
		case plan.UserNamespaceLimit:
			weak := pl.CloneFlags&syscall.CLONE_NEWUSER == 0 || !hasSeccomp(pl)
			g.add("process.nested_user_namespaces", st.At, weak, "user.max_user_namespaces = %d is not a sysctl OCI runtimes accept; the seccomp namespace rules hold alone", st.Max)
		case plan.Exec:
			s.Process.Args = append([]string(nil), st.Argv...)
			if st.Init {
				g.add("process.init", st.At, false, "the payload is PID 1 itself: add the engine's init (podman --init, docker --init) to reap orphans")
			}
		default:
			g.add(st.Kind(), st.Origin(), true, "step %q has no OCI equivalent", st.Kind())
		}
	}
	if len(steps[plan.NewSession](pl)) == 0 {
		g.add("process.terminal", plan.Origin{}, false, "terminal is false: the payload gets the caller's standard streams but no controlling terminal (a launch hands it the caller's terminal as a job); set terminal to true for a terminal of its own")
	}
	if rootWritable {
		g.add("filesystem.root", plan.Origin{}, false, "the root is the bundle's rootfs, read-only (the plan's is a private writable tmpfs)")
	}
	if s.Process.Capabilities == nil {
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{}, Effective: []string{}, Permitted: []string{}, Inheritable: []string{}}
	}
	b.Gaps = g.gaps
	return b, nil
}

func mapsInside0(r []plan.IDRange) bool {
	for _, x := range r {
		if x.Inside == 0 {
			return true
		}
	}
	return false
}

func hasSeccomp(pl *plan.Plan) bool { return len(steps[plan.Seccomp](pl)) > 0 }

func ociNamespaces(pl *plan.Plan, s *specs.Spec) {
	for _, n := range []struct {
		flag uintptr
		typ  specs.LinuxNamespaceType
	}{
		{syscall.CLONE_NEWPID, specs.PIDNamespace},
		{syscall.CLONE_NEWNET, specs.NetworkNamespace},
		{syscall.CLONE_NEWNS, specs.MountNamespace},
		{syscall.CLONE_NEWIPC, specs.IPCNamespace},
		{syscall.CLONE_NEWUTS, specs.UTSNamespace},
		{syscall.CLONE_NEWUSER, specs.UserNamespace},
		{syscall.CLONE_NEWCGROUP, specs.CgroupNamespace},
	} {
		if pl.CloneFlags&n.flag != 0 {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: n.typ})
		}
	}
	if pl.TimeNamespace {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	}
}

// bindMount is a recursive bind, nosuid, nodev unless it keeps devices, as
// the sandbox's binds are.
func bindMount(src, dst string, ro, devices bool) specs.Mount {
	opts := []string{"rbind", "nosuid"}
	if !devices {
		opts = append(opts, "nodev")
	}
	if ro {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}

// under reports whether p lies inside one of the mount targets (not "/").
func under(p string, mounts []string) bool {
	for _, m := range mounts {
		if m != "/" && (p == m || strings.HasPrefix(p, m+"/")) {
			return true
		}
	}
	return false
}

// visibleInside reports whether dir exists in the mount view: the last
// mount covering it is a bind whose host source has it.
func visibleInside(dir string, mounts []specs.Mount) bool {
	if dir == "/" {
		return true
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		m := mounts[i]
		if dir != m.Destination && !strings.HasPrefix(dir, strings.TrimSuffix(m.Destination, "/")+"/") {
			continue
		}
		if m.Type != "bind" {
			return dir == m.Destination
		}
		fi, err := os.Stat(filepath.Join(m.Source, strings.TrimPrefix(dir, m.Destination)))
		return err == nil && fi.IsDir()
	}
	return false
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// ociSeccomp writes the filter's rules as OCI seccomp JSON: each rule of the
// compiled filter once, unconditional rules grouped by action.
func ociSeccomp(st plan.Seccomp, g *gapper) (*specs.LinuxSeccomp, error) {
	set, err := seccomp.Rules(st)
	if err != nil {
		return nil, err
	}
	def, defErrno := ociAction(set.Default)
	sc := &specs.LinuxSeccomp{DefaultAction: def, DefaultErrnoRet: defErrno, Architectures: []specs.Arch{specs.ArchX86_64}}
	groups := map[string]int{}
	for _, r := range set.Rules {
		act, errno := ociAction(r.Action)
		if r.Arg == nil {
			key := fmt.Sprintf("%s/%v", act, ptrVal(errno))
			if i, ok := groups[key]; ok {
				sc.Syscalls[i].Names = append(sc.Syscalls[i].Names, r.Syscall)
				continue
			}
			groups[key] = len(sc.Syscalls)
			sc.Syscalls = append(sc.Syscalls, specs.LinuxSyscall{Names: []string{r.Syscall}, Action: act, ErrnoRet: errno})
			continue
		}
		sc.Syscalls = append(sc.Syscalls, specs.LinuxSyscall{Names: []string{r.Syscall}, Action: act, ErrnoRet: errno,
			Args: []specs.LinuxSeccompArg{{Index: r.Arg.Index, Value: uint64(r.Arg.Mask), ValueTwo: uint64(r.Arg.Value), Op: specs.OpMaskedEqual}}})
	}
	g.add("seccomp.abi", st.At, false, "calls through the i386 or x32 ABI get the runtime's bad-architecture action (runc, crun: killed or refused) instead of killing the whole process")
	return sc, nil
}

func ptrVal(p *uint) any {
	if p == nil {
		return nil
	}
	return *p
}

func ociAction(a profile.Action) (specs.LinuxSeccompAction, *uint) {
	switch a.Kind {
	case profile.ActAllow:
		return specs.ActAllow, nil
	case profile.ActKill:
		return specs.ActKillProcess, nil
	case profile.ActLog:
		return specs.ActLog, nil
	case profile.ActTrap:
		return specs.ActTrap, nil
	}
	e := uint(a.Errno)
	return specs.ActErrno, &e
}
