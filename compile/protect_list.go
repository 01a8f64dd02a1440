package compile

import (
	"path/filepath"
	"strings"

	"sandbox/profile"
)

// trusted is one host path that the host runs, or trusts to say what to
// run, without the user asking for that file (checklist H1, H2). Wherever
// a writable bind of a profile exposes one, the compiler keeps it
// read-only inside (compile/protect.go).
type trusted struct {
	path string
	why  string
	// dir says what the path is when it exists: a directory, or a file.
	// It only shapes the fix a refusal suggests (mkdir -p or touch).
	dir bool
	// optional: a missing path is expected and not refused even where
	// a writable bind could create it. Only git files whose absence is
	// normal are optional (docs/security.md, H1, says what that leaves).
	optional bool
	// ownState: the launcher itself makes this path (the plan cache
	// directory). It is looked at only where a writable bind covers or
	// lies in it: otherwise the first plan stored would change what the
	// plan was compiled from, and never be used.
	ownState bool
	// coverOnly: kept read-only where a writable bind covers it, but a
	// bind of something below it is not its content: the persistent
	// homes, each of which its own sandbox binds writable.
	coverOnly bool
}

// Why each kind of path is protected, as explain shows it.
const (
	whyLauncher   = "the launcher's own profiles: a profile written there decides how later launches are sandboxed"
	whyPlanCache  = "the launcher's plan cache and records: later launches run what they hold"
	whyDesktop    = "desktop entries: the menu runs their Exec"
	whyDBus       = "D-Bus service files: the session bus runs their Exec"
	whyAutostart  = "autostart entries: the session runs them at login"
	whySystemd    = "systemd user units and settings: systemd runs them"
	whyEnvD       = "the session's environment (environment.d): every user service gets it"
	whyMime       = "default applications: they open the user's files"
	whyXSession   = "an X session start-up file: the display manager runs it"
	whyShell      = "a shell start-up file: every shell runs it"
	whyReadline   = "readline start-up file: its key bindings type into every shell"
	whyGitGlobal  = "git's own configuration: it names programs git runs in every repository"
	whySSH        = "ssh configuration and keys: a config runs ProxyCommand, authorized_keys admits logins"
	whyLoginPath  = "a directory the login shell puts on $PATH"
	whyCallerPath = "a directory on the caller's $PATH"
	whyHomes      = "the persistent homes of sandboxes (filesystem.persistent_home): a launch binds what it finds there writable"
)

// trustedPaths is the single list of protected host paths: the launcher's
// own state, the desktop's, the shells' start-up files and the directories
// on the caller's $PATH, then the git files of every git work tree a
// writable bind exposes.
func (c *compiler) trustedPaths(views []writableView) []trusted {
	out := c.launcherTrusted()
	out = append(out, c.homeTrusted()...)
	out = append(out, c.pathTrusted()...)
	return append(out, c.gitTrusted(views)...)
}

// launcherTrusted is the launcher's state: every profile directory on the
// search path (the directory above each, so that a missing profiles/
// cannot be created either), and the plan cache directories, where the
// records of running sandboxes live too.
func (c *compiler) launcherTrusted() []trusted {
	cfg, _ := c.h.Getenv("XDG_CONFIG_HOME")
	var out []trusted
	for _, d := range profile.DefaultDirs(profile.Env{Home: c.home(), Vars: map[string]string{"XDG_CONFIG_HOME": cfg}}) {
		out = append(out, trusted{path: filepath.Dir(d), why: whyLauncher, dir: true})
	}
	if rt, _ := c.h.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		out = append(out, trusted{path: filepath.Join(rt, "sandbox"), why: whyPlanCache, dir: true, ownState: true})
	}
	return append(out, trusted{path: "/run/sandbox", why: whyPlanCache, dir: true, ownState: true})
}

// home is the caller's home directory, "" when there is none worth the
// name (no home, or "/").
func (c *compiler) home() string {
	h := filepath.Clean(c.h.Home)
	if !filepath.IsAbs(h) || h == "/" {
		return ""
	}
	return h
}

// xdgDir is an XDG base directory: the variable when it is absolute (the
// specification ignores relative values), else its default under home.
func (c *compiler) xdgDir(name, def string) string {
	if v, _ := c.h.Getenv(name); filepath.IsAbs(v) {
		return filepath.Clean(v)
	}
	if c.home() == "" {
		return ""
	}
	return filepath.Join(c.home(), def)
}

// homeTrusted is what the desktop session and the shells run from the
// caller's home without being asked. Programs the user starts by name read
// many more files (an editor's configuration, a language's package
// settings); those are the profile's business, and docs/security.md says
// to bind narrower directories than the home for that reason.
func (c *compiler) homeTrusted() []trusted {
	home := c.home()
	if home == "" {
		return nil
	}
	cfg := c.xdgDir("XDG_CONFIG_HOME", ".config")
	data := c.xdgDir("XDG_DATA_HOME", ".local/share")
	var out []trusted
	dirs := func(why string, paths ...string) {
		for _, p := range paths {
			out = append(out, trusted{path: p, why: why, dir: true})
		}
	}
	files := func(why string, names ...string) {
		for _, n := range names {
			out = append(out, trusted{path: filepath.Join(home, n), why: why})
		}
	}
	dirs(whyDesktop, filepath.Join(data, "applications"))
	dirs(whyDBus, filepath.Join(data, "dbus-1"))
	// A link planted here would make a later launch bind what it
	// points to as an application's home; missing is normal.
	out = append(out, trusted{path: filepath.Join(data, "sandbox", "homes"), why: whyHomes, dir: true, optional: true, coverOnly: true})
	dirs(whyAutostart, filepath.Join(cfg, "autostart"))
	dirs(whySystemd, filepath.Join(cfg, "systemd"), filepath.Join(data, "systemd"))
	dirs(whyEnvD, filepath.Join(cfg, "environment.d"))
	out = append(out, trusted{path: filepath.Join(cfg, "mimeapps.list"), why: whyMime})
	files(whyXSession, ".xprofile", ".xsession", ".xsessionrc", ".xinitrc")
	files(whyShell, ".profile", ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".bash_aliases",
		".zshenv", ".zshrc", ".zprofile", ".zlogin", ".zlogout")
	dirs(whyShell, filepath.Join(cfg, "fish"))
	files(whyReadline, ".inputrc")
	files(whyGitGlobal, ".gitconfig")
	dirs(whyGitGlobal, filepath.Join(cfg, "git"))
	dirs(whySSH, filepath.Join(home, ".ssh"))
	dirs(whyLoginPath, filepath.Join(home, ".local", "bin"), filepath.Join(home, "bin"))
	return out
}

// pathTrusted is every absolute directory of the caller's $PATH: the host
// runs what it finds there by name.
func (c *compiler) pathTrusted() []trusted {
	v, _ := c.h.Getenv("PATH")
	var out []trusted
	for _, d := range strings.Split(v, ":") {
		if filepath.IsAbs(d) && filepath.Clean(d) != "/" {
			out = append(out, trusted{path: filepath.Clean(d), why: whyCallerPath, dir: true})
		}
	}
	return out
}
