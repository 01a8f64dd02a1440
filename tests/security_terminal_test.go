package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sandbox/internal/testutil"
)

// Terminal rows of the security checklist (T1, T2): the launcher runs on a
// pseudo-terminal that is its controlling terminal, as in a user's shell.

// pty is a pseudo-terminal pair; the slave is what the launcher gets.
type pty struct {
	master, slave *os.File
	rdev          uint64
}

func openPTY(t *testing.T) pty {
	t.Helper()
	m, sl := testutil.OpenPTY(t)
	var st unix.Stat_t
	if err := unix.Fstat(int(sl.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return pty{master: m, slave: sl, rdev: st.Rdev}
}

// pending returns what is waiting to be read on f, without blocking.
func pending(f *os.File) string {
	fd := int(f.Fd())
	unix.SetNonblock(fd, true)
	defer unix.SetNonblock(fd, false)
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			return out.String()
		}
		out.Write(buf[:n])
	}
}

// onTerminal runs argv (the launcher, or a program directly) in a new
// session whose controlling terminal is the pty's slave, with stdout to a
// pipe, and returns stdout and what was injected into the terminal's input.
func onTerminal(t *testing.T, p pty, m mode, argv ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "TERM=dumb"}
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.slave, &out, p.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0, Credential: m.cred}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	cmd.Wait()
	timer.Stop()
	time.Sleep(50 * time.Millisecond)
	pending(p.master) // echo and the launcher's messages
	return out.String(), pending(p.slave)
}

// TestT1NoTerminalInjection pushes "echo INJECTED" into the caller's
// terminal from inside with TIOCSTI, plain and with high bits set, with the
// default filter and with a new session instead of a filter. First it
// checks that the same program does inject when run on the terminal
// directly, so the test can see an injection.
func TestT1NoTerminalInjection(t *testing.T) {
	probe := filepath.Join(attackPrograms(t), "probe")
	premise := openPTY(t)
	_, injected := onTerminal(t, premise, asRoot, probe, "tiocsti=0")
	requireOrSkip(t, strings.Contains(injected, "INJECTED"),
		"TIOCSTI does not work on this machine outside a sandbox (dev.tty.legacy_tiocsti=0?), so an injection could not be seen")
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range []struct{ name, extra string }{
			{"default filter", ""},
			{"new session, no filter", "\n[process]\nnew_session = true\n\n[seccomp]\npolicy = \"none\"\n"},
		} {
			p := openPTY(t)
			prof := attackProfile(t, c.extra)
			out, injected := onTerminal(t, p, m, sandboxBin, "-p", prof, "--", "/attack/probe", "tiocsti=0", "tiocsti_hi=0", "tioclinux=0", "tioclinux_hi=0")
			res := parseProbes(t, out)
			if len(res) != 4 {
				t.Fatalf("%s: the probes did not run:\n%s", c.name, out)
			}
			for spec, o := range res {
				if o.ok() {
					t.Errorf("%s: %s succeeded: %s", c.name, spec, o)
				}
			}
			if injected != "" {
				t.Errorf("%s: input was injected into the caller's terminal: %q", c.name, injected)
			}
		}
	})
}

// TestT2Session reads the payload's session and controlling terminal on a
// real terminal: by default it keeps the caller's terminal (job control
// works; TIOCSTI is the filter's, see TestT1NoTerminalInjection); with
// new_session it is in a session started inside the sandbox (the caller's
// would show as 0 from inside the pid namespace), with no terminal.
func TestT2Session(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range []struct {
			name       string
			extra      string
			newSession bool
		}{
			{"default", "", false},
			{"new_session", "\n[process]\nnew_session = true\n", true},
		} {
			p := openPTY(t)
			prof := secProfile(t, "t2.toml", "extends = [\"minimal\"]\n"+c.extra)
			out, _ := onTerminal(t, p, m, sandboxBin, "-p", prof, "--", "/bin/sh", "-c", "exec cat /proc/self/stat")
			f := strings.Fields(out)
			if len(f) < 7 {
				t.Fatalf("%s: unexpected /proc/self/stat %q", c.name, out)
			}
			pid, sid, tty := f[0], f[5], f[6]
			if c.newSession {
				if sid == "0" || tty != "0" {
					t.Errorf("%s: session %s, tty %s for pid %s; want a session of the sandbox's own and no terminal", c.name, sid, tty, pid)
				}
				continue
			}
			// /proc/PID/stat encodes the device as new_encode_dev does.
			major, minor := uint64(unix.Major(p.rdev)), uint64(unix.Minor(p.rdev))
			if tty != strconv.FormatUint(minor&0xff|major<<8|(minor&^0xff)<<12, 10) {
				t.Errorf("%s: tty_nr %s, want the caller's terminal %d:%d as documented", c.name, tty, unix.Major(p.rdev), unix.Minor(p.rdev))
			}
		}
	})
}

// TestB15TerminalGuardKept is B15: a profile that allows or logs ioctl
// under the default policy still cannot push input into the caller's
// terminal (TIOCSTI, TIOCLINUX, with or without high bits: EPERM); only
// seccomp.allow_terminal_injection turns the guard off, and then the
// injection works (which shows the test can see one), explain lists it
// among the loosenings and check names it.
func TestB15TerminalGuardKept(t *testing.T) {
	probe := filepath.Join(attackPrograms(t), "probe")
	premise := openPTY(t)
	_, injected := onTerminal(t, premise, asRoot, probe, "tiocsti=0")
	requireOrSkip(t, strings.Contains(injected, "INJECTED"),
		"TIOCSTI does not work on this machine outside a sandbox (dev.tty.legacy_tiocsti=0?), so an injection could not be seen")
	bothModes(t, func(t *testing.T, m mode) {
		for _, action := range []string{"log", "allow"} {
			p := openPTY(t)
			prof := attackProfile(t, "\n[seccomp.syscalls]\nioctl = \""+action+"\"\n")
			out, injected := onTerminal(t, p, m, sandboxBin, "-p", prof, "--", "/attack/probe", "tiocsti=0", "tiocsti_hi=0", "tioclinux=0", "tioclinux_hi=0")
			res := parseProbes(t, out)
			if len(res) != 4 {
				t.Fatalf("ioctl = %q: the probes did not run:\n%s", action, out)
			}
			for spec, o := range res {
				if o.errno != "EPERM" || o.sig != 0 {
					t.Errorf("ioctl = %q: %s: %s, want EPERM from the terminal guard", action, spec, o)
				}
			}
			if injected != "" {
				t.Errorf("ioctl = %q: input was injected into the caller's terminal: %q", action, injected)
			}
		}

		p := openPTY(t)
		prof := attackProfile(t, "\n[seccomp]\nallow_terminal_injection = true\n\n[seccomp.syscalls]\nioctl = \"log\"\n")
		out, injected := onTerminal(t, p, m, sandboxBin, "-p", prof, "--", "/attack/probe", "tiocsti=0")
		if o := parseProbes(t, out)["tiocsti=0"]; !o.ok() || !strings.Contains(injected, "INJECTED") {
			t.Errorf("with allow_terminal_injection: TIOCSTI %s, injected %q; want it to work", o, injected)
		}
		const loosened = "LOOSENED: the terminal guard is off"
		if r := sandbox(t, m, "explain", prof); r.code != 0 || !strings.Contains(r.stdout, loosened) {
			t.Errorf("explain does not list the terminal guard among the loosenings:\n%s", r)
		}
		if r := sandbox(t, m, "check", prof); r.code != 0 || !strings.Contains(r.stdout, loosened) {
			t.Errorf("check does not name the terminal guard's loosening:\n%s", r)
		}
	})
}
