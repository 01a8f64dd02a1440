package profile

import (
	"errors"
	"strings"
	"testing"
)

// TestCwdMountSituations: a ${CWD} bind that repeats an earlier entry is
// dropped; one that collides with another kind of entry, and a ${CWD} that
// is refused, are errors marked as the caller's situation, with what that
// situation is.
func TestCwdMountSituations(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"tool.toml": `
[[mount]]
type = "tmpfs"
target = "/tmp"

[[mount]]
type = "bind"
source = "/home/alice/src"
optional = true

[[mount]]
type = "bind"
source = "${CWD}"
`,
	})}
	for _, tc := range []struct {
		cwd       string
		mounts    int    // when it loads
		situation string // when it does not
	}{
		{"/home/alice/src/proj", 3, ""},
		{"/home/alice/src", 2, ""}, // the same bind twice: the second is dropped
		{"/tmp", 0, "you started it from /tmp, a place the profile mounts something else on"},
		{"/home/alice", 0, "you started it from your home directory /home/alice, which it will not expose whole"},
		{"/home", 0, "you started it from /home, which holds your home directory"},
		{"/", 0, "you started it from /, the whole host"},
	} {
		env := testEnv()
		env.Cwd = tc.cwd
		p, err := Load("tool", env, src)
		if tc.situation == "" {
			if err != nil || len(p.Filesystem.Mounts) != tc.mounts {
				t.Errorf("from %s: %v; want %d mounts", tc.cwd, err, tc.mounts)
			}
			continue
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Errorf("from %s: %v; want an error", tc.cwd, err)
			continue
		}
		for _, e := range errs {
			if e.Situation != tc.situation || !strings.HasPrefix(e.File, "builtin:") {
				t.Errorf("from %s: %+v; want the situation %q", tc.cwd, e, tc.situation)
			}
		}
	}
}
