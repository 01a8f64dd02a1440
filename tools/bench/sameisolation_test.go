package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeExport writes a stand-in for `sandbox export bwrap -0` that prints
// line (NUL-separated) and reports a gap, as a root launch's translation
// does, and leaves a filter in the -o directory.
func fakeExport(t *testing.T, line string) string {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "sandbox")
	body := "#!/bin/sh\n" +
		"while [ \"$1\" != -o ]; do shift; done; printf 'BPF' > \"$2/seccomp.bpf\"\n" +
		"echo 'sandbox: export bwrap: gap: landlock: no bubblewrap equivalent' >&2\n" +
		"printf '" + line + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

func TestSameIsolationDropsSetprivAndPassesTheFilter(t *testing.T) {
	sandbox := fakeExport(t, `setpriv\0--reuid=65534\0--\0bwrap\0--seccomp\0003\0--\0/bin/true\0`)
	r := &runner{}
	c, gaps, err := r.sameIsolation(sandbox, "minimal", t.TempDir(), "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bwrap", "--seccomp", "3", "--", "/bin/true"}; !slices.Equal(c.argv, want) {
		t.Errorf("argv = %q, want %q", c.argv, want)
	}
	if len(c.files) != 1 {
		t.Fatalf("files = %d, want the filter on descriptor 3", len(c.files))
	}
	cmd, err := r.cmd(c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmd.ExtraFiles) != 1 || cmd.ExtraFiles[0] != c.files[0] {
		t.Errorf("the filter is not passed as descriptor 3")
	}
	if want := []string{"landlock: no bubblewrap equivalent"}; !slices.Equal(gaps, want) {
		t.Errorf("gaps = %q, want %q", gaps, want)
	}
}

func TestSameIsolationRefusesOutputThatIsNotBwrap(t *testing.T) {
	sandbox := fakeExport(t, `firejail\0--\0/bin/true\0`)
	r := &runner{}
	if _, _, err := r.sameIsolation(sandbox, "minimal", t.TempDir(), "/bin/true"); err == nil {
		t.Fatal("a translation that is not a bwrap command was accepted")
	}
}
