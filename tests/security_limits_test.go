package tests

import (
	"fmt"
	"strings"
	"testing"
)

// L10: resource limits bind the payload, never the setup or the init. A
// limits.as of 1G made the init's fork of the payload fail (mmap ENOMEM
// at the seccomp step, pointing at the wrong line); now every limit is
// set after the last setup step, in the payload only. A limit that does
// stop the payload from starting names its own line.

// limitValue is the soft limit of one row of /proc/PID/limits text.
func limitValue(limits, row string) string {
	for _, l := range strings.Split(limits, "\n") {
		if strings.HasPrefix(l, row) {
			if f := strings.Fields(strings.TrimPrefix(l, row)); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

func TestL10LimitsBindThePayload(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, init := range []bool{false, true} {
			prof := secProfile(t, "limits.toml", fmt.Sprintf(`extends = ["minimal"]
[process]
init = %v
[limits]
as = "1G"
nofile = 64
nproc = 64
fsize = "1M"
stack = "4M"
`, init))
			// The payload runs a shell (which forks), reports its
			// limits and its PID 1's, and writes within fsize.
			r := sandbox(t, m, "-p", prof, "--", "/bin/sh", "-c",
				"cat /proc/self/limits; echo ==; cat /proc/1/limits; head -c 4096 /dev/zero > /tmp/f && echo wrote")
			if r.code != 0 || !strings.Contains(r.stdout, "wrote") {
				t.Fatalf("init = %v: the payload did not run under its limits: %s", init, r)
			}
			self, pid1, _ := strings.Cut(r.stdout, "==")
			for row, want := range map[string]string{
				"Max address space": "1073741824", "Max open files": "64", "Max processes": "64",
				"Max file size": "1048576", "Max stack size": "4194304",
			} {
				if got := limitValue(self, row); got != want {
					t.Errorf("init = %v: %s is %q in the payload, want %s", init, row, got, want)
				}
			}
			// The init is not limited: it is the sandbox's, not the
			// payload's (a limited init could not even fork).
			if init && limitValue(pid1, "Max address space") == "1073741824" {
				t.Errorf("the init runs under the payload's limits:\n%s", pid1)
			}
		}
	})
}

// TestL10LimitTooSmallNamesLine runs payloads that cannot start under
// their limits: a program larger than limits.as dies of SIGSEGV inside
// exec, and arguments larger than a quarter of limits.stack make exec fail
// with E2BIG. Either way the launcher names the limits line.
func TestL10LimitTooSmallNamesLine(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, init := range []bool{false, true} {
			prof := secProfile(t, "tiny.toml", fmt.Sprintf("extends = [\"minimal\"]\n[process]\ninit = %v\n[limits]\nas = \"100K\"\n", init))
			r := sandbox(t, m, "-p", prof, "--", "/bin/true")
			want := fmt.Sprintf("limits.as = 100 KiB (%s:5:1)", prof)
			if r.code != 139 || !strings.Contains(r.stderr, "killed by SIGSEGV") || !strings.Contains(r.stderr, want) {
				t.Errorf("init = %v: a program too large for limits.as: %s\nwant exit 139 and %q", init, r, want)
			}
			// The control: the same profile with room runs.
			ok := secProfile(t, "room.toml", fmt.Sprintf("extends = [\"minimal\"]\n[process]\ninit = %v\n[limits]\nas = \"64M\"\n", init))
			if r := sandbox(t, m, "-p", ok, "--", "/bin/true"); r.code != 0 {
				t.Errorf("init = %v: /bin/true under limits.as = 64M: %s", init, r)
			}
		}
		prof := secProfile(t, "stack.toml", "extends = [\"minimal\"]\n[limits]\nstack = \"16K\"\n")
		r := sandbox(t, m, "-p", prof, "--", "/bin/echo", strings.Repeat("x", 20000))
		want := fmt.Sprintf("limits.stack = 16 KiB (%s:3:1)", prof)
		if r.code != 126 || !strings.Contains(r.stderr, "argument list too long") || !strings.Contains(r.stderr, want) {
			t.Errorf("arguments too large for limits.stack: %s\nwant exit 126 and %q", r, want)
		}
	})
}
