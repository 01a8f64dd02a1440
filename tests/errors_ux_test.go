package tests

import (
	"strings"
	"testing"
)

// TestProfileErrorsAsTheReferenceSays checks errors as a user meets them
// with `sandbox check` on a profile of their own that extends a shipped
// one: a mode written as chmod takes it is told the TOML literal, and
// [[mount]] entries are counted from 0 within the user's file (the
// reference's rule), not after the inherited ones.
func TestProfileErrorsAsTheReferenceSays(t *testing.T) {
	prof := writeProfile(t, "mine.toml", `extends = ["minimal"]

[[mount]]
type = "tmpfs"
target = "/scratch"
mode = "0700"

[[mount]]
type = "ro-bind"
source = "/no/such/dir"
target = "/data"
`)
	r := sandbox(t, asRootOrSelf(), "check", prof)
	if r.code != 125 {
		t.Fatalf("check: %s", r)
	}
	want := "mine.toml:6:1: mount[0].mode: must be an integer, not a string; write 0o700 without quotes"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("check lacks\n%s\nin\n%s", want, r.stderr)
	}
	prof = writeProfile(t, "mine.toml", `extends = ["minimal"]

[[mount]]
type = "tmpfs"
target = "/scratch"

[[mount]]
type = "ro-bind"
source = "/no/such/dir"
target = "/data"
`)
	r = sandbox(t, asRootOrSelf(), "check", prof)
	want = "mine.toml:7:1: mount[1].source: /no/such/dir does not exist on this machine"
	if r.code != 125 || !strings.Contains(r.stderr, want) {
		t.Errorf("check: %s\nwant %q", r, want)
	}
	prof = writeProfile(t, "mine.toml", "extends = [\"minimal\"]\n\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a\"\n\n[[mount]]\ntype = \"dir\"\ntarget = \"/b\"\nmode = 0755\n")
	r = sandbox(t, asRootOrSelf(), "check", prof)
	want = "mine.toml:10:8: mount[1].mode: 0755 is not a TOML integer (no leading zeros); write modes in octal with 0o, such as 0o755"
	if r.code != 125 || !strings.Contains(r.stderr, want) {
		t.Errorf("check: %s\nwant %q", r, want)
	}
}
