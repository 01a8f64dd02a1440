package tests

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPrivilegesDropped reads /proc/self/status inside: no capability in
// any of the five sets, NoNewPrivs set, a seccomp filter (P1, P2).
func TestPrivilegesDropped(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		st := mustRun(t, m, "/bin/cat", "/proc/self/status")
		for _, f := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
			if v := statusField(st, f); v != "0000000000000000" {
				t.Errorf("%s = %q, want no capabilities", f, v)
			}
		}
		if v := statusField(st, "NoNewPrivs"); v != "1" {
			t.Errorf("NoNewPrivs = %q, want 1", v)
		}
		if v := statusField(st, "Seccomp"); v != "2" {
			t.Errorf("Seccomp = %q, want 2 (filter)", v)
		}
	})
}

// TestKeptCapability checks that a declared capability is in exactly the
// sets it should be, and nothing else is.
func TestKeptCapability(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		p := writeProfile(t, "cap.toml", `extends = ["minimal"]
[capabilities]
keep = ["CAP_NET_BIND_SERVICE"]
ambient = true
`)
		r := sandbox(t, m, "-p", p, "--", "/bin/cat", "/proc/self/status")
		if r.code != 0 {
			t.Fatal(r)
		}
		want := fmt.Sprintf("%016x", 1<<10) // CAP_NET_BIND_SERVICE is 10
		for _, f := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
			if v := statusField(r.stdout, f); v != want {
				t.Errorf("%s = %q, want %s", f, v, want)
			}
		}
	})
}

// TestNamespacesAreNew compares the namespace ids inside with the host's.
func TestNamespacesAreNew(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		out := mustRun(t, m, "/bin/sh", "-c", "for n in user mnt pid net ipc uts cgroup; do echo $n $(readlink /proc/self/ns/$n); done")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			name, inside, _ := strings.Cut(line, " ")
			host, err := os.Readlink("/proc/self/ns/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if inside == host || inside == "" {
				t.Errorf("%s namespace inside is %q, the host's is %q", name, inside, host)
			}
		}
	})
}

// TestOnlyLoopback checks that a new network namespace has only lo (I3).
func TestOnlyLoopback(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		out := mustRun(t, m, "/bin/cat", "/proc/net/dev")
		var ifaces []string
		for _, line := range strings.Split(out, "\n")[2:] {
			if name, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
				ifaces = append(ifaces, name)
			}
		}
		if len(ifaces) != 1 || ifaces[0] != "lo" {
			t.Fatalf("interfaces inside: %v, want only lo", ifaces)
		}
	})
}

// TestReadOnlyMountsRefuseWrites tries every kind of write on the
// read-only /usr (F1).
func TestReadOnlyMountsRefuseWrites(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, cmd := range []string{
			"touch /usr/x",
			"mkdir /usr/newdir",
			"rm -f /usr/bin/true",
			"chmod 777 /usr/bin",
			"echo x > /etc/passwd",
		} {
			r := sandbox(t, m, "-p", "minimal", "--", "/bin/sh", "-c", "( "+cmd+" ) 2>&1; echo rc=$?")
			if !strings.Contains(r.stdout, "Read-only file system") && !strings.Contains(r.stdout, "Permission denied") || strings.Contains(r.stdout, "rc=0") {
				t.Errorf("%q was not refused:\n%s", cmd, r)
			}
		}
		if _, err := os.Stat("/usr/x"); err == nil {
			os.Remove("/usr/x")
			t.Fatal("a write inside reached the host's /usr")
		}
	})
}

// TestHostInvisible checks that host paths outside the declared mounts do
// not exist inside (I6).
func TestHostInvisible(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		out := mustRun(t, m, "/bin/sh", "-c", "ls -a /; for p in /home /root /etc/shadow /var /sys /run /boot /etc/ssh; do test -e $p && echo VISIBLE $p; done; true")
		if strings.Contains(out, "VISIBLE") {
			t.Errorf("host paths visible inside:\n%s", out)
		}
		mi := mustRun(t, m, "/bin/cat", "/proc/self/mountinfo")
		if strings.Contains(mi, "oldroot") || strings.Contains(mi, " /home") {
			t.Errorf("the mount table shows a trace of the host:\n%s", mi)
		}
	})
}

// TestNoLeakedFDs starts the launcher with extra descriptors open, as a
// careless caller would, and lists the payload's (D1, D2).
func TestNoLeakedFDs(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		f1, _ := os.Open("/etc/passwd")
		f2, _ := os.Open("/")
		defer f1.Close()
		defer f2.Close()
		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.ExtraFiles = []*os.File{f1, f2, f1} },
			"-p", "minimal", "--", "/bin/sh", "-c", "ls /proc/self/fd")
		if r.code != 0 {
			t.Fatal(r)
		}
		fds := strings.Fields(r.stdout)
		// ls itself opens one descriptor to read the directory.
		if len(fds) > 4 {
			t.Fatalf("payload holds descriptors beyond 0-2: %v", fds)
		}
		for _, fd := range fds {
			if fd != "0" && fd != "1" && fd != "2" && fd != "3" {
				t.Fatalf("payload holds descriptor %s: %v", fd, fds)
			}
		}
	})
}

// TestHostname checks that a hostname set by the profile is set inside and
// the host's is unchanged (I5).
func TestHostname(t *testing.T) {
	before, _ := os.Hostname()
	bothModes(t, func(t *testing.T, m mode) {
		p := writeProfile(t, "host.toml", "extends = [\"minimal\"]\nhostname = \"inside-box\"\n")
		r := sandbox(t, m, "-p", p, "--", "/bin/cat", "/proc/sys/kernel/hostname")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "inside-box" {
			t.Fatalf("hostname inside: %s", r)
		}
	})
	if after, _ := os.Hostname(); after != before {
		t.Fatalf("host hostname changed from %q to %q", before, after)
	}
}
