package main

import (
	"bufio"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"sandbox/launcher"
	"sandbox/profile"
	"sandbox/profiles"
)

// caller gathers what the profile language and the compiler need to know
// about the user running sandbox. It is read once per invocation.
type caller struct {
	env  profile.Env
	src  profile.Source
	host launcher.Host
}

func newCaller() caller {
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	name, home := vars["USER"], vars["HOME"]
	// The user database is read only when the environment does not say:
	// an NSS lookup costs more than the rest of the launch's setup.
	if name == "" || home == "" {
		if uname, uhome, ok := lookupUser(uid); ok {
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
		UserDirs: readUserDirs(home, vars)}
	host := launcher.Host{UID: uid, GID: gid, EUID: uint32(os.Geteuid()), User: name, Home: home,
		Cwd: cwd, Env: os.Environ()}
	if host.EUID != 0 {
		// Ranges are looked up only for an unprivileged caller: root
		// maps ids itself.
		host.SubUIDs, _ = launcher.ReadSubIDs("/etc/subuid", name, uid)
		host.SubGIDs, _ = launcher.ReadSubIDs("/etc/subgid", name, uid)
	}
	return caller{env: env, src: profile.Source{Dirs: profile.DefaultDirs(env), Builtin: profiles.FS}, host: host}
}

// lookupUser returns the name and home of uid from the user database. The
// static build (make build) reads /etc/passwd itself, without the C
// library; a user only another source knows (LDAP, SSSD, systemd-homed)
// comes from getent, which asks the C library's NSS like any program.
func lookupUser(uid uint32) (name, home string, ok bool) {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username, u.HomeDir, true
	}
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
func readUserDirs(home string, vars map[string]string) map[string]string {
	cfg := vars["XDG_CONFIG_HOME"]
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs"))
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
