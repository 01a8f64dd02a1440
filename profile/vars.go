package profile

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Env is what the loader knows about the caller. The CLI fills it in; the
// profile package never reads the process environment itself, so that
// tests and `sandbox check` see exactly what a launch would.
type Env struct {
	UID, GID uint32
	User     string
	Home     string
	Cwd      string
	// Vars is the caller's environment (XDG_RUNTIME_DIR, XDG_CONFIG_HOME,
	// LANG, ...). It is read only through Var, which reports each read.
	Vars map[string]string
	// UseVar, when set, is told the name of every variable of Vars the
	// loader reads: the plan cache then depends on exactly those (the
	// launcher's PlanInputs.UseEnv).
	UseVar func(name string)
	// UserDirs are the XDG user dirs from ~/.config/user-dirs.dirs, keyed
	// like "XDG_DOWNLOAD_DIR", already expanded; nil when there is none.
	UserDirs map[string]string
}

// Var is the caller's variable name, "" when it is not set; the read is
// reported to UseVar.
func (e Env) Var(name string) string {
	if e.UseVar != nil {
		e.UseVar(name)
	}
	return e.Vars[name]
}

// baseDirDefault is the XDG base directory fallback of name, relative to
// HOME, from the XDG Base Directory Specification.
func baseDirDefault(name string) (string, bool) {
	switch name {
	case "XDG_CONFIG_HOME":
		return ".config", true
	case "XDG_DATA_HOME":
		return ".local/share", true
	case "XDG_CACHE_HOME":
		return ".cache", true
	case "XDG_STATE_HOME":
		return ".local/state", true
	}
	return "", false
}

// userDirDefault is the xdg-user-dirs fallback of name, relative to HOME.
func userDirDefault(name string) (string, bool) {
	switch name {
	case "XDG_DOWNLOAD_DIR":
		return "Downloads", true
	case "XDG_DOCUMENTS_DIR":
		return "Documents", true
	case "XDG_MUSIC_DIR":
		return "Music", true
	case "XDG_PICTURES_DIR":
		return "Pictures", true
	case "XDG_VIDEOS_DIR":
		return "Videos", true
	case "XDG_DESKTOP_DIR":
		return "Desktop", true
	}
	return "", false
}

// variableNames lists every ${NAME} a profile may use.
var variableNames = []string{
	"HOME", "USER", "UID", "GID", "XDG_RUNTIME_DIR",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
	"XDG_DOWNLOAD_DIR", "XDG_DOCUMENTS_DIR", "XDG_MUSIC_DIR", "XDG_PICTURES_DIR",
	"XDG_VIDEOS_DIR", "XDG_DESKTOP_DIR", "PROFILE_DIR", "CWD",
}

// expander expands ${NAME} in the strings of one file.
type expander struct {
	env        Env
	profileDir string
	// cwdRefused is why ${CWD} had no value in the last expansion,
	// without the fix: the caller's situation, not the file's mistake.
	cwdRefused string
}

// lookup returns the value of variable name. The message explains why a
// variable has no value; a variable never expands to "" silently, since
// "${XDG_RUNTIME_DIR}/bus" turning into "/bus" would bind the wrong path.
func (x *expander) lookup(name string) (string, string) {
	home := x.env.Home
	switch name {
	case "HOME":
		if home == "" {
			return "", "${HOME} is not known: the caller has no home directory"
		}
		return home, ""
	case "USER":
		if x.env.User == "" {
			return "", "${USER} is not known: the caller's user name could not be found"
		}
		return x.env.User, ""
	case "UID":
		return strconv.FormatUint(uint64(x.env.UID), 10), ""
	case "GID":
		return strconv.FormatUint(uint64(x.env.GID), 10), ""
	case "PROFILE_DIR":
		return x.profileDir, ""
	case "CWD":
		v, msg := cwdValue(x.env)
		if msg != "" {
			x.cwdRefused = cwdSituation(x.env)
		}
		return v, msg
	case "XDG_RUNTIME_DIR":
		if v := x.env.Var(name); filepath.IsAbs(v) {
			return v, ""
		}
		return "", "${XDG_RUNTIME_DIR} is not set in the caller's environment; set it, or mark the mount optional and use another path"
	}
	if rel, ok := baseDirDefault(name); ok {
		// The XDG spec says a relative value is invalid and must be
		// ignored, which also keeps every expansion absolute.
		if v := x.env.Var(name); filepath.IsAbs(v) {
			return v, ""
		}
		if home == "" {
			return "", fmt.Sprintf("${%s} is not set and there is no ${HOME} to derive it from", name)
		}
		return filepath.Join(home, rel), ""
	}
	if rel, ok := userDirDefault(name); ok {
		if v := x.env.UserDirs[name]; filepath.IsAbs(v) {
			return v, ""
		}
		if home == "" {
			return "", fmt.Sprintf("${%s} is not set and there is no ${HOME} to derive it from", name)
		}
		return filepath.Join(home, rel), ""
	}
	msg := fmt.Sprintf("unknown variable ${%s}", name)
	if s := suggest(name, variableNames); s != "" {
		return "", msg + fmt.Sprintf("; did you mean ${%s}?", s)
	}
	return "", msg + "; known variables are " + joinVars(variableNames) + `, and "$$" is a literal "$"`
}

// cwdValue is ${CWD}: the directory sandbox was started from, how a build
// or an agent profile names "the project". The root, the home directory
// and every directory above the home are refused: `cd ~ && sandbox -p
// agent` would otherwise bind the whole home writable, start-up files,
// keys and every other project with it, and `cd /` the whole host.
func cwdValue(env Env) (string, string) {
	if !filepath.IsAbs(env.Cwd) {
		return "", "${CWD} is not known: the caller's working directory could not be read"
	}
	cwd := filepath.Clean(env.Cwd)
	const fix = "; start sandbox from the project's own directory (cd ~/src/project)"
	if cwd == "/" {
		return "", "${CWD} is /, which would expose the whole host" + fix
	}
	if filepath.IsAbs(env.Home) {
		home := filepath.Clean(env.Home)
		switch {
		case cwd == home:
			return "", fmt.Sprintf("${CWD} is the home directory %s, which would expose all of it (start-up files, keys, every project)%s", home, fix)
		case strings.HasPrefix(home, cwd+"/"):
			return "", fmt.Sprintf("${CWD} is %s, which holds the home directory %s%s", cwd, home, fix)
		}
	}
	return cwd, ""
}

// cwdSituation says, in the caller's terms, why the directory they started
// from cannot be ${CWD}.
func cwdSituation(env Env) string {
	cwd := filepath.Clean(env.Cwd)
	home := filepath.Clean(env.Home)
	switch {
	case !filepath.IsAbs(env.Cwd):
		return "the current directory could not be read"
	case cwd == "/":
		return "you started it from /, the whole host"
	case filepath.IsAbs(env.Home) && cwd == home:
		return fmt.Sprintf("you started it from your home directory %s, which it will not expose whole", home)
	}
	return fmt.Sprintf("you started it from %s, which holds your home directory", cwd)
}

func joinVars(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "${" + n + "}"
	}
	return strings.Join(parts, " ")
}

// expand replaces ${NAME} and "$$" in s. A "$" followed by anything else
// is an error rather than a literal, so that "$HOME" (a shell habit) is
// caught instead of reaching a mount as a directory named "$HOME".
func (x *expander) expand(s string) (string, string) {
	if !strings.Contains(s, "$") {
		return s, ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '$':
			b.WriteByte('$')
			i++
		case i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Sprintf(`unterminated "${" at byte %d; write ${NAME}, or "$$" for a literal "$"`, i)
			}
			name := s[i+2 : i+2+end]
			v, msg := x.lookup(name)
			if msg != "" {
				return "", msg
			}
			b.WriteString(v)
			i += 2 + end
		default:
			rest := s[i+1:]
			if n := leadingName(rest); n != "" {
				return "", fmt.Sprintf(`"$%s" is not a variable reference; write ${%s}, or "$$" for a literal "$"`, n, n)
			}
			return "", fmt.Sprintf(`lone "$" at byte %d; write "$$" for a literal "$" or ${NAME} for a variable`, i)
		}
	}
	return b.String(), ""
}

// leadingName returns the identifier at the start of s.
func leadingName(s string) string {
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 'a' && s[n] <= 'z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return s[:n]
}
