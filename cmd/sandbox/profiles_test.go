package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedProfilesAndExamplesCheck loads and compiles every shipped
// profile and every example on this machine, through the same path as
// `sandbox check`.
func TestShippedProfilesAndExamplesCheck(t *testing.T) {
	var files []string
	for _, dir := range []string{"../../profiles", "../../examples"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.toml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found only %d profiles and examples: %v", len(files), files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run([]string{"check", f}, &out, &errb); code != 0 {
				t.Fatalf("sandbox check %s: exit %d\n%s", f, code, errb.String())
			}
			if !strings.Contains(out.String(), ": ok") {
				t.Fatalf("check printed %q", out.String())
			}
		})
	}
}

// TestBuiltinNamesResolve checks that every shipped profile is reachable by
// name, as a user types it, through the built-in copy.
func TestBuiltinNamesResolve(t *testing.T) {
	m, _ := filepath.Glob("../../profiles/*.toml")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, f := range m {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		var out, errb bytes.Buffer
		if code := run([]string{"check", name}, &out, &errb); code != 0 {
			t.Errorf("sandbox check %s: exit %d\n%s", name, code, errb.String())
		}
	}
	if _, err := os.Stat("../../profiles/minimal.toml"); err != nil {
		t.Fatalf("minimal profile is not shipped: %v", err)
	}
}
