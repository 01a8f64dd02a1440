package tests

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sandbox/hostview"
	"sandbox/internal/testutil"
)

// Landlock (K1-K4): the ruleset the compiler derives from the mount view,
// scoping and port rules. Each test runs the attack with Landlock on and
// proves with landlock.enabled = false that the same attack works, so it
// cannot pass for another reason.

// landlockABI is this kernel's Landlock ABI, 0 without Landlock: the
// launcher's own reader, so a test and the compiler agree.
func landlockABI() int { return hostview.KernelLandlockABI() }

// needLandlockABI skips, with the measured ABI, where the kernel lacks the
// feature under test: another machine's kernel is not a failure.
func needLandlockABI(t *testing.T, abi int, feature string) {
	t.Helper()
	if got := landlockABI(); got < abi {
		testutil.SkipHostFact(t, fmt.Sprintf("%s needs Landlock ABI %d; this kernel reports ABI %d", feature, abi, got))
	}
}

// landlockOff turns Landlock off in a profile's text.
const landlockOff = "\n[landlock]\nenabled = false\n"

// TestK1NestedNamespaceCannotWrite is K1: a payload allowed nested user
// namespaces (as the browsers are) makes a user and mount namespace of its
// own and builds its own view there: a tmpfs over a read-only directory, a
// bind of /tmp onto another, written through. Under Landlock the nested
// namespaces still work but nothing can be mounted, so nothing is written
// outside the declared writable paths; the control write to /tmp works,
// and without Landlock the same mounts succeed. (As root the nested
// namespace gets no id map, so the full write through a fresh tmpfs is
// checked with unshare -r where the map can be written.)
func TestK1NestedNamespaceCannotWrite(t *testing.T) {
	needLandlockABI(t, 1, "the file rules")
	needPython(t)
	const nested = "\n[process]\nnested_user_namespaces = true\nnew_session = true\n\n[seccomp]\npolicy = \"none\"\n"
	// mount(8) refuses an unmapped caller, so the mounts are the
	// system call itself.
	mounts := `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b"none", b"/usr/share", b"tmpfs", 0, None) == 0:
    print("MOUNTED-TMPFS")
if libc.mount(b"/tmp", b"/usr/games", None, 4096, None) == 0:
    print("MOUNTED-BIND")
    try:
        os.listdir("/usr/games")
        print("BOUND-TMP" if os.path.exists("/usr/games/ctl") else "")
    except OSError:
        pass
`
	script := `echo ok > /tmp/ctl && echo CONTROL-$(cat /tmp/ctl)
unshare -Um --keep-caps --propagation unchanged sh -c 'echo NESTED; python3 -c "$0"' "$1"
unshare -rm --propagation unchanged sh -c 'mount -t tmpfs none /usr/share && echo pwned > /usr/share/x && echo WROTE-TMPFS' 2>/dev/null
true`
	bothModes(t, func(t *testing.T, m mode) {
		on := secProfile(t, "k1-on.toml", "extends = [\"minimal\"]\n"+nested)
		r := sandbox(t, m, "-p", on, "--", "/bin/sh", "-c", script, "sh", mounts)
		if !strings.Contains(r.stdout, "CONTROL-ok") || !strings.Contains(r.stdout, "NESTED") {
			t.Fatalf("the control write to /tmp or the nested namespace failed, so the test shows nothing:\n%s", r)
		}
		if strings.Contains(r.stdout, "MOUNTED") || strings.Contains(r.stdout, "WROTE") {
			t.Errorf("a nested mount view let the payload mount or write outside its writable paths:\n%s", r)
		}
		off := secProfile(t, "k1-off.toml", "extends = [\"minimal\"]\n"+nested+landlockOff)
		r = sandbox(t, m, "-p", off, "--", "/bin/sh", "-c", script, "sh", mounts)
		if !strings.Contains(r.stdout, "MOUNTED-TMPFS") || !strings.Contains(r.stdout, "BOUND-TMP") {
			t.Errorf("without Landlock the nested mounts did not work either, so the test cannot see the attack:\n%s", r)
		}
		if m.rootless() && !strings.Contains(r.stdout, "WROTE-TMPFS") {
			t.Errorf("without Landlock the write through a nested tmpfs failed, so the test cannot see the attack:\n%s", r)
		}
	})
}

// TestK2SignalScope is K2: with namespaces.pid = false the payload sees
// host pids; a host process of the payload's own host uid cannot be
// signalled under Landlock's signal scope (ABI 6), and can without it.
func TestK2SignalScope(t *testing.T) {
	needLandlockABI(t, 6, "signal scoping")
	const shared = "\n[namespaces]\npid = false\n\n[merge]\nremove.mount = [\"/proc\"]\n"
	bothModes(t, func(t *testing.T, m mode) {
		kill := func(profile string) (result, bool) {
			victim := exec.Command("/bin/sleep", "60")
			victim.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
			if err := victim.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { victim.Wait(); close(done) }()
			defer func() { victim.Process.Kill(); <-done }()
			r := sandbox(t, m, "-p", profile, "--", "/bin/sh", "-c", "kill -TERM "+strconv.Itoa(victim.Process.Pid)+" && echo SENT")
			select {
			case <-done:
				return r, true
			case <-time.After(2 * time.Second):
				return r, false
			}
		}
		r, died := kill(secProfile(t, "k2-on.toml", "extends = [\"minimal\"]\n"+shared))
		if died || strings.Contains(r.stdout, "SENT") {
			t.Errorf("the payload signalled a host process (died %v):\n%s", died, r)
		}
		if !strings.Contains(r.stderr, "ermitted") {
			t.Errorf("kill did not fail with EPERM:\n%s", r)
		}
		r, died = kill(secProfile(t, "k2-off.toml", "extends = [\"minimal\"]\n"+shared+landlockOff))
		if !died {
			t.Errorf("without Landlock the signal did not arrive either, so the test cannot see the attack:\n%s", r)
		}
	})
}

// python3Connect is a payload that connects to argv[1] (an abstract unix
// name, or a TCP port on 127.0.0.1) and prints CONNECTED or the error.
const python3Connect = `import socket, sys
a = sys.argv[1]
try:
    if a.startswith("@"):
        s = socket.socket(socket.AF_UNIX); s.connect("\0" + a[1:])
    elif a.startswith("bind:"):
        s = socket.socket(); s.bind(("127.0.0.1", int(a[5:])))
    else:
        s = socket.socket(); s.connect(("127.0.0.1", int(a)))
    print("CONNECTED")
except OSError as e:
    print("REFUSED", e.errno)
`

func needPython(t *testing.T) {
	t.Helper()
	_, err := os.Stat("/usr/bin/python3")
	requireOrSkip(t, err == nil, "python3 is not installed (make deps)")
}

// TestK3AbstractSocketScope is K3: with the host network an abstract unix
// socket listening on the host is unreachable under Landlock's socket
// scope (ABI 6), compiled and from the plan cache, and reachable without
// it.
func TestK3AbstractSocketScope(t *testing.T) {
	needLandlockABI(t, 6, "abstract unix socket scoping")
	needPython(t)
	name := fmt.Sprintf("@sandbox-k3-%d", os.Getpid())
	l, err := net.Listen("unix", name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	const host = "\n[namespaces]\nnet = false\n"
	bothModes(t, func(t *testing.T, m mode) {
		on := secProfile(t, "k3-on.toml", "extends = [\"minimal\"]\n"+host)
		r := sandbox(t, m, "-p", on, "--", "/usr/bin/python3", "-c", python3Connect, name)
		if !strings.Contains(r.stdout, "REFUSED") {
			t.Errorf("the payload reached the host's abstract socket %s:\n%s", name, r)
		}
		// From the plan cache too: the fast path runs the same step.
		c := newCacheRun(t, m)
		// A plan is cached only from files that have not changed
		// for a second (their ctime counts).
		time.Sleep(1100 * time.Millisecond)
		wantCold(t, c.run(t, "-p", on, "--", "/usr/bin/python3", "-c", python3Connect, name))
		r = c.run(t, "-p", on, "--", "/usr/bin/python3", "-c", python3Connect, name)
		wantCache(t, r, "hit")
		if !strings.Contains(r.stdout, "REFUSED") {
			t.Errorf("from the plan cache, the payload reached the host's abstract socket %s:\n%s", name, r)
		}
		off := secProfile(t, "k3-off.toml", "extends = [\"minimal\"]\n"+host+landlockOff)
		r = sandbox(t, m, "-p", off, "--", "/usr/bin/python3", "-c", python3Connect, name)
		if !strings.Contains(r.stdout, "CONNECTED") {
			t.Errorf("without Landlock the abstract socket was unreachable too, so the test cannot see the attack:\n%s", r)
		}
	})
}

// TestK4PortRules is K4: with the host network, network.connect_ports and
// network.bind_ports leave only the listed TCP ports (ABI 4). A listed
// port connects and binds; another is refused; without Landlock it is
// not.
func TestK4PortRules(t *testing.T) {
	needLandlockABI(t, 4, "TCP port rules")
	needPython(t)
	var ports []int
	for i := 0; i < 2; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	free := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	bindOK, bindNo := free(), free()
	rules := fmt.Sprintf("\n[namespaces]\nnet = false\n\n[network]\nconnect_ports = [%d]\nbind_ports = [%d]\n", ports[0], bindOK)
	bothModes(t, func(t *testing.T, m mode) {
		on := secProfile(t, "k4-on.toml", "extends = [\"minimal\"]\n"+rules)
		off := secProfile(t, "k4-off.toml", "extends = [\"minimal\"]\n"+rules+landlockOff)
		try := func(profile, arg string) result {
			return sandbox(t, m, "-p", profile, "--", "/usr/bin/python3", "-c", python3Connect, arg)
		}
		for _, c := range []struct {
			arg     string
			allowed bool
		}{
			{strconv.Itoa(ports[0]), true}, {strconv.Itoa(ports[1]), false},
			{"bind:" + strconv.Itoa(bindOK), true}, {"bind:" + strconv.Itoa(bindNo), false},
		} {
			r := try(on, c.arg)
			if got := strings.Contains(r.stdout, "CONNECTED"); got != c.allowed {
				t.Errorf("%s with the port rules: allowed %v, want %v:\n%s", c.arg, got, c.allowed, r)
			}
			if !c.allowed {
				if r := try(off, c.arg); !strings.Contains(r.stdout, "CONNECTED") {
					t.Errorf("%s without Landlock failed too, so the test cannot see the attack:\n%s", c.arg, r)
				}
			}
		}
	})
}
