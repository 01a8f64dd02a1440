package main

import (
	"bufio"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"sandbox/hostview"
	"sandbox/profile"
	"sandbox/profiles"
)

// caller gathers what the profile language and the compiler need to know
// about the user running sandbox. It is read once per invocation.
type caller struct {
	env  profile.Env
	src  profile.Source
	host hostview.Host
	// inputs records the host files all of this was read from, and the
	// variables, for the plan cache.
	inputs *hostview.PlanInputs
	// environ is the environment all of this was read from, as the
	// process received it: the plan cache's digest of the variables in
	// inputs is taken over it.
	environ []string
}

func newCaller() caller { return newCallerIn(os.Environ()) }

// newCallerIn reads the caller from the environment environ. The
// environment reaches the profile's load and the compile only through
// env.Var and the Host, which both record each variable they read in
// inputs: a cached plan depends on those and on no other variable.
func newCallerIn(environ []string) caller {
	in := &hostview.PlanInputs{}
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	vars := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	view := profile.Env{Vars: vars, UseVar: in.UseEnv}
	name, home := view.Var("USER"), view.Var("HOME")
	// The user database is read only when the environment does not say:
	// an NSS lookup costs more than the rest of the launch's setup.
	if name == "" || home == "" {
		if uname, uhome, ok := lookupUser(uid, in); ok {
			if name == "" {
				name = uname
			}
			if home == "" {
				home = uhome
			}
		}
	}
	if name == "" {
		name = strconv.Itoa(int(uid))
	}
	if home == "" {
		home = "/"
	}
	cwd, _ := os.Getwd()
	env := profile.Env{UID: uid, GID: gid, User: name, Home: home, Cwd: cwd, Vars: vars,
		UseVar: in.UseEnv, UserDirs: readUserDirs(home, view, in)}
	host := hostview.Host{UID: uid, GID: gid, EUID: uint32(os.Geteuid()), User: name, Home: home,
		Cwd: cwd, Env: environ, Inputs: in}
	// Root's own grants are looked up by its name, not $USER: under
	// sudo -E that names the invoking user, whose ranges are not root's.
	subName := name
	if uid == 0 {
		subName = "root"
	}
	in.Observe("/etc/subuid")
	in.Observe("/etc/subgid")
	host.SubUIDs, _ = hostview.ReadSubIDs("/etc/subuid", subName, uid)
	host.SubGIDs, _ = hostview.ReadSubIDs("/etc/subgid", subName, uid)
	src := profile.Source{Dirs: profile.DefaultDirs(env), Builtin: profiles.FS, Observe: in.Observe, Look: in.Look}
	return caller{env: env, src: src, host: host, inputs: in, environ: environ}
}

// lookupUser returns the name and home of uid from the user database. The
// static build (make build) reads /etc/passwd itself, without the C
// library; a user only another source knows (LDAP, SSSD, systemd-homed)
// comes from getent, which asks the C library's NSS like any program.
func lookupUser(uid uint32, in *hostview.PlanInputs) (name, home string, ok bool) {
	id := strconv.FormatUint(uint64(uid), 10)
	in.Observe("/etc/passwd")
	if u, err := user.LookupId(id); err == nil {
		return u.Username, u.HomeDir, true
	}
	in.Refuse("the user database was asked through getent")
	out, err := exec.Command("getent", "passwd", id).Output()
	if err != nil {
		return "", "", false
	}
	// name:password:uid:gid:gecos:home:shell
	f := strings.Split(strings.TrimSuffix(string(out), "\n"), ":")
	if len(f) != 7 || f[2] != id || f[0] == "" {
		return "", "", false
	}
	return f[0], f[5], true
}

// readUserDirs parses ~/.config/user-dirs.dirs (XDG_DOWNLOAD_DIR="$HOME/Downloads").
func readUserDirs(home string, env profile.Env, in *hostview.PlanInputs) map[string]string {
	cfg := env.Var("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	file := filepath.Join(cfg, "user-dirs.dirs")
	in.Observe(file)
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	dirs := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || !strings.HasPrefix(k, "XDG_") {
			continue
		}
		v = strings.Trim(v, `"`)
		v = strings.Replace(v, "$HOME", home, 1)
		if filepath.IsAbs(v) {
			dirs[k] = filepath.Clean(v)
		}
	}
	return dirs
}
