package tests

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The network tests use only loopback traffic and namespaces the sandbox
// creates: a server on the host's 127.0.0.1 that the sandbox must not (or,
// when allowed, may) reach, and a server inside the sandbox that a
// forward exposes on the host's 127.0.0.1.

// requirePython skips (or under CI fails) a test whose probes are Python
// scripts.
func requirePython(t *testing.T) {
	t.Helper()
	_, err := os.Stat("/usr/bin/python3")
	requireOrSkip(t, err == nil, "the network probes run /usr/bin/python3 inside the sandbox (make deps installs it)")
}

// requireProgram skips (or under CI fails) a test that needs a host
// program.
func requireProgram(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	requireOrSkip(t, err == nil, name+" is not installed (apt-get install "+pkg+"; make deps installs it)")
	return p
}

// hostServer listens on the host's 127.0.0.1 and answers every connection
// with secret. It returns the port.
func hostServer(t *testing.T, secret string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(secret + "\n"))
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// helperRun is one launcher process with a marker in its environment,
// which the helpers it starts (pasta, slirp4netns, xdg-dbus-proxy)
// inherit: after the run, no process may still carry it.
type helperRun struct {
	marker  string
	runtime string // the launcher's XDG_RUNTIME_DIR, where the helpers' private directory goes
	cmd     *exec.Cmd
	out     *lockedBuffer
	lines   chan string
	stderr  lockedBuffer
	waited  chan struct{}
	code    int
	// killed: the launcher died of SIGKILL, so its instance record is
	// left for the next `sandbox ps` to prune as stale.
	killed bool
}

// startWithHelpers starts `sandbox args...` in mode m with env added to
// the login-like environment. Stdout is read line by line.
func startWithHelpers(t *testing.T, m mode, env []string, args ...string) *helperRun {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	r := &helperRun{marker: "SANDBOX_TEST_RUN=" + hex.EncodeToString(b), out: &lockedBuffer{},
		lines: make(chan string, 100), waited: make(chan struct{})}
	r.runtime = userDir(t, m, "sandbox-it-runtime-", 0o700)
	cmd := exec.Command(sandboxBin, args...)
	cmd.Dir = "/"
	home, user := "/root", "root"
	if m.rootless() {
		home, user = "/nonexistent", "nobody"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "USER=" + user,
		"LANG=C.UTF-8", "XDG_RUNTIME_DIR=" + r.runtime, r.marker}, env...)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = writerFunc(func(b []byte) (int, error) { r.stderr.WriteString(string(b)); return len(b), nil })
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	r.cmd = cmd
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.out.WriteString(sc.Text() + "\n")
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	go func() {
		cmd.Wait()
		r.code = cmd.ProcessState.ExitCode()
		pw.Close()
		close(r.waited)
	}()
	return r
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// waitLine waits for a line with prefix and returns it.
func (r *helperRun) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				t.Fatalf("the sandbox ended before printing %q\nstdout:\n%s\nstderr:\n%s", prefix, r.out.String(), r.stderr.String())
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("no %q within a minute\nstdout:\n%s", prefix, r.out.String())
		}
	}
}

// finish waits for the launcher and returns its exit code and output, then
// checks that it left nothing behind: no helper process, nothing in the
// runtime directory.
func (r *helperRun) finish(t *testing.T) (int, string) {
	t.Helper()
	go func() {
		for range r.lines {
		}
	}()
	select {
	case <-r.waited:
	case <-time.After(2 * time.Minute):
		r.cmd.Process.Kill()
		<-r.waited
		t.Fatalf("the sandbox did not finish\nstdout:\n%s", r.out.String())
	}
	r.checkNothingLeft(t)
	return r.code, r.out.String()
}

// killLauncher kills the launcher with SIGKILL, as a crash would, and
// checks that its helpers and sandbox go with it and leave nothing.
func (r *helperRun) killLauncher(t *testing.T) {
	t.Helper()
	r.killed = true
	r.cmd.Process.Kill()
	go func() {
		for range r.lines {
		}
	}()
	<-r.waited
	// The kernel delivers the helpers' death signal as the launcher
	// exits; give it the time it takes to be reaped.
	deadline := time.Now().Add(10 * time.Second)
	for len(markedProcesses(r.marker)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	r.checkNothingLeft(t)
}

// checkNothingLeft fails if a process still carries the run's marker or
// the runtime directory holds anything but the plan cache.
func (r *helperRun) checkNothingLeft(t *testing.T) {
	t.Helper()
	if pids := markedProcesses(r.marker); len(pids) > 0 {
		t.Errorf("processes of the run outlived the launcher: %s", describePids(pids))
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	ents, err := os.ReadDir(r.runtime)
	if err != nil {
		t.Errorf("reading the runtime directory: %v", err)
	}
	for _, e := range ents {
		if e.Name() == "sandbox" {
			checkOnlyPlanCache(t, filepath.Join(r.runtime, "sandbox"), r.killed)
			continue
		}
		t.Errorf("left in the caller's runtime directory: %s", e.Name())
	}
}

// checkOnlyPlanCache fails unless dir holds the plan cache and nothing
// else: plans/*.plan, no temporary file.
func checkOnlyPlanCache(t *testing.T, dir string, killed bool) {
	t.Helper()
	for _, e := range entries(dir) {
		if e != "plans" && e != "instances" {
			t.Errorf("left in the caller's runtime directory: sandbox/%s", e)
		}
	}
	// A launcher that ended removed its instance record; one killed
	// could not, and the record is stale (its pid is gone).
	if !killed {
		for _, e := range entries(filepath.Join(dir, "instances")) {
			t.Errorf("instance record left after the launcher ended: %s", e)
		}
	}
	for _, e := range entries(filepath.Join(dir, "plans")) {
		if !strings.HasSuffix(e, ".plan") || strings.HasPrefix(e, ".") {
			t.Errorf("left in the plan cache: %s", e)
		}
	}
}

// markedProcesses are the pids whose environment holds marker.
func markedProcesses(marker string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(b, []byte(marker+"\x00")) {
			out = append(out, pid)
		}
	}
	return out
}

func describePids(pids []int) string {
	var parts []string
	for _, p := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		parts = append(parts, fmt.Sprintf("%d %s", p, strings.ReplaceAll(string(b), "\x00", " ")))
	}
	return strings.Join(parts, "; ")
}

// userDir makes a directory owned by the mode's user, with perm.
func userDir(t *testing.T, m mode, prefix string, perm os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if m.rootless() {
		if err := os.Chown(dir, int(m.cred.Uid), int(m.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, perm); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lockedBuffer is a buffer two goroutines may use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// noneProbe runs inside a sandbox with network mode "none": its own
// loopback works, it has no other interface, and the host's loopback
// server (port argv[1]) is out of reach.
const noneProbe = `
import fcntl, socket, struct, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
c = socket.create_connection(srv.getsockname(), timeout=5)
a, _ = srv.accept(); a.sendall(b"hello"); print("self", c.recv(8).decode())
names = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
print("interfaces", " ".join(names))
flags = struct.unpack("H", fcntl.ioctl(c.fileno(), 0x8913, struct.pack("16sH", b"lo", 0))[16:18])[0]
print("lo", "up" if flags & 1 else "down")
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3); print("host reachable")
except OSError as e:
    print("host", type(e).__name__)
try:
    u = socket.socket(socket.AF_UNIX); u.connect("\0" + sys.argv[2]); print("abstract reachable")
except OSError as e:
    print("abstract", type(e).__name__)
`

// TestNetworkNone checks mode "none" (checklist I3): lo is up and works,
// it is the only interface, and neither the host's 127.0.0.1 nor its
// abstract unix sockets are reachable.
func TestNetworkNone(t *testing.T) {
	requirePython(t)
	bothModes(t, func(t *testing.T, m mode) {
		port := hostServer(t, "host-secret")
		abstract := "sandbox-it-abstract-" + strconv.Itoa(port)
		l, err := net.Listen("unix", "@"+abstract)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		p := writeProfile(t, "none.toml", "extends = [\"minimal\"]\n[network]\nmode = \"none\"\n")
		r := sandbox(t, m, "-p", p, "--", "/usr/bin/python3", "-c", noneProbe, strconv.Itoa(port), abstract)
		want := "self hello\ninterfaces lo\nlo up\nhost ConnectionRefusedError\nabstract ConnectionRefusedError\n"
		if r.code != 0 || r.stdout != want {
			t.Fatalf("got %s\nwant stdout:\n%s", r, want)
		}
	})
}

// natProbe runs inside a NAT sandbox: it tries the host's loopback server
// (port argv[1]) through the sandbox's own 127.0.0.1 and through the
// default gateway, then serves one connection on 0.0.0.0:8080 for a
// forward to reach.
const natProbe = `
import socket, struct, sys
port = int(sys.argv[1])
def gateway():
    for line in open("/proc/net/route").read().splitlines()[1:]:
        f = line.split()
        if f[1] == "00000000":
            return socket.inet_ntoa(struct.pack("<L", int(f[2], 16)))
def reach(addr):
    try:
        s = socket.create_connection((addr, port), timeout=3)
        return "ok " + s.recv(64).decode().strip()
    except OSError as e:
        return "blocked " + type(e).__name__
print("interfaces", " ".join(sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:])))
print("loopback", reach("127.0.0.1"))
print("gateway", reach(gateway()))
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", 8080)); srv.listen(1); srv.settimeout(60)
print("listening", flush=True)
c, _ = srv.accept(); c.sendall(b"from-inside\n"); c.close()
print("served")
`

// TestNetworkNAT checks mode "nat" with each backend, rootless and as
// root: the sandbox gets a network of its own; the host's 127.0.0.1 is
// out of reach unless allow_host_loopback, and then only through the
// gateway; a forward makes the host's 127.0.0.1:HOSTPORT reach a server
// inside; and the helper is gone when the sandbox is.
func TestNetworkNAT(t *testing.T) {
	requirePython(t)
	for _, backend := range []struct{ name, pkg, iface string }{{"pasta", "passt", "eth0"}, {"slirp4netns", "slirp4netns", "tap0"}} {
		t.Run(backend.name, func(t *testing.T) {
			requireProgram(t, backend.name, backend.pkg)
			bothModes(t, func(t *testing.T, m mode) {
				for _, allow := range []bool{false, true} {
					t.Run("allow_host_loopback="+strconv.FormatBool(allow), func(t *testing.T) {
						testNAT(t, m, backend.name, backend.iface, allow)
					})
				}
			})
		})
	}
}

func testNAT(t *testing.T, m mode, backend, iface string, allow bool) {
	port := hostServer(t, "host-secret")
	fwd := freePort(t)
	p := writeProfile(t, "nat.toml", fmt.Sprintf(`extends = ["minimal"]
[network]
mode = "nat"
backend = %q
forward = ["%d:8080"]
allow_host_loopback = %v
`, backend, fwd, allow))
	r := startWithHelpers(t, m, nil, "-p", p, "--", "/usr/bin/python3", "-c", natProbe, strconv.Itoa(port))
	r.waitLine(t, "listening")
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", fwd), 10*time.Second)
	got := ""
	if err == nil {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		b, _ := io.ReadAll(c)
		got = strings.TrimSpace(string(b))
		c.Close()
	}
	code, out := r.finish(t)
	if got != "from-inside" {
		t.Errorf("the forward 127.0.0.1:%d -> 8080 gave %q (%v), want from-inside", fwd, got, err)
	}
	gateway := "gateway blocked"
	if allow {
		gateway = "gateway ok host-secret"
	}
	ifaces := []string{"lo", iface}
	sort.Strings(ifaces)
	want := "interfaces " + strings.Join(ifaces, " ") + "\nloopback blocked ConnectionRefusedError\n"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, "\n"+gateway) || !strings.HasSuffix(out, "served\n") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant %q, then %q", code, out, r.stderr.String(), want, gateway)
	}
}

// TestNetworkNATKilledLauncher checks that the NAT helper dies with the
// launcher, even when the launcher is killed (checklist L1).
func TestNetworkNATKilledLauncher(t *testing.T) {
	requireProgram(t, "pasta", "passt")
	bothModes(t, func(t *testing.T, m mode) {
		p := writeProfile(t, "nat.toml", "extends = [\"minimal\"]\n[network]\nmode = \"nat\"\nbackend = \"pasta\"\n")
		r := startWithHelpers(t, m, nil, "-p", p, "--", "/bin/sh", "-c", "echo started; exec sleep 600")
		r.waitLine(t, "started")
		if pids := markedProcesses(r.marker); len(pids) < 2 {
			t.Fatalf("expected the launcher and pasta to run, found %s", describePids(pids))
		}
		r.killLauncher(t)
	})
}
