package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Source is where profiles are found: Dirs in priority order, then the
// built-in profiles, which Builtin holds as NAME.toml at its root.
type Source struct {
	Dirs    []string
	Builtin fs.FS
	// Observe, when set, is told every host path the loader is about to
	// consult (a profile file it reads, a name it probes on the search
	// path, a directory it lists), before it does: what the result was
	// built from, for a cache of compiled plans to check later.
	Observe func(path string)
	// Look, when set, is Observe and lstat(2) (stat(2) with follow) in
	// one: a recorder that stats what it records hands the result back
	// instead of the loader asking the kernel again.
	Look func(path string, follow bool) (fs.FileInfo, error)

	// extra is a layer merged after every file: the command line's.
	extra *extraLayer
}

// observe reports a host path about to be consulted.
func (src Source) observe(path string) {
	if src.Observe != nil {
		src.Observe(path)
	}
}

// SystemDirs are the system-wide profile directories, most important
// first: the administrator's own files, then the profiles of an install
// under /usr/local (`make install`'s default PREFIX), then the
// distribution's (PREFIX=/usr, the Debian package). This is the one list:
// the usage text, the manual pages, the README and `sandbox doctor` are
// tested against it. An install under another PREFIX is not searched;
// doctor says so.
var SystemDirs = []string{
	"/etc/sandbox/profiles",
	"/usr/local/share/sandbox/profiles",
	"/usr/share/sandbox/profiles",
}

// DefaultDirs is the search path of the installed profiles, most
// important first: the user's own, then SystemDirs.
func DefaultDirs(env Env) []string {
	var dirs []string
	cfg := env.Var("XDG_CONFIG_HOME")
	if !filepath.IsAbs(cfg) {
		cfg = ""
		if env.Home != "" {
			cfg = filepath.Join(env.Home, ".config")
		}
	}
	if cfg != "" {
		dirs = append(dirs, filepath.Join(cfg, "sandbox", "profiles"))
	}
	return append(dirs, SystemDirs...)
}

// sourceFile is one profile file: where it is and how it is shown.
type sourceFile struct {
	// display names the file in errors and Origins: the path as the
	// user gave it or found on the search path, or "builtin:NAME.toml".
	display string
	// ident is unique per file, for cycles and for including a file
	// reached twice only once.
	ident string
	// dir is ${PROFILE_DIR}.
	dir string
	// name is the file name without ".toml", for the same-name rule.
	name string
	// level is the search level the file lives at (an index into
	// Source.Dirs, or len(Dirs) for a built-in), or -1.
	level int
	// fsPath is the path inside Source.Builtin for a built-in file;
	// disk is the path to open otherwise.
	fsPath string
	disk   string
}

// isPath reports whether an argument names a file rather than a profile.
func isPath(s string) bool {
	return strings.Contains(s, "/") || strings.HasSuffix(s, ".toml")
}

// profileName is a file's profile name: its base name without ".toml".
func profileName(file string) string {
	return strings.TrimSuffix(filepath.Base(file), ".toml")
}

// diskSource describes a profile file on disk given by path.
func diskSource(p string, src Source) *sourceFile {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	return &sourceFile{
		display: p,
		ident:   abs,
		dir:     filepath.Dir(abs),
		name:    profileName(p),
		level:   levelOf(filepath.Dir(abs), src),
		disk:    p,
	}
}

func builtinSource(fsPath string, src Source) *sourceFile {
	return &sourceFile{
		display: "builtin:" + fsPath,
		ident:   "builtin:" + fsPath,
		dir:     "builtin:",
		name:    profileName(fsPath),
		level:   len(src.Dirs),
		fsPath:  fsPath,
	}
}

// levelOf is the search level of a directory, or -1 when it is not one of
// the search directories.
func levelOf(dir string, src Source) int {
	for i, d := range src.Dirs {
		if abs, err := filepath.Abs(d); err == nil && abs == dir {
			return i
		}
	}
	return -1
}

// findName resolves a profile name on the search path, starting at level
// from. A file that exists in any form (even a FIFO or a dangling link)
// ends the search, so that a broken user profile is reported instead of
// silently replaced by the system one.
func findName(name string, from int, src Source) *sourceFile {
	for level := max(from, 0); level <= len(src.Dirs); level++ {
		if level == len(src.Dirs) {
			if src.Builtin == nil {
				return nil
			}
			if _, err := fs.Stat(src.Builtin, name+".toml"); err == nil {
				return builtinSource(name+".toml", src)
			}
			return nil
		}
		p := filepath.Join(src.Dirs[level], name+".toml")
		if _, err := src.lstat(p); err == nil || !(errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || isNotDir(err)) {
			sf := diskSource(p, src)
			sf.level = level
			return sf
		}
	}
	return nil
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// nameMessage checks a profile name; the name becomes part of a path.
func nameMessage(name string) string {
	if name == "" {
		return `empty profile name; write a name such as "base" or a path such as "./base.toml"`
	}
	if msg := controlCharMessage(name, 0); msg != "" {
		return "profile name " + msg
	}
	if strings.HasPrefix(name, ".") {
		return fmt.Sprintf("%s is not a profile name (it starts with \".\"); write a path such as \"./%s.toml\"", quote(name), strings.TrimPrefix(name, "."))
	}
	return ""
}

// resolveExtends finds the file an `extends` entry of from names, or says
// why there is none.
func resolveExtends(ref string, from *sourceFile, src Source) (*sourceFile, string) {
	if !isPath(ref) {
		if msg := nameMessage(ref); msg != "" {
			return nil, msg
		}
		// The same-name rule: a user's firefox.toml that extends
		// "firefox" means the next firefox.toml down the search path,
		// not itself.
		start := 0
		if ref == from.name && from.level >= 0 {
			start = from.level + 1
		}
		if sf := findName(ref, start, src); sf != nil {
			return sf, ""
		}
		if start > 0 {
			return nil, fmt.Sprintf("no profile named %s after %s on the search path; a profile that extends its own name continues the search in the directories after its own", quote(ref), quote(from.display))
		}
		return nil, notFoundMessage(ref, src)
	}
	if msg := controlCharMessage(ref, 0); msg != "" {
		return nil, msg
	}
	if from.fsPath != "" {
		p := path.Join(path.Dir(from.fsPath), ref)
		if path.IsAbs(ref) || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Sprintf("a built-in profile can only extend names or paths inside the built-in profiles, not %s", quote(ref))
		}
		if _, err := fs.Stat(src.Builtin, p); err != nil {
			return nil, fmt.Sprintf("no built-in profile file %s", quote("builtin:"+p))
		}
		return builtinSource(p, src), ""
	}
	p := ref
	if !filepath.IsAbs(ref) {
		p = filepath.Join(filepath.Dir(from.disk), ref)
	}
	if _, err := src.lstat(p); err != nil {
		return nil, fmt.Sprintf("%s (resolved to %s) %s", quote(ref), quote(p), statMessage(err))
	}
	return diskSource(p, src), ""
}

// notFoundMessage says a name is not on the search path, and suggests a
// close one.
func notFoundMessage(name string, src Source) string {
	places := append([]string(nil), src.Dirs...)
	if src.Builtin != nil {
		places = append(places, "the built-in profiles")
	}
	msg := fmt.Sprintf("no profile named %s", quote(name))
	if len(places) > 0 {
		msg += " in " + strings.Join(places, ", ")
	}
	return msg + didYouMean(name, profileNames(src))
}

// profileNames lists every profile name on the search path.
func profileNames(src Source) []string {
	var names []string
	seen := map[string]bool{}
	add := func(file string) {
		if n := strings.TrimSuffix(file, ".toml"); n != file && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, d := range src.Dirs {
		entries, _ := src.readDir(d)
		for _, e := range entries {
			add(e.Name())
		}
	}
	if src.Builtin != nil {
		entries, _ := fs.ReadDir(src.Builtin, ".")
		for _, e := range entries {
			add(e.Name())
		}
	}
	return names
}
