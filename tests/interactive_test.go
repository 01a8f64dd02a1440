package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Interactive use on a real terminal, as a user types at it: the launcher
// runs as the leader of a session whose controlling terminal is a
// pseudo-terminal's slave (stdin, stdout and stderr), and the test types
// into the master and reads what the terminal shows.

// ttyRun is one launch on a pseudo-terminal.
type ttyRun struct {
	t    *testing.T
	p    pty
	cmd  *exec.Cmd
	mu   sync.Mutex
	seen bytes.Buffer
	done chan struct{}
	err  error
}

// startTTYRun starts argv in dir as m, on a new pty as its
// controlling terminal and every standard file.
func startTTYRun(t *testing.T, m mode, dir string, argv ...string) *ttyRun {
	t.Helper()
	return startTTYRunEnv(t, m, dir, nil, argv...)
}

// startTTYRunEnv is startTTYRun with env added to the launcher's
// environment.
func startTTYRunEnv(t *testing.T, m mode, dir string, env []string, argv ...string) *ttyRun {
	t.Helper()
	s := &ttyRun{t: t, p: openPTY(t), done: make(chan struct{})}
	home := "/root"
	if m.rootless() {
		home = "/nonexistent"
	}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Dir = dir
	s.cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8", "TERM=dumb"}, env...)
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = s.p.slave, s.p.slave, s.p.slave
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0, Credential: m.cred}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := s.p.master.Read(buf)
			s.mu.Lock()
			s.seen.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// output is everything the terminal showed so far.
func (s *ttyRun) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen.String()
}

// typeIn writes keys to the terminal as typed.
func (s *ttyRun) typeIn(keys string) {
	s.t.Helper()
	if _, err := s.p.master.Write([]byte(keys)); err != nil {
		s.t.Fatalf("typing %q: %v", keys, err)
	}
}

// waitFor waits until the terminal has shown want count times in all.
func (s *ttyRun) waitFor(want string, count int) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(s.output(), want) >= count {
			return
		}
		select {
		case <-s.done:
			// What it wrote last may still be on its way from the
			// master.
			for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if strings.Count(s.output(), want) >= count {
					return
				}
			}
			s.t.Fatalf("the launcher ended (%v) before the terminal showed %q:\n%s", s.err, want, s.output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.t.Fatalf("the terminal never showed %q:\n%s", want, s.output())
}

// wait waits for the launcher to end and returns its exit code.
func (s *ttyRun) wait() int {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Fatalf("the launcher did not end:\n%s", s.output())
	}
	return s.cmd.ProcessState.ExitCode()
}

// projectDir is a directory the payload can enter and write in either
// mode, as the agent profile's project.
func projectDir(t *testing.T) string {
	dir := sharedDir(t, 0o777)
	return dir
}

// TestInteractiveTTYName runs tty and os.ttyname(0) in the shell and agent
// profiles on a terminal: the caller's terminal has a name inside
// (/dev/console, the host's node bound there), it is the very terminal
// the payload holds, and its mode cannot be changed from inside (the bind
// is read-only: EROFS whoever the payload is). Without a terminal there is
// no such node.
func TestInteractiveTTYName(t *testing.T) {
	_, err := exec.LookPath("python3")
	requireOrSkip(t, err == nil, "python3 is needed for os.ttyname")
	bothModes(t, func(t *testing.T, m mode) {
		for _, prof := range []string{"shell", "agent"} {
			s := startTTYRun(t, m, projectDir(t), sandboxBin, "-p", prof, "--", "/bin/sh", "-c",
				`tty; python3 -c 'import os; print("ttyname=" + os.ttyname(0))'; stty size >/dev/null && echo "stty=ok"
[ "$(stat -c %t:%T:%i /dev/console)" = "$(stat -L -c %t:%T:%i /proc/self/fd/0)" ] && echo "same=yes"
chmod 0666 /dev/console 2>&1 | grep -q "Read-only file system" && echo "chmod=refused"
echo "tty-$?-done"`)
			s.waitFor("-done", 1)
			if code := s.wait(); code != 0 {
				t.Errorf("%s: exit %d:\n%s", prof, code, s.output())
			}
			out := s.output()
			for _, want := range []string{"/dev/console\r\n", "ttyname=/dev/console", "stty=ok", "same=yes", "chmod=refused", "tty-0-done"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s: the terminal shows no %q:\n%s", prof, want, out)
				}
			}
		}
		// The cached plan's launch, which runs before Go starts, does
		// the same. Started from /: from a directory the shell profile
		// hides, the launch prints a notice about its working
		// directory, and such a plan is not cached.
		rt, dir := newCacheRun(t, m), "/"
		for i, want := range []string{"plan cache: stored", "plan cache: hit"} {
			s := startTTYRunEnv(t, m, dir, []string{"XDG_RUNTIME_DIR=" + rt.runtime, "SANDBOX_PLAN_CACHE=verbose"},
				sandboxBin, "-p", "shell", "--", "/bin/sh", "-c", `echo "tty=$(tty)"; echo "cached-done"`)
			s.waitFor("cached-done", 1)
			s.wait()
			if out := s.output(); !strings.Contains(out, want) || !strings.Contains(out, "tty=/dev/console") {
				t.Errorf("launch %d: want %q and tty=/dev/console:\n%s", i+1, want, out)
			}
		}
		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.Stdin = nil }, "-p", "shell", "--", "/bin/sh", "-c", "tty; ls -A /dev")
		if strings.Contains(r.stdout, "console") || !strings.Contains(r.stdout, "not a tty") {
			t.Errorf("without a terminal: %s", r)
		}
	})
}

// TestInteractiveJobControl runs an interactive bash in the agent and
// shell profiles on a terminal: it has job control, ^C interrupts a
// foreground command inside without ending the sandbox, ^Z stops it and fg
// brings it back, and exit ends the launcher with the shell's status.
func TestInteractiveJobControl(t *testing.T) {
	_, err := os.Stat("/bin/bash")
	requireOrSkip(t, err == nil, "bash is needed")
	bothModes(t, func(t *testing.T, m mode) {
		for _, prof := range []string{"agent", "shell"} {
			t.Run(prof, func(t *testing.T) {
				s := startTTYRun(t, m, projectDir(t), sandboxBin, "-p", prof, "--", "/bin/bash", "--norc", "--noprofile", "-i")
				// Each marker is printed from two halves, so that the
				// terminal's echo of the typed line never matches it.
				s.typeIn("echo J''C=$-\n")
				s.waitFor("JC=", 1)
				s.typeIn("printf 'S%sD\\n' TARTE; sleep 100\n")
				s.waitFor("STARTED", 1)
				time.Sleep(200 * time.Millisecond)
				s.typeIn("\x03")
				s.typeIn("echo A''FTER-INT $?\n")
				s.waitFor("AFTER-INT 130", 1)
				s.typeIn("printf 'S%sD\\n' TARTE; sleep 100\n")
				s.waitFor("STARTED", 2)
				time.Sleep(200 * time.Millisecond)
				s.typeIn("\x1a")
				s.waitFor("Stopped", 1)
				s.typeIn("jobs; echo J''OBS-DONE\n")
				s.waitFor("JOBS-DONE", 1)
				s.typeIn("fg\n")
				time.Sleep(300 * time.Millisecond)
				s.typeIn("\x03")
				s.typeIn("echo A''FTER-FG $?\n")
				s.waitFor("AFTER-FG 130", 1)
				s.typeIn("exit 7\n")
				if code := s.wait(); code != 7 {
					t.Errorf("exit code %d, want the shell's 7:\n%s", code, s.output())
				}
				out := s.output()
				for _, bad := range []string{"no job control", "cannot set terminal process group"} {
					if strings.Contains(out, bad) {
						t.Errorf("bash says %q:\n%s", bad, out)
					}
				}
				if i := strings.Index(out, "JC="); i < 0 || !strings.Contains(strings.SplitN(out[i:], "\n", 2)[0], "m") {
					t.Errorf("bash's flags lack m (job control):\n%s", out)
				}
			})
		}
	})
}

// TestInteractiveEarlyCtrlC types ^C at once after the launcher starts on
// a terminal, at a range of moments during its setup, with the cached
// plan (shell) and without (agent): every launch ends, and no payload
// outlives it. (Under script(1) a ^C typed before script's child has the
// terminal, or before `sh -c` has started the launcher, goes to script or
// sh: the sandbox never sees it, and such a run is not one of these.)
func TestInteractiveEarlyCtrlC(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, prof := range []string{"shell", "agent"} {
			for i := 0; i < 12; i++ {
				arg := fmt.Sprintf("7%d%03d", os.Getpid()%1000, i)
				s := startTTYRun(t, m, projectDir(t), sandboxBin, "-p", prof, "--", "sleep", arg)
				time.Sleep(time.Duration(i*2) * time.Millisecond)
				s.typeIn("\x03")
				select {
				case <-s.done:
				case <-time.After(10 * time.Second):
					t.Errorf("%s, ^C after %d ms: the launcher still runs:\n%s", prof, i*2, s.output())
				}
				time.Sleep(50 * time.Millisecond)
				if out, _ := exec.Command("pgrep", "-f", "^sleep "+arg+"$").Output(); len(out) > 0 {
					t.Errorf("%s, ^C after %d ms: the payload outlived the launcher: %s", prof, i*2, out)
					for _, pid := range strings.Fields(string(out)) {
						if n, err := strconv.Atoi(pid); err == nil {
							syscall.Kill(n, syscall.SIGKILL)
						}
					}
				}
			}
		}
	})
}
