package main

import (
	"bufio"
	"os"
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
		if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
			if name == "" {
				name = u.Username
			}
			if home == "" {
				home = u.HomeDir
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
