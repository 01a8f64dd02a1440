package tests

import (
	"strings"
	"testing"
)

// TestExitCodes checks that the launcher exits like the program would
// (checklist L7).
func TestExitCodes(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		cases := []struct {
			name string
			args []string
			want int
		}{
			{"success", []string{"/bin/true"}, 0},
			{"failure", []string{"/bin/false"}, 1},
			{"42", []string{"/bin/sh", "-c", "exit 42"}, 42},
			{"255", []string{"/bin/sh", "-c", "exit 255"}, 255},
			{"SIGTERM", []string{"/bin/sh", "-c", "kill -TERM $$"}, 128 + 15},
			{"SIGSEGV", []string{"/bin/sh", "-c", "kill -SEGV $$"}, 128 + 11},
			{"SIGKILL", []string{"/bin/sh", "-c", "kill -KILL $$"}, 128 + 9},
			{"not found", []string{"/no/such/program"}, 127},
			{"not found in PATH", []string{"no-such-program-xyz"}, 127},
			{"not executable", []string{"/etc/passwd"}, 126},
			{"a directory", []string{"/usr"}, 126},
		}
		for _, c := range cases {
			r := sandbox(t, m, append([]string{"-p", "minimal", "--"}, c.args...)...)
			if r.code != c.want {
				t.Errorf("%s: %q exited %d, want %d\n%s", c.name, c.args, r.code, c.want, r)
			}
		}
	})
}

// TestArgumentsVerbatim checks that arguments reach the program exactly,
// never parsed as options or given to a shell (B12).
func TestArgumentsVerbatim(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		args := []string{"--help", "$(id)", "; rm -rf /", "a b", "", "-p"}
		out := mustRun(t, m, append([]string{"/usr/bin/printf", "[%s]\n"}, args...)...)
		var want strings.Builder
		for _, a := range args {
			want.WriteString("[" + a + "]\n")
		}
		if out != want.String() {
			t.Fatalf("arguments changed on the way in:\ngot  %q\nwant %q", out, want.String())
		}
	})
}

// TestEnvironmentCleared checks that only the default set reaches the
// payload: the caller's SECRET_TOKEN must not.
func TestEnvironmentCleared(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		out := mustRun(t, m, "/usr/bin/env")
		if strings.Contains(out, "SECRET_TOKEN") {
			t.Errorf("a variable outside the default set leaked:\n%s", out)
		}
		for _, want := range []string{"PATH=", "HOME=", "LANG=C.UTF-8", "TERM=dumb"} {
			if !strings.Contains(out, want) {
				t.Errorf("default variable %s missing:\n%s", want, out)
			}
		}
	})
}

// TestProfileErrorsSpawnNothing checks that a bad profile is reported with
// its position and exit 125, before anything runs.
func TestProfileErrorsSpawnNothing(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		p := writeProfile(t, "bad.toml", "extends = [\"minimal\"]\n[namespaces]\nnett = false\n")
		r := sandbox(t, m, "-p", p, "--", "/bin/sh", "-c", "echo RAN")
		if r.code != 125 {
			t.Fatalf("bad profile: exit %d, want 125\n%s", r.code, r)
		}
		if strings.Contains(r.stdout, "RAN") {
			t.Fatalf("the command ran despite the bad profile")
		}
		if !strings.Contains(r.stderr, "bad.toml:3:1") || !strings.Contains(r.stderr, "did you mean") {
			t.Fatalf("error lacks its position or suggestion:\n%s", r.stderr)
		}
	})
}
