package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sandbox/profile"
)

// TestDoctorSearchPathDocumented: the system profile directories live in
// one list, profile.SystemDirs; the usage text and every document that
// spells the search path out must name each of them, in that order.
func TestDoctorSearchPathDocumented(t *testing.T) {
	texts := map[string]string{"the usage text": usage}
	for _, f := range []string{"README.md", "docs/man/sandbox.1", "docs/man/sandbox-profile.5", "docs/profile-format.md", "profiles/embed.go"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
	}
	for name, text := range texts {
		at := 0
		for _, d := range profile.SystemDirs {
			i := strings.Index(text[at:], d)
			if i < 0 {
				t.Errorf("%s does not name %s in the order of the search path, %v", name, d, profile.SystemDirs)
				break
			}
			at += i + len(d)
		}
	}
}
