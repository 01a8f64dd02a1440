package profile

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultDirs(t *testing.T) {
	system := []string{"/etc/sandbox/profiles", "/usr/local/share/sandbox/profiles", "/usr/share/sandbox/profiles"}
	if !slices.Equal(SystemDirs, system) {
		t.Errorf("SystemDirs = %v, want %v (update the docs with the list)", SystemDirs, system)
	}
	for _, tc := range []struct {
		name string
		env  Env
		want []string
	}{
		{"XDG_CONFIG_HOME", Env{Home: "/home/a", Vars: map[string]string{"XDG_CONFIG_HOME": "/cfg"}}, append([]string{"/cfg/sandbox/profiles"}, system...)},
		{"home fallback", Env{Home: "/home/a"}, append([]string{"/home/a/.config/sandbox/profiles"}, system...)},
		// The XDG spec says a relative value is invalid and ignored.
		{"relative XDG_CONFIG_HOME", Env{Home: "/home/a", Vars: map[string]string{"XDG_CONFIG_HOME": "cfg"}}, append([]string{"/home/a/.config/sandbox/profiles"}, system...)},
		{"no home", Env{}, system},
	} {
		if got := DefaultDirs(tc.env); !slices.Equal(got, tc.want) {
			t.Errorf("%s: DefaultDirs = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSearchOrder(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	src := Source{Dirs: []string{first, second}, Builtin: builtins(map[string]string{
		"p.toml": `description = "builtin"`,
	})}
	desc := func() string { return mustLoad(t, "p", src).Description }
	if got := desc(); got != "builtin" {
		t.Errorf("only built in: %q", got)
	}
	writeFile(t, second, "p.toml", `description = "second"`)
	if got := desc(); got != "second" {
		t.Errorf("second dir over built-in: %q", got)
	}
	writeFile(t, first, "p.toml", `description = "first"`)
	if got := desc(); got != "first" {
		t.Errorf("first dir over second: %q", got)
	}
	// A missing search directory is skipped.
	src.Dirs = append([]string{filepath.Join(first, "absent")}, src.Dirs...)
	if got := desc(); got != "first" {
		t.Errorf("with an absent dir in front: %q", got)
	}
	msg := loadErr(t, "q", src)
	if !strings.HasPrefix(msg, `no profile named "q" in `+filepath.Join(first, "absent")+", "+first+", "+second+", the built-in profiles; did you mean \"p\"?") {
		t.Errorf("not found: %s", msg)
	}
}

func TestPathArguments(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "local.toml", `description = "local"`)
	writeFile(t, dir, "sub/x", `description = "no suffix"`)
	t.Chdir(dir)
	src := Source{Builtin: builtins(map[string]string{"local.toml": `description = "builtin"`})}
	// "local.toml" ends in .toml: a path, relative to the working dir,
	// even though a profile named "local" exists.
	if p := mustLoad(t, "local.toml", src); p.Description != "local" || p.Files[0] != "local.toml" {
		t.Errorf("local.toml: %q %v", p.Description, p.Files)
	}
	if p := mustLoad(t, "sub/x", src); p.Description != "no suffix" {
		t.Errorf("sub/x: %q", p.Description)
	}
	if p := mustLoad(t, "local", src); p.Description != "builtin" {
		t.Errorf("name local: %q", p.Description)
	}
	for _, bad := range []string{"", ".hidden", "a\x00b"} {
		if _, err := Load(bad, testEnv(), src); err == nil {
			t.Errorf("Load(%q) succeeded", bad)
		}
	}
}

func TestList(t *testing.T) {
	user, system := t.TempDir(), t.TempDir()
	writeFile(t, user, "app.toml", "extends = [\"app\"]\ndescription = \"user app\"\n")
	writeFile(t, system, "app.toml", "programs = [\"app\"]\ndescription = \"system app\"\n")
	writeFile(t, system, "broken.toml", "description = \"half\"\nprograms = [\"brk\"]\n[namespaces]\nnett = 1\n")
	writeFile(t, system, "notes.txt", "not a profile")
	writeFile(t, user, "bad-toml.toml", "x = \"")
	src := Source{Dirs: []string{user, system}, Builtin: builtins(map[string]string{
		"app.toml":  `description = "builtin app"`,
		"base.toml": "description = \"builtin base\"\nprograms = [\"sh\"]\n",
	})}
	entries := List(src)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if want := []string{"app", "bad-toml", "base", "broken"}; !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	app := entries[0]
	if app.Place != filepath.Join(user, "app.toml") || app.Description != "user app" || !slices.Equal(app.Programs, []string{"app"}) || app.Err != nil {
		t.Errorf("app entry %+v", app)
	}
	if base := entries[2]; base.Place != "builtin:base.toml" || base.Description != "builtin base" {
		t.Errorf("base entry %+v", base)
	}
	broken := entries[3]
	var errs Errors
	if !errors.As(broken.Err, &errs) || broken.Description != "half" || !slices.Equal(broken.Programs, []string{"brk"}) {
		t.Errorf("broken entry %+v", broken)
	}
	if entries[1].Err == nil {
		t.Errorf("bad-toml has no error")
	}
}

func TestFindByProgram(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "zz-editor.toml", `programs = ["vim", "nvim"]`)
	writeFile(t, dir, "aa-editor.toml", `programs = ["emacs"]`)
	writeFile(t, dir, "vim.toml", `programs = ["gvim"]`)
	writeFile(t, dir, "derived.toml", `extends = ["inherits"]`)
	writeFile(t, dir, "broken.toml", "programs = [\"brk\"]\nhostname = 1\n")
	src := Source{Dirs: []string{dir}, Builtin: builtins(map[string]string{
		"inherits.toml": `programs = ["ed"]`,
	})}
	for _, tc := range []struct {
		prog, want string
		ok         bool
	}{
		{"/usr/bin/vim", "zz-editor", true}, // a name claims nothing: only programs do
		{"nvim", "zz-editor", true},
		{"ed", "derived", true}, // inherited programs count, and the user's level beats the built-in
		{"brk", "broken", true}, // broken profiles still match, so running reports why
		{"nano", "", false},
		{"/", "", false},
	} {
		got, ok := FindByProgram(tc.prog, testEnv(), src)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FindByProgram(%q) = %q, %v; want %q, %v", tc.prog, got, ok, tc.want, tc.ok)
		}
	}
}

func TestVariableExpansion(t *testing.T) {
	env := Env{
		UID: 1234, GID: 5678, User: "bob", Home: "/home/bob", Cwd: "/home/bob/src/proj/",
		Vars: map[string]string{
			"XDG_RUNTIME_DIR": "/run/user/1234",
			"XDG_CONFIG_HOME": "/cfg",
			"XDG_DATA_HOME":   "relative/ignored",
		},
		UserDirs: map[string]string{"XDG_DOWNLOAD_DIR": "/data/dl"},
	}
	x := expander{env: env, profileDir: "/etc/sandbox/profiles"}
	for in, want := range map[string]string{
		"${HOME}":                "/home/bob",
		"${USER}:${UID}:${GID}":  "bob:1234:5678",
		"${XDG_RUNTIME_DIR}/bus": "/run/user/1234/bus",
		"${XDG_CONFIG_HOME}":     "/cfg",
		"${XDG_DATA_HOME}":       "/home/bob/.local/share",
		"${XDG_CACHE_HOME}":      "/home/bob/.cache",
		"${XDG_STATE_HOME}":      "/home/bob/.local/state",
		"${XDG_DOWNLOAD_DIR}":    "/data/dl",
		"${XDG_DOCUMENTS_DIR}":   "/home/bob/Documents",
		"${XDG_MUSIC_DIR}":       "/home/bob/Music",
		"${XDG_PICTURES_DIR}":    "/home/bob/Pictures",
		"${XDG_VIDEOS_DIR}":      "/home/bob/Videos",
		"${XDG_DESKTOP_DIR}":     "/home/bob/Desktop",
		"${PROFILE_DIR}/x":       "/etc/sandbox/profiles/x",
		"${CWD}":                 "/home/bob/src/proj",
		"$$HOME costs $$$$":      "$HOME costs $$",
		"plain":                  "plain",
		"":                       "",
	} {
		got, msg := x.expand(in)
		if msg != "" || got != want {
			t.Errorf("expand(%q) = %q, %q; want %q", in, got, msg, want)
		}
	}
	for _, name := range variableNames {
		if _, msg := x.lookup(name); msg != "" {
			t.Errorf("documented variable %s has no value: %s", name, msg)
		}
	}

	bare := expander{env: Env{UID: 1}, profileDir: "builtin:"}
	for in, want := range map[string]string{
		"${HOME}":            "${HOME} is not known: the caller has no home directory",
		"${USER}":            "${USER} is not known: the caller's user name could not be found",
		"${XDG_RUNTIME_DIR}": "${XDG_RUNTIME_DIR} is not set in the caller's environment; set it, or mark the mount optional and use another path",
		"${XDG_CACHE_HOME}":  "${XDG_CACHE_HOME} is not set and there is no ${HOME} to derive it from",
		"${XDG_MUSIC_DIR}":   "${XDG_MUSIC_DIR} is not set and there is no ${HOME} to derive it from",
		"${}":                "unknown variable ${}; known variables are ${HOME} ${USER} ${UID} ${GID} ${XDG_RUNTIME_DIR} ${XDG_CONFIG_HOME} ${XDG_DATA_HOME} ${XDG_CACHE_HOME} ${XDG_STATE_HOME} ${XDG_DOWNLOAD_DIR} ${XDG_DOCUMENTS_DIR} ${XDG_MUSIC_DIR} ${XDG_PICTURES_DIR} ${XDG_VIDEOS_DIR} ${XDG_DESKTOP_DIR} ${PROFILE_DIR} ${CWD}, and \"$$\" is a literal \"$\"",
		"${home}":            "unknown variable ${home}; did you mean ${HOME}?",
		"${CWD}":             "${CWD} is not known: the caller's working directory could not be read",
		"$":                  `lone "$" at byte 0; write "$$" for a literal "$" or ${NAME} for a variable`,
	} {
		if got, msg := bare.expand(in); msg != want {
			t.Errorf("expand(%q) = %q, %q; want error %q", in, got, msg, want)
		}
	}
	if got, _ := bare.expand("${PROFILE_DIR}"); got != "builtin:" {
		t.Errorf("PROFILE_DIR of a built-in = %q", got)
	}
}

// TestVariablesNotInDescription checks the one string that is not
// expanded: a description may say "$HOME" freely.
func TestVariablesNotInDescription(t *testing.T) {
	p := mustLoadText(t, `description = "uses $HOME and ${NOPE}"`)
	if p.Description != "uses $HOME and ${NOPE}" {
		t.Errorf("description = %q", p.Description)
	}
	_, err := Load("t", Env{Home: "/h", User: "u"}, Source{Builtin: builtins(map[string]string{
		"t.toml": "[[mount]]\ntype = \"bind\"\nsource = \"${XDG_RUNTIME_DIR}/bus\"\n",
	})})
	if err == nil || !strings.Contains(err.Error(), "builtin:t.toml:3:1: mount[0].source: ${XDG_RUNTIME_DIR} is not set") {
		t.Errorf("unset XDG_RUNTIME_DIR: %v", err)
	}
}

// TestCWDIsNeverRoot checks that ${CWD} refuses "/": a project bind written
// as ${CWD} must never become a bind of the whole host.
func TestCWDIsNeverRoot(t *testing.T) {
	for _, cwd := range []string{"/", "//", "/."} {
		x := expander{env: Env{Cwd: cwd, Home: "/h"}}
		if got, msg := x.expand("${CWD}"); msg == "" {
			t.Errorf("cwd %q: ${CWD} expanded to %q", cwd, got)
		}
	}
}

// TestCWDIsNeverHome checks that ${CWD} refuses the home directory and
// every directory above it, with the fix in the message: a project bind
// must never become a bind of the whole home.
func TestCWDIsNeverHome(t *testing.T) {
	for _, cwd := range []string{"/home/bob", "/home/bob/", "/home", "/home/"} {
		x := expander{env: Env{Cwd: cwd, Home: "/home/bob"}}
		got, msg := x.expand("${CWD}")
		if msg == "" {
			t.Errorf("cwd %q: ${CWD} expanded to %q", cwd, got)
			continue
		}
		if !strings.Contains(msg, "start sandbox from the project's own directory") {
			t.Errorf("cwd %q: the message gives no fix: %s", cwd, msg)
		}
	}
	for _, cwd := range []string{"/home/bob/src/p", "/home/bobby", "/srv/x"} {
		x := expander{env: Env{Cwd: cwd, Home: "/home/bob"}}
		if got, msg := x.expand("${CWD}"); msg != "" || got != filepath.Clean(cwd) {
			t.Errorf("cwd %q: got %q, %q", cwd, got, msg)
		}
	}
}
