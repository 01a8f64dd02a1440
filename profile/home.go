package profile

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// HomesDir is where persistent homes live: $XDG_DATA_HOME/sandbox/homes,
// or ~/.local/share/sandbox/homes. "" when neither can be known.
func HomesDir(env Env) string {
	if v := env.Var("XDG_DATA_HOME"); filepath.IsAbs(v) {
		return filepath.Join(v, "sandbox", "homes")
	}
	if !filepath.IsAbs(env.Home) || filepath.Clean(env.Home) == "/" {
		return ""
	}
	return filepath.Join(env.Home, ".local", "share", "sandbox", "homes")
}

// HomeName is the name of the persistent home a profile requested as
// nameOrPath gets: the profile's name, or a profile file's name without
// ".toml". A user's firefox.toml that extends the built-in one shares its
// home, which is what "my firefox" means.
func HomeName(nameOrPath string) string {
	if isPath(nameOrPath) {
		return profileName(nameOrPath)
	}
	return nameOrPath
}

// applyPersistentHome puts the persistent home in place of the profile's
// entry at $HOME: a tmpfs there becomes a bind of the home directory, at
// the same place in the order, so that what the profile mounts below
// $HOME (Downloads, the desktop's sockets) still lands on top of it. A
// profile without an entry at $HOME gets the bind before its first entry
// below $HOME. Any other entry at $HOME is a conflict the user must
// resolve: silently dropping a bind there could lose data.
func applyPersistentHome(p *Profile, env Env) Errors {
	if !p.Filesystem.PersistentHome {
		return nil
	}
	at := p.Origins["filesystem.persistent_home"]
	fail := func(format string, args ...any) Errors {
		return Errors{{File: at.File, Line: at.Line, Col: at.Col, Key: "filesystem.persistent_home", Msg: fmt.Sprintf(format, args...)}}
	}
	home := filepath.Clean(env.Home)
	if !filepath.IsAbs(env.Home) || home == "/" {
		return fail("a persistent home needs the caller's home directory, and $HOME is not set to one; set HOME, or remove this line")
	}
	base := HomesDir(env)
	if base == "" {
		return fail("a persistent home needs $XDG_DATA_HOME or $HOME to place it in")
	}
	name := HomeName(p.Name)
	// The name becomes one path component on the host.
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || controlCharMessage(name, 0) != "" {
		return fail("the profile name %s cannot name a home directory; load the profile by a plain name or a file with a plain name", quote(name))
	}
	dir := filepath.Join(base, name)
	if dir == home || strings.HasPrefix(home, dir+"/") {
		return fail("the persistent home %s would contain $HOME itself; set XDG_DATA_HOME outside %s", dir, home)
	}
	p.Filesystem.HomeDir = dir
	bind := Mount{Type: MountBind, Source: dir, Target: home, Home: true, At: at}
	mounts := p.Filesystem.Mounts
	for i, m := range mounts {
		if m.Target != home {
			continue
		}
		if m.Type != MountTmpfs {
			return fail("the %s entry at %s already mounts $HOME (%s); a persistent home replaces only a tmpfs there: remove that entry (merge.remove.mount = [%s]) or this line",
				m.Type, originString(m.At, at.File), home, quote(home))
		}
		mounts[i] = bind
		return nil
	}
	i := slices.IndexFunc(mounts, func(m Mount) bool { return strings.HasPrefix(m.Target, home+"/") })
	if i < 0 {
		i = len(mounts)
	}
	p.Filesystem.Mounts = slices.Insert(mounts, i, bind)
	return nil
}
