package plan

import (
	"fmt"
	"strings"
)

// The Describe methods say what each step does in words a person
// understands; `sandbox explain` prints them with the line they came from.

func (MakePrivate) Describe() string {
	return "make every mount private, so nothing mounted in the sandbox reaches the host"
}

func (NewRoot) Describe() string {
	return "start from an empty root (a fresh tmpfs); nothing of the host is visible unless listed below"
}

func (s BindMount) Describe() string {
	how := "read-write"
	if s.ReadOnly {
		how = "read-only (with every submount)"
	}
	dev := ""
	if s.Devices {
		dev = ", device nodes usable"
	}
	opt := ""
	if s.Optional {
		opt = " (skipped if missing)"
	}
	if s.Source == s.Target {
		return fmt.Sprintf("%s is bound %s from the host%s%s", s.Target, how, dev, opt)
	}
	return fmt.Sprintf("%s shows the host's %s, %s%s%s", s.Target, s.Source, how, dev, opt)
}

func (s Tmpfs) Describe() string {
	size := "no size limit beyond the kernel default"
	if s.Size > 0 {
		size = "at most " + humanSize(s.Size)
	}
	return fmt.Sprintf("%s is a private, empty, writable tmpfs (mode %#o, %s); its content is lost on exit", s.Target, s.Mode, size)
}

func (s Proc) Describe() string {
	return fmt.Sprintf("%s shows only the sandbox's own processes; /proc/sys is read-only and kernel-sensitive files are masked", s.Target)
}

func (s Dev) Describe() string {
	return fmt.Sprintf("%s is a minimal device directory: null zero full random urandom tty (read-only binds of the host's nodes, which cannot be changed), a private pts and shm; console is the caller's terminal when the payload is handed one; no other devices", s.Target)
}

func (s Mqueue) Describe() string {
	return fmt.Sprintf("%s holds the sandbox's own POSIX message queues", s.Target)
}

func (s Overlay) Describe() string {
	upper := "changes go to a tmpfs and are lost on exit"
	if s.Upper != "" {
		upper = "changes are kept in the host's " + s.Upper
	}
	return fmt.Sprintf("%s overlays %s (read-only); %s", s.Target, strings.Join(s.Lower, ", "), upper)
}

func (s Symlink) Describe() string {
	return fmt.Sprintf("%s is a symlink to %s", s.Target, s.LinkTo)
}

func (s Dir) Describe() string {
	return fmt.Sprintf("%s is an empty directory (mode %#o)", s.Target, s.Mode)
}

func (s File) Describe() string {
	if s.CopyFrom != "" {
		return fmt.Sprintf("%s is a copy of the host's %s (mode %#o); changes stay inside", s.Target, s.CopyFrom, s.Mode)
	}
	return fmt.Sprintf("%s is a file with %d bytes of content from the profile (mode %#o)", s.Target, len(s.Content), s.Mode)
}

func (s RemountReadOnly) Describe() string {
	return fmt.Sprintf("%s and everything mounted under it become read-only", s.Target)
}

func (s Protect) Describe() string {
	if s.ReadOnly {
		return fmt.Sprintf("%s is read-only whatever the profile binds (%s)", s.Target, s.Why)
	}
	return fmt.Sprintf("%s is pinned: it cannot be renamed or replaced, so %s stays where the host looks for it", s.Target, s.Why)
}

func (PivotRoot) Describe() string {
	return "switch to the new root and detach the host's root, so the host tree is unreachable"
}

func (s LockMounts) Describe() string {
	return "lock every mount above: the payload cannot remount or unmount them, whatever capabilities it holds"
}

func (LoopbackUp) Describe() string {
	return "bring up the loopback interface (lo) of the sandbox's own network namespace"
}

func (s DBusSocket) Describe() string {
	return fmt.Sprintf("%s is the %s bus, through a filtering proxy the launcher starts on the host (only the names the profile lists are reachable)", s.Target, s.Bus)
}

func (s PulseSocket) Describe() string {
	return fmt.Sprintf("%s is the sound server, through a filter the launcher runs on the host (playing and recording only: no modules, no server settings, no other program's streams)", s.Target)
}

func (s Hostname) Describe() string {
	return fmt.Sprintf("the hostname is %q (the host's is unchanged)", s.Name)
}

func (s Domainname) Describe() string {
	return fmt.Sprintf("the domain name is %q (the host's is unchanged)", s.Name)
}

func (s Chdir) Describe() string {
	if s.Fallback != "" {
		return fmt.Sprintf("start in %s (or %s if it is not visible inside)", s.Dir, s.Fallback)
	}
	return fmt.Sprintf("start in %s", s.Dir)
}

func (s UserNamespaceLimit) Describe() string {
	d := "set user.max_user_namespaces to 0 in the sandbox's user namespace: the payload cannot create user namespaces, with or without the seccomp filter"
	if s.Max > 0 {
		d = fmt.Sprintf("set user.max_user_namespaces to %d in the sandbox's user namespace, for the one the setup makes to lock the mounts: the payload cannot create any", s.Max)
	}
	if s.Optional {
		d += " (where the kernel refuses, the filter holds alone)"
	}
	return d
}

func (s Rlimit) Describe() string {
	return fmt.Sprintf("limit %s to %s (hard %s)", s.Name, LimitString(s.Name, s.Soft), LimitString(s.Name, s.Hard))
}

func (s SetIDs) Describe() string {
	groups := "no supplementary groups"
	if s.KeepGroups {
		groups = "supplementary groups unchanged"
	}
	return fmt.Sprintf("run as uid %d, gid %d, %s", s.UID, s.GID, groups)
}

func (s Capabilities) Describe() string {
	if len(s.Names) == 0 {
		return "drop every capability from all five sets (bounding, permitted, effective, inheritable, ambient)"
	}
	amb := ""
	if s.Ambient {
		amb = ", also raised to the ambient set so they survive exec"
	}
	return fmt.Sprintf("keep only %s; drop every other capability from all five sets%s", strings.Join(s.Names, ", "), amb)
}

func (NoNewPrivs) Describe() string {
	return "set no_new_privs: setuid programs and file capabilities grant nothing"
}

func (NewSession) Describe() string {
	return "start a new session with no controlling terminal, so the payload cannot inject input into the caller's terminal"
}

// Describe names the filter; explain lists Summary under it, one rule a
// line.
func (s Seccomp) Describe() string {
	return fmt.Sprintf("load the seccomp filter, last, right before exec (%d BPF instructions)", len(s.Program)/8)
}

func (s Exec) Describe() string {
	cmd := strings.Join(s.Argv, " ")
	if cmd == "" {
		cmd = "the command"
	}
	if s.Init {
		return fmt.Sprintf("run %s under a small init (PID 1) that reaps orphans and forwards signals", cmd)
	}
	return fmt.Sprintf("run %s as PID 1 of the sandbox", cmd)
}

func humanSize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f == float64(uint64(f)) {
		return fmt.Sprintf("%d %s", uint64(f), units[i])
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

func LimitString(name string, v uint64) string {
	if v == ^uint64(0) {
		return "unlimited"
	}
	switch name {
	case "as", "core", "data", "fsize", "memlock", "msgqueue", "rss", "stack":
		return humanSize(v)
	case "cpu":
		return fmt.Sprintf("%d s", v)
	case "rttime":
		return fmt.Sprintf("%d µs", v)
	}
	return fmt.Sprintf("%d", v)
}
