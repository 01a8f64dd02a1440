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
)

// BwrapSeccompFD is the descriptor the bubblewrap argument vector reads its
// seccomp program from: the caller opens the BPF file written beside it
// there (the shell line does so with a redirection).
const BwrapSeccompFD = 3

// Bwrap is a plan as a bubblewrap command line.
type Bwrap struct {
	// Prefix runs before bwrap: setpriv for a root launch whose sandbox
	// maps to an unprivileged host id, prlimit for resource limits.
	Prefix []string
	Args   []string
	// Seccomp is the raw BPF program for --seccomp, nil without a filter.
	Seccomp []byte
	// Files are contents the plan writes into the sandbox, by name in
	// the directory given to BwrapOf.
	Files map[string][]byte
	Gaps  Gaps
}

// Argv is the whole command: prefix, bwrap and its arguments.
func (b *Bwrap) Argv() []string { return append(append([]string(nil), b.Prefix...), b.Args...) }

// BwrapOf translates a plan into bubblewrap arguments. uid is the caller's
// (os.Getuid): bubblewrap maps the sandbox's ids to the uid that runs it,
// so a root caller whose plan maps to an unprivileged host id runs bwrap as
// that id. dir is where the side files (BPF program, file contents) will
// be written.
func BwrapOf(pl *plan.Plan, uid int, dir string) (*Bwrap, error) {
	g := &gapper{format: "bwrap"}
	planGaps(pl, g)
	b := &Bwrap{}
	a := []string{"bwrap"}
	user := pl.CloneFlags&syscall.CLONE_NEWUSER != 0
	for _, n := range []struct {
		flag uintptr
		opt  string
	}{
		{syscall.CLONE_NEWUSER, "--unshare-user"}, {syscall.CLONE_NEWIPC, "--unshare-ipc"},
		{syscall.CLONE_NEWPID, "--unshare-pid"}, {syscall.CLONE_NEWNET, "--unshare-net"},
		{syscall.CLONE_NEWUTS, "--unshare-uts"}, {syscall.CLONE_NEWCGROUP, "--unshare-cgroup"},
	} {
		if pl.CloneFlags&n.flag != 0 {
			a = append(a, n.opt)
		}
	}
	if pl.TimeNamespace {
		g.add("namespaces.time", plan.Origin{}, false, "bubblewrap has no time namespace; the clocks are the host's")
	}
	if user {
		a = append(a, "--uid", strconv.FormatUint(uint64(pl.UID), 10), "--gid", strconv.FormatUint(uint64(pl.GID), 10))
		if pl.IDs != nil {
			if len(pl.IDs.UIDMap) != 1 || pl.IDs.UIDMap[0].Count != 1 {
				g.add("identity", pl.IDs.At, false, "bubblewrap maps one id only: the sandbox's uid %d maps to the uid running bwrap", pl.UID)
			}
			hu, hg, ok := pl.HostIDs()
			if ok && uint32(uid) != hu {
				if uid != 0 {
					return nil, fmt.Errorf("export bwrap: the plan maps the sandbox to host uid %d, but bwrap would map it to the caller's uid %d: export as root or as that user", hu, uid)
				}
				b.Prefix = append(b.Prefix, "setpriv", fmt.Sprintf("--reuid=%d", hu), fmt.Sprintf("--regid=%d", hg), "--clear-groups", "--")
			}
		}
	}
	if dw := pl.DieWithParent; dw {
		a = append(a, "--die-with-parent")
	}
	var (
		limits []string
		view   []specs.Mount // what is mounted so far, for the cwd fallback
	)
	for _, st := range pl.Steps {
		switch st := st.(type) {
		case plan.MakePrivate, plan.NewRoot, plan.PivotRoot, plan.LoopbackUp:
			// bubblewrap's own: a private tmpfs root, pivot_root, lo up.
		case plan.BindMount:
			opt := "--bind"
			switch {
			case st.Devices:
				opt = "--dev-bind"
			case st.ReadOnly:
				opt = "--ro-bind"
			}
			if st.Optional {
				opt += "-try"
			}
			a = append(a, opt, st.Source, st.Target)
			view = append(view, specs.Mount{Type: "bind", Source: st.Source, Destination: st.Target})
			if st.Devices && st.ReadOnly {
				a = append(a, "--remount-ro", st.Target)
			}
		case plan.Tmpfs:
			if st.Size > 0 {
				a = append(a, "--size", strconv.FormatUint(st.Size, 10))
			}
			a = append(a, "--perms", fmt.Sprintf("%04o", st.Mode), "--tmpfs", st.Target)
			view = append(view, specs.Mount{Type: "tmpfs", Destination: st.Target})
		case plan.Proc:
			a = append(a, "--proc", st.Target)
			// The plan's masks: files under /dev/null, directories under
			// an empty read-only tmpfs.
			for _, m := range procMasked {
				p := filepath.Join(st.Target, m)
				switch m {
				case "acpi", "asound", "scsi":
					if exists("/proc/" + m) {
						a = append(a, "--perms", "0555", "--tmpfs", p, "--remount-ro", p)
					}
				default:
					if exists("/proc/" + m) {
						a = append(a, "--ro-bind", "/dev/null", p)
					}
				}
			}
			g.add("filesystem.proc", st.At, false, "bubblewrap cannot remount /proc/sys, bus, fs and irq read-only; only root on the host may write them, which the sandbox's ids are not")
		case plan.Dev:
			a = append(a, "--dev", st.Target, "--tmpfs", filepath.Join(st.Target, "shm"))
			g.add("filesystem.dev", st.At, false, "bubblewrap binds the device nodes writable and /dev without noexec (the plan's are read-only): the same six devices")
		case plan.Mqueue:
			a = append(a, "--mqueue", st.Target)
		case plan.Overlay:
			g.add("filesystem.overlay", st.At, false, "overlay at %s: left out (bubblewrap 0.8 has no overlay)", st.Target)
		case plan.Symlink:
			a = append(a, "--symlink", st.LinkTo, st.Target)
		case plan.Dir:
			a = append(a, "--perms", fmt.Sprintf("%04o", st.Mode), "--dir", st.Target)
		case plan.File:
			if st.CopyFrom != "" {
				opt := "--ro-bind"
				if st.Optional {
					opt += "-try"
				}
				a = append(a, opt, st.CopyFrom, st.Target)
				continue
			}
			// The content is written beside the command and bound
			// read-only, like the BPF file.
			name := fmt.Sprintf("file%d%s", len(b.Files), strings.ReplaceAll(st.Target, "/", "_"))
			if b.Files == nil {
				b.Files = map[string][]byte{}
			}
			b.Files[name] = st.Content
			a = append(a, "--ro-bind", filepath.Join(dir, name), st.Target)
		case plan.RemountReadOnly:
			a = append(a, "--remount-ro", st.Target)
		case plan.Protect:
			if st.ReadOnly {
				a = append(a, "--ro-bind", st.Host, st.Target)
			} else {
				a = append(a, "--bind", st.Host, st.Target)
			}
		case plan.LockMounts:
			g.add("lock-mounts", st.At, false, "no second user namespace locks the mounts: the capability drop, no_new_privs and the seccomp mount rules keep them in place")
		case plan.DBusSocket, plan.PulseSocket:
		case plan.Hostname:
			a = append(a, "--hostname", st.Name)
		case plan.Domainname:
			g.add("uts.domainname", st.At, false, "bubblewrap cannot set the domain name")
		case plan.Chdir:
			dir := st.Dir
			if st.Fallback != "" && !visibleInside(dir, view) {
				dir = st.Fallback
			}
			a = append(a, "--chdir", dir)
		case plan.Rlimit:
			limits = append(limits, fmt.Sprintf("--%s=%s:%s", st.Name, rlim(st.Soft), rlim(st.Hard)))
		case plan.SetIDs:
			if !user {
				g.add("identity", st.At, true, "bubblewrap without a user namespace cannot switch to uid %d", st.UID)
			}
		case plan.Capabilities:
			a = append(a, "--cap-drop", "ALL")
			for _, c := range capNames(st.Names) {
				a = append(a, "--cap-add", c)
			}
			if st.Ambient && len(st.Names) > 0 {
				g.add("capabilities.ambient", st.At, false, "bubblewrap raises --cap-add capabilities into the ambient set of a non-root payload on its own terms")
			}
		case plan.NoNewPrivs:
			// bubblewrap always sets no_new_privs.
		case plan.NewSession:
			a = append(a, "--new-session")
		case plan.Seccomp:
			b.Seccomp = append([]byte(nil), st.Program...)
			a = append(a, "--seccomp", strconv.Itoa(BwrapSeccompFD))
		case plan.UserNamespaceLimit:
			if st.Max == 0 || st.Max == 1 {
				a = append(a, "--disable-userns")
				g.add("identity.uid_map", st.At, false, "--disable-userns nests a second user namespace: the payload's uid_map and gid_map read \"0 0 1\" relative to it; the host ids are the same")
			}
		case plan.Exec:
			if st.Init {
				// bubblewrap with --unshare-pid keeps a reaping PID 1.
			}
			for _, kv := range pl.Env {
				k, v, _ := strings.Cut(kv, "=")
				a = append(a, "--setenv", k, v)
			}
			a = append(a, "--")
			a = append(a, st.Argv...)
		default:
			g.add(st.Kind(), st.Origin(), true, "step %q has no bubblewrap equivalent", st.Kind())
		}
	}
	a = insertClearenv(a)
	if len(limits) > 0 {
		b.Prefix = append(append(b.Prefix, "prlimit"), append(limits, "--")...)
	}
	b.Args = a
	b.Gaps = g.gaps
	return b, nil
}

// insertClearenv puts --clearenv first, so only the plan's variables
// reach the payload.
func insertClearenv(a []string) []string {
	return append([]string{a[0], "--clearenv"}, a[1:]...)
}

func rlim(v uint64) string {
	if v == ^uint64(0) {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// ShellQuote renders argv as one POSIX shell line.
func ShellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, s := range argv {
		if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+/.,:@%") == "" {
			q[i] = s
			continue
		}
		q[i] = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// BwrapSeccompFile is the name of the BPF file beside the command.
const BwrapSeccompFile = "seccomp.bpf"

// WriteFiles writes the side files into dir: the BPF program and the file
// contents the arguments bind.
func (b *Bwrap) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export bwrap: %w", err)
	}
	if b.Seccomp != nil {
		if err := os.WriteFile(filepath.Join(dir, BwrapSeccompFile), b.Seccomp, 0o644); err != nil {
			return fmt.Errorf("export bwrap: %w", err)
		}
	}
	for name, data := range b.Files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("export bwrap: %w", err)
		}
	}
	return nil
}
