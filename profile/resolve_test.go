package profile

import (
	"errors"
	"strings"
	"testing"
)

// TestResolvePrecedence checks the one rule that picks a profile for a
// program: the earliest level of the search path with a claim wins, a
// name claims nothing, and two claims at one level are an error naming
// both files.
func TestResolvePrecedence(t *testing.T) {
	user, etc := t.TempDir(), t.TempDir()
	// The README's first profile: a user's notes.toml listing vim must
	// beat the built-in vim profile.
	writeFile(t, user, "notes.toml", `programs = ["vim"]`)
	// A system profile named like its program loses to a user's that
	// lists it.
	writeFile(t, etc, "git.toml", `programs = ["git"]`)
	writeFile(t, user, "mygit.toml", `programs = ["git"]`)
	// Two user profiles listing one program: an error, whatever their
	// names' order.
	writeFile(t, user, "ffdev.toml", `programs = ["firefox-esr"]`)
	writeFile(t, user, "firefox.toml", `programs = ["firefox-esr", "firefox"]`)
	// Same-name override: the user's curl.toml hides the built-in one,
	// and claims curl through what it inherits.
	writeFile(t, user, "curl.toml", `extends = ["curl"]`)
	// A system claim with nothing above it wins over the built-in.
	writeFile(t, etc, "editors.toml", `programs = ["nano"]`)
	src := Source{Dirs: []string{user, etc}, Builtin: builtins(map[string]string{
		"vim.toml":  `programs = ["vim"]`,
		"curl.toml": `programs = ["curl"]`,
		"nano.toml": `programs = ["nano"]`,
	})}
	for _, tc := range []struct {
		prog, want, wantFile string
		losers               int
	}{
		{"vim", "notes", user + "/notes.toml", 1},
		{"/usr/bin/git", "mygit", user + "/mygit.toml", 1},
		{"curl", "curl", user + "/curl.toml", 0},
		{"nano", "editors", etc + "/editors.toml", 1},
	} {
		c, err := Resolve(tc.prog, testEnv(), src)
		if err != nil {
			t.Errorf("Resolve(%s): %v", tc.prog, err)
			continue
		}
		if c.Name != tc.want || c.Place != tc.wantFile || len(c.Losers) != tc.losers || c.Why == "" {
			t.Errorf("Resolve(%s) = %+v; want %s from %s with %d losers", tc.prog, c, tc.want, tc.wantFile, tc.losers)
		}
	}
	_, err := Resolve("firefox-esr", testEnv(), src)
	var conflict *ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), user+"/ffdev.toml") || !strings.Contains(err.Error(), user+"/firefox.toml") {
		t.Errorf("two user profiles listing firefox-esr: %v; want an error naming both files", err)
	}
	var none *NoClaimError
	if _, err := Resolve("emacs", testEnv(), src); !errors.As(err, &none) {
		t.Errorf("emacs: %v; want no claim", err)
	}
	// A profile named like a program it does not list is not chosen;
	// the error says so.
	writeFile(t, user, "htop.toml", `programs = ["top"]`)
	if _, err := Resolve("htop", testEnv(), src); !errors.As(err, &none) || none.Named != "htop" || !strings.Contains(err.Error(), "-p htop") {
		t.Errorf("htop: %v; want no claim, naming the profile named like it", err)
	}
}

// TestResolveIgnoresCwd checks that the caller's directory does not change
// which profile claims a program: from the home directory a profile that
// binds ${CWD} does not load, and its inherited programs must still count.
func TestResolveIgnoresCwd(t *testing.T) {
	user := t.TempDir()
	writeFile(t, user, "mytool.toml", `extends = ["tool"]`)
	src := Source{Dirs: []string{user}, Builtin: builtins(map[string]string{
		"tool.toml": "programs = [\"tool\"]\n[[mount]]\ntype = \"bind\"\nsource = \"${CWD}\"\n",
	})}
	env := testEnv()
	env.Cwd = env.Home
	c, err := Resolve("tool", env, src)
	if err != nil || c.Name != "mytool" {
		t.Errorf("from the home directory: %+v, %v; want mytool", c, err)
	}
}
