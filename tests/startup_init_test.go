package tests

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Every launch starts the whole binary, so a table that only explain, an
// error message or one subcommand needs must not be built at init: none
// of the project's packages may run any code there. The Go runtime's own
// trace of package inits (GODEBUG=inittrace=1) lists each package whose
// init runs; tables are built on first use (internal/lazy) or are static
// data.
func TestStartupRunsNoInitOfTheProjects(t *testing.T) {
	cmd := exec.Command(sandboxBin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandbox --version: %v\n%s", err, out)
	}
	traced := 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		traced++
		if pkg := f[1]; pkg == "main" || pkg == "sandbox" || strings.HasPrefix(pkg, "sandbox/") {
			t.Errorf("package %s runs code at init: %s", pkg, line)
		}
	}
	// The trace must be there for the check to mean anything: the
	// runtime and the standard library always have inits.
	if traced == 0 {
		t.Fatalf("GODEBUG=inittrace=1 printed no init lines:\n%s", out)
	}
}
