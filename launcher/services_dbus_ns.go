package launcher

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"sandbox/plan"
)

// The D-Bus proxy runs in a namespace of its own, built by the same child
// code as the sandbox: a read-only root holding the system directories,
// the real buses' sockets, /.flatpak-info, and the private directory where
// it creates its sockets, which it alone may write. The portal, reading
// /proc/PID/root/.flatpak-info of the proxy's pid, then sees a sandboxed
// app (compile/desktop_portal.go); whatever the sandbox does, the file is
// out of its reach: the proxy's mount namespace is not the sandbox's, and
// even a payload that shares the host's pid namespace and reaches
// /proc/PID/root finds it on a read-only mount.
//
// Rootless, the namespace is a user namespace mapping only the caller's
// own ids to themselves, so the bus and the portal see the caller's uid,
// as before. As root it is a mount namespace alone. Either way the proxy
// runs without capabilities and with no_new_privs.

// proxySystemDirs are bound read-only, or recreated as the symlinks they
// are on the host (merged /usr): the proxy's program, libraries and the
// dynamic loader's configuration.
var proxySystemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}

// proxyPlan is the plan of the proxy's namespace: program runs with args,
// creating its sockets in dir, with readyFD (its --fd) passed.
func proxyPlan(p *plan.DBusProxy, program string, args []string, dir string, readyFD int, instance string) *plan.Plan {
	var at plan.Origin
	if len(p.Buses) > 0 {
		at = p.Buses[0].At
	}
	from := plan.From{At: at}
	pl := &plan.Plan{Profile: "xdg-dbus-proxy", CloneFlags: syscall.CLONE_NEWNS, Env: os.Environ(),
		DieWithParent: true, PassFDs: []int{readyFD}}
	if os.Geteuid() != 0 {
		uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
		pl.CloneFlags |= syscall.CLONE_NEWUSER
		pl.IDs = &plan.IDMapping{UIDMap: []plan.IDRange{{Inside: uid, Outside: uid, Count: 1}},
			GIDMap: []plan.IDRange{{Inside: gid, Outside: gid, Count: 1}}, DenySetgroups: true, At: at}
	}
	steps := []plan.Step{plan.MakePrivate{From: from}, plan.NewRoot{From: from}}
	bound := func(path string) bool {
		for _, s := range steps {
			if b, ok := s.(plan.BindMount); ok && (path == b.Target || strings.HasPrefix(path, b.Target+"/")) {
				return true
			}
		}
		return false
	}
	for _, d := range proxySystemDirs {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if to, err := os.Readlink(d); err == nil {
				steps = append(steps, plan.Symlink{From: from, Target: d, LinkTo: to})
			}
		case fi.IsDir():
			steps = append(steps, plan.BindMount{From: from, Source: d, Target: d, ReadOnly: true})
		}
	}
	if !bound(program) {
		steps = append(steps, plan.BindMount{From: from, Source: program, Target: program, ReadOnly: true})
	}
	for _, b := range p.Buses {
		for _, sock := range dbusSocketPaths(b.Address) {
			if !bound(sock) {
				steps = append(steps, plan.BindMount{From: plan.From{At: b.At}, Source: sock, Target: sock, ReadOnly: true})
			}
		}
	}
	// The root is read-only once /.flatpak-info is written; only the
	// private directory, bound over its empty mount point afterwards,
	// stays writable.
	steps = append(steps,
		plan.Dir{From: from, Target: dir, Mode: 0o700},
		plan.File{From: from, Target: "/.flatpak-info", Content: portalInfo(p, instance), Mode: 0o444},
		plan.RemountReadOnly{From: from, Target: "/"},
		plan.BindMount{From: from, Source: dir, Target: dir},
		plan.PivotRoot{From: from},
		plan.Chdir{From: from, Dir: "/"},
		plan.Capabilities{From: from},
		plan.NoNewPrivs{From: from},
		plan.NewSession{From: from},
		plan.Exec{From: from, Argv: append([]string{program}, args...)})
	pl.Steps = steps
	return pl
}

// dbusSocketPaths are the socket files a D-Bus address names: the path of
// each unix:path= entry, unescaped. Abstract sockets and TCP need no file.
func dbusSocketPaths(addr string) []string {
	var out []string
	for _, entry := range strings.Split(addr, ";") {
		kv, ok := strings.CutPrefix(entry, "unix:")
		if !ok {
			continue
		}
		for _, pair := range strings.Split(kv, ",") {
			if v, ok := strings.CutPrefix(pair, "path="); ok {
				if p, err := dbusUnescape(v); err == nil && strings.HasPrefix(p, "/") {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// dbusUnescape undoes the %XX escaping of a D-Bus address value.
func dbusUnescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated escape in %q", s)
		}
		var v byte
		for _, c := range []byte(s[i+1 : i+3]) {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= c - '0'
			case c >= 'a' && c <= 'f':
				v |= c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v |= c - 'A' + 10
			default:
				return "", fmt.Errorf("bad escape in %q", s)
			}
		}
		b.WriteByte(v)
		i += 2
	}
	return b.String(), nil
}
