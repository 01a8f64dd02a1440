package tests

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// File descriptor rows of the security checklist (D1, D2). TestNoLeakedFDs
// covers descriptors 3-5; these use the checklist's exact numbers, a
// socket, and pass_fds. D3 is TestD3LauncherFDsStable.

// fdsInside parses the probe's "fd N TARGET" lines.
func fdsInside(out string) map[string]string {
	fds := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.SplitN(line, " ", 3); len(f) == 3 && f[0] == "fd" {
			fds[f[1]] = f[2]
		}
	}
	return fds
}

// withCallerFDs starts the launcher holding 3</ 7</etc/passwd 9<>socket,
// as a careless caller's shell would.
func withCallerFDs(t *testing.T) func(*exec.Cmd) {
	t.Helper()
	root, err := os.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	passwd, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sock := os.NewFile(uintptr(pair[0]), "socket")
	peer := os.NewFile(uintptr(pair[1]), "peer")
	t.Cleanup(func() { root.Close(); passwd.Close(); sock.Close(); peer.Close() })
	return func(c *exec.Cmd) {
		// ExtraFiles[i] becomes descriptor 3+i; nil entries stay closed.
		c.ExtraFiles = []*os.File{root, nil, nil, nil, passwd, nil, sock}
	}
}

// TestD1OnlyDeclaredFDsInherited launches with descriptors 3, 7 and 9 open:
// the payload holds only 0-2, or 0-2 and 7 when the profile passes 7.
func TestD1OnlyDeclaredFDsInherited(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		r := sandboxCmd(t, m, withCallerFDs(t), "-p", attackProfile(t, ""), "--", "/attack/probe", "fds")
		if r.code != 0 {
			t.Fatal(r)
		}
		for fd, target := range fdsInside(r.stdout) {
			if fd != "0" && fd != "1" && fd != "2" {
				t.Errorf("the payload inherited descriptor %s (%s)", fd, target)
			}
		}

		pass := attackProfile(t, "\n[process]\npass_fds = [7]\n")
		r = sandboxCmd(t, m, withCallerFDs(t), "-p", pass, "--", "/bin/sh", "-c", "/attack/probe fds; head -c 5 <&7")
		if r.code != 0 {
			t.Fatal(r)
		}
		fds := fdsInside(r.stdout)
		for fd, target := range fds {
			if fd != "0" && fd != "1" && fd != "2" && fd != "7" {
				t.Errorf("pass_fds = [7]: the payload inherited descriptor %s (%s)", fd, target)
			}
		}
		if _, ok := fds["7"]; !ok || !strings.Contains(r.stdout, "root:") {
			t.Errorf("pass_fds = [7]: descriptor 7 did not reach the payload:\n%s", r)
		}
	})
}

// TestD2NoInternalFDs lists the descriptors of the payload and of every
// process it can see (the init included) without any caller descriptor:
// nothing of the launcher's (plan, sync pipes, profile, procfs) is there.
func TestD2NoInternalFDs(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		r := sandbox(t, m, "-p", attackProfile(t, ""), "--", "/attack/probe", "fds")
		if r.code != 0 {
			t.Fatal(r)
		}
		for fd, target := range fdsInside(r.stdout) {
			if fd != "0" && fd != "1" && fd != "2" {
				t.Errorf("the payload holds descriptor %s (%s)", fd, target)
			}
		}
		out := mustRun(t, m, "/bin/sh", "-c", `for p in /proc/[0-9]*; do [ "${p#/proc/}" = "$$" ] && continue; for f in $p/fd/*; do [ -e "$f" ] || [ -L "$f" ] || continue; echo "${p#/proc/} ${f##*/} $(readlink $f)"; done; done`)
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[1] == "0" || f[1] == "1" || f[1] == "2" {
				continue
			}
			if strings.Contains(f[2], ".toml") || strings.HasPrefix(f[2], "pipe:") || strings.HasPrefix(f[2], "socket:") ||
				strings.HasPrefix(f[2], "/proc") || strings.Contains(f[2], "memfd:") {
				t.Errorf("process %s inside holds descriptor %s -> %s", f[0], f[1], f[2])
			}
		}
	})
}

// TestD2PassFDsNameOnlyCallerFDs asks, through pass_fds, for descriptor
// numbers the caller did not open, where the launcher itself holds
// descriptors (the Go runtime's, the report pipe): the launch must refuse
// rather than hand one of the launcher's own to the payload. A number the
// caller did open still passes. With and without the plan cache.
func TestD2PassFDsNameOnlyCallerFDs(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		three := secProfile(t, "three.toml", "extends = [\"minimal\"]\n[process]\npass_fds = [3]\n")
		greedy := secProfile(t, "greedy.toml", "extends = [\"minimal\"]\n[process]\npass_fds = [3, 4, 5, 6, 7, 8, 9, 10]\n")
		for _, cache := range []string{"off", "on"} {
			env := func(c *exec.Cmd) {
				if cache == "off" {
					c.Env = append(c.Env, "SANDBOX_PLAN_CACHE=off")
				}
			}
			r := sandboxCmd(t, m, env, "-p", three, "--", "/bin/sh", "-c", "ls -l /proc/$$/fd")
			if r.code != 125 || !strings.Contains(r.stderr, "fd 3 is not open") {
				t.Fatalf("cache %s: pass_fds naming descriptors the caller does not hold: %s", cache, r)
			}
			setup := withCallerFDs(t)
			r = sandboxCmd(t, m, func(c *exec.Cmd) { env(c); setup(c) }, "-p", greedy, "--", "/bin/true")
			if r.code != 125 || !strings.Contains(r.stderr, "fd 4 is not open") {
				t.Fatalf("cache %s: the caller holds 3, 7 and 9 only: %s", cache, r)
			}
		}
	})
}
