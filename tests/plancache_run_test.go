package tests

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Launches from the plan cache behave like compiled ones: exit codes,
// signals, the launcher's death, descriptors. The helpers are in
// plancache_test.go.

// TestPlanCacheExitAndFailure checks exit codes from the cache: the
// payload's own, a signal's, and a command that cannot be run, which the
// compiled path then reports.
func TestPlanCacheExitAndFailure(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		for _, tc := range []struct {
			args []string
			code int
			err  string
		}{
			{[]string{"/bin/sh", "-c", "exit 3"}, 3, ""},
			{[]string{"/bin/sh", "-c", "kill -TERM $$"}, 128 + 15, ""},
			{[]string{"/no/such/program"}, 127, "sandbox: /no/such/program: command not found\n"},
			{[]string{"/dev/null"}, 126, "sandbox: /dev/null: permission denied\n"},
		} {
			args := append([]string{"-p", "minimal", "--"}, tc.args...)
			for i, want := range [][]string{nil, {"hit"}} {
				r := c.run(t, args...)
				if r.code != tc.code || !strings.Contains(r.stderr, tc.err) {
					t.Fatalf("%q launch %d: want exit %d and %q\n%s", tc.args, i+1, tc.code, tc.err, r)
				}
				// An exec failure is reported once, from the cached
				// launch itself: the sandbox is not set up again just
				// to fail the same way.
				if tc.err != "" && strings.Count(r.stderr, tc.err) != 1 {
					t.Fatalf("%q launch %d: want %q exactly once\n%s", tc.args, i+1, tc.err, r)
				}
				if want == nil {
					wantCold(t, r)
				} else {
					wantCache(t, r, want...)
				}
			}
		}
	})
}

// start starts a launch in the background, with its stderr kept.
func (c *cacheRun) start(t *testing.T, args ...string) (*exec.Cmd, *bufio.Reader, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(sandboxBin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
	if c.m.rootless() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.m.cred}
	}
	c.setup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errb := &bytes.Buffer{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(out), errb
}

// TestPlanCacheSignals checks that a cached launch forwards signals to the
// payload like a compiled one, with and without an init.
func TestPlanCacheSignals(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		pid1 := writeProfile(t, "pid1.toml", "extends = [\"minimal\"]\n[process]\ninit = false\n")
		settle(t, pid1)
		for _, tc := range []struct {
			name string
			args []string
			sig  syscall.Signal
			code int
		}{
			{"handler", []string{"-p", "minimal", "--", "/bin/sh", "-c",
				"trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"}, syscall.SIGTERM, 42},
			{"hangup", []string{"-p", "minimal", "--", "/bin/sh", "-c",
				"trap 'exit 43' HUP; echo ready; while :; do sleep 0.05; done"}, syscall.SIGHUP, 43},
			// PID 1 without a handler: the kernel would drop the
			// signal; the launcher kills it and reports the signal.
			{"pid1", []string{"-p", pid1, "--", "/bin/sh", "-c", "echo ready; exec sleep 1000"}, syscall.SIGTERM, 128 + 15},
		} {
			for i, want := range []string{"stored", "hit"} {
				cmd, out, errb := c.start(t, tc.args...)
				if got := readLine(t, out); got != "ready" {
					t.Fatalf("%s: sandbox said %q", tc.name, got)
				}
				cmd.Process.Signal(tc.sig)
				cmd.Wait()
				if code := cmd.ProcessState.ExitCode(); code != tc.code {
					t.Errorf("%s launch %d: exit %d, want %d\n%s", tc.name, i+1, code, tc.code, errb.String())
				}
				said := cacheSaid(errb.String())
				if len(said) == 0 || said[len(said)-1] != want {
					t.Errorf("%s launch %d: plan cache said %q, want %q last", tc.name, i+1, said, want)
				}
			}
		}
	})
}

// TestPlanCacheDieWithParent kills a cached launch's launcher with SIGKILL
// and checks that every process of its sandbox goes too (L1).
func TestPlanCacheDieWithParent(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		marker := "cached-die-with-parent-" + m.name + strconv.Itoa(os.Getpid())
		args := []string{"-p", "minimal", "--", "/bin/sh", "-c", "sleep 1003 & echo ready; exec sleep 1004 # " + marker}
		for i, want := range []string{"stored", "hit"} {
			cmd, out, errb := c.start(t, args...)
			if got := readLine(t, out); got != "ready" {
				t.Fatalf("sandbox said %q", got)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			waitGone(t, marker)
			waitGone(t, "sleep\x001003")
			waitGone(t, "sleep\x001004")
			said := cacheSaid(errb.String())
			if len(said) == 0 || said[len(said)-1] != want {
				t.Fatalf("launch %d: plan cache said %q, want %q last", i+1, said, want)
			}
		}
	})
}

// TestPlanCacheNoLeakedFDs checks that a cached launch passes the payload
// its three standard files and nothing the caller had open.
func TestPlanCacheNoLeakedFDs(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		extra, err := os.Open("/etc/hostname")
		if err != nil {
			t.Fatal(err)
		}
		defer extra.Close()
		args := []string{"-p", "minimal", "--", "/bin/sh", "-c", "ls /proc/$$/fd"}
		for i, want := range [][]string{nil, {"hit"}} {
			r := sandboxCmd(t, m, func(cmd *exec.Cmd) {
				c.setup(cmd)
				cmd.ExtraFiles = []*os.File{extra}
			}, args...)
			if want == nil {
				wantCold(t, r)
			} else {
				wantCache(t, r, want...)
			}
			if r.code != 0 || r.stdout != "0\n1\n2\n" {
				t.Fatalf("launch %d: fds of the payload: %s", i+1, r)
			}
		}
	})
}

// TestPlanCacheIgnoredSIGCHLD starts the launcher with SIGCHLD ignored, as
// some callers leave it: the kernel would then reap the sandbox itself and
// leave no status to wait for. Both launches must still end with the
// payload's code.
func TestPlanCacheIgnoredSIGCHLD(t *testing.T) {
	perl, err := exec.LookPath("perl")
	requireOrSkip(t, err == nil, "perl (Debian's essential perl-base) starts the launcher with SIGCHLD ignored")
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		args := []string{"-p", "minimal", "--", "/bin/sh", "-c", "echo ran; exit 4"}
		for i, want := range [][]string{nil, {"hit"}} {
			r := sandboxCmd(t, m, func(cmd *exec.Cmd) {
				c.setup(cmd)
				cmd.Path = perl
				cmd.Args = append([]string{"perl", "-e", `$SIG{CHLD} = "IGNORE"; exec @ARGV or die "exec: $!"`, sandboxBin}, args...)
			}, args...)
			if r.code != 4 || r.stdout != "ran\n" {
				t.Fatalf("launch %d with SIGCHLD ignored: %s", i+1, r)
			}
			if want == nil {
				wantCold(t, r)
			} else {
				wantCache(t, r, want...)
			}
		}
	})
}

// TestPlanCachePassFDs checks a cached plan that passes an fd: the fd
// reaches the payload when the caller has it open, and without it the
// launch goes the compiled way, which names the missing fd.
func TestPlanCachePassFDs(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		prof := writeProfile(t, "pass.toml", "extends = [\"minimal\"]\n[process]\npass_fds = [3]\n")
		settle(t, prof)
		extra, err := os.Open("/etc/hostname")
		if err != nil {
			t.Fatal(err)
		}
		defer extra.Close()
		args := []string{"-p", prof, "--", "/bin/sh", "-c", "ls /proc/$$/fd"}
		withFD := func(cmd *exec.Cmd) {
			c.setup(cmd)
			cmd.ExtraFiles = []*os.File{extra}
		}
		for i, want := range [][]string{nil, {"hit"}} {
			r := sandboxCmd(t, m, withFD, args...)
			if want == nil {
				wantCold(t, r)
			} else {
				wantCache(t, r, want...)
			}
			if r.code != 0 || r.stdout != "0\n1\n2\n3\n" {
				t.Fatalf("launch %d: fds of the payload: %s", i+1, r)
			}
		}
		r := c.run(t, args...)
		if r.code != 125 || !strings.Contains(r.stderr, "fd 3 is not open") {
			t.Fatalf("without fd 3: %s", r)
		}
		wantCache(t, r, "hit", "not used (an fd in process.pass_fds is not open)")
	})
}
