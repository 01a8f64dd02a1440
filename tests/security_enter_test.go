package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE1EnterPtrace: a payload that waits for the process `sandbox enter`
// brings in, freezes it before it execs and tries to ptrace it and read
// its descriptors and environment gets nothing of the host (runc
// CVE-2016-9962). The caller of enter holds a host file with a secret on
// descriptor 3 and the secret in its environment. The same payload must
// get at an entered process after its exec (the control): otherwise the
// attack would fail for the wrong reason.
func TestE1EnterPtrace(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("e1", m)
		// Without Landlock: two enforcements make sibling domains that
		// may not ptrace each other, which would stop the spy before the
		// defence under test (dumpable, closed fds) is reached.
		prof := attackProfile(t, "\n[landlock]\nenabled = false\n")
		startInstance(t, m, env, "--name", name, "-p", prof, "--", "sh", "-c",
			"/attack/enterspy /tmp/spy.log 100 & while ! grep -q ready /tmp/spy.log 2>/dev/null; do sleep 0.01; done; echo ready; wait")
		secret := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(secret, []byte("E1SECRET host file\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(secret)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		enter := func(args ...string) result {
			return sandboxCmd(t, m, func(c *exec.Cmd) {
				c.Env = append(c.Env, env...)
				c.Env = append(c.Env, "E1SECRET_ENV=E1SECRET")
				c.ExtraFiles = []*os.File{f}
			}, append([]string{"enter", name, "--"}, args...)...)
		}
		// The control: entered sleeps, after their exec, until the spy
		// has attacked one successfully (one seen at the very end of
		// its exec can still refuse; the spy tries up to five).
		for i := 0; i < 5; i++ {
			if r := enter("sleep", "1"); r.code != 0 {
				t.Fatalf("enter sleep: %s", r)
			}
			l := sandboxEnv(t, m, env, "enter", name, "--", "cat", "/tmp/spy.log").stdout
			if controlOK(l) {
				break
			}
		}
		// The entering processes, until the spy has caught a few
		// before their exec.
		var log string
		for i := 0; i < 60; i++ {
			if r := enter("true"); r.code != 0 {
				t.Fatalf("enter true: %s", r)
			}
			log = sandboxEnv(t, m, env, "enter", name, "--", "cat", "/tmp/spy.log").stdout
			if strings.Count(log, "pre-exec ") >= 3 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("the spy's log:\n%s", log)
		var control, caught bool
		for _, line := range strings.Split(log, "\n") {
			switch {
			case strings.HasPrefix(line, "control "):
				control = true
			case strings.HasPrefix(line, "pre-exec "):
				// Only an attempt made while the process still was
				// the launcher's counts.
				if !strings.Contains(line, "comm-after=sandbox") {
					continue
				}
				caught = true
				for _, bad := range []string{"seize=OK", "attach=OK", "fddir=OK", "environ=OK", "leaked=1"} {
					if strings.Contains(line, bad) {
						t.Errorf("the payload got at the entering process before its exec (%s): %s", bad, line)
					}
				}
			}
		}
		if !control {
			t.Errorf("the spy never saw the entered sleep")
		} else if !controlOK(log) {
			t.Errorf("the control failed: the spy cannot ptrace or read an entered process even after its exec, so the attack proves nothing:\n%s", log)
		}
		requireOrSkip(t, caught, "the spy never caught an entering process before its exec in 60 tries")
	})
}

// controlOK: the spy ptraced and read at least one entered process after
// its exec, so it has the powers the attack needs.
func controlOK(log string) bool {
	for _, line := range strings.Split(log, "\n") {
		if strings.HasPrefix(line, "control ") && strings.Contains(line, "seize=OK") &&
			strings.Contains(line, "fddir=OK") && strings.Contains(line, "environ=OK") {
			return true
		}
	}
	return false
}
