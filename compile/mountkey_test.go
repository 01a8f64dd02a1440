package compile

import (
	"sandbox/internal/compiletest"
	"strings"
	"testing"
)

// TestMountKeyCountsPerFile checks that a compile error names a [[mount]]
// entry as the profile format reference counts them, from 0 within the
// file that declares it, not by its place among the inherited entries of
// base.toml.
func TestMountKeyCountsPerFile(t *testing.T) {
	p := compiletest.LoadText(t, `extends = ["minimal"]

[[mount]]
type = "tmpfs"
target = "/scratch"

[[mount]]
type = "ro-bind"
source = "/no/such/dir"
`)
	if n := len(p.Filesystem.Mounts); n < 3 {
		t.Fatalf("%d mounts: the test needs inherited ones", n)
	}
	_, err := Compile(p, []string{"/bin/true"}, compiletest.RealHost())
	want := "p.toml:7:1: mount[1].source: /no/such/dir does not exist on this machine"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
}
