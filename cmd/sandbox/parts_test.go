package main

import (
	"os/exec"
	"strings"
	"testing"

	"sandbox/internal/testutil"
)

// TestOnlyTheCommandImportsItsParts: internal/desktopentry and
// internal/smoketest are parts of this command, handed what they need of
// it through their Options. No other package imports them, so that the
// command's own choices (its compile, its command line, its messages)
// reach them only from here.
func TestOnlyTheCommandImportsItsParts(t *testing.T) {
	out, err := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "sandbox/...").Output()
	if err != nil {
		testutil.RequireOrSkip(t, false, "go list: "+err.Error())
	}
	parts := []string{"sandbox/internal/desktopentry", "sandbox/internal/smoketest"}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		// "sandbox/x [sandbox/x.test]" is x compiled for its tests.
		importer := strings.TrimSuffix(strings.TrimSuffix(fields[0], ".test"), "_test")
		for _, imp := range fields[1:] {
			for _, part := range parts {
				if imp != part {
					continue
				}
				seen[part] = true
				if importer != "sandbox/cmd/sandbox" && importer != part {
					t.Errorf("%s imports %s, a part of cmd/sandbox", fields[0], part)
				}
			}
		}
	}
	for _, part := range parts {
		if !seen[part] {
			t.Errorf("nothing imports %s: the list is wrong", part)
		}
	}
}
