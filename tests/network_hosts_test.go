package tests

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The host addresses a NAT sandbox reaches, as docs/profile-format.md
// (network) states them. The launcher runs in a network namespace of the
// test's own standing for the host, so the answer does not depend on the
// machine's interfaces: "up0" holds the addresses and default routes of an
// uplink (192.0.2.2/24, fd00::2/64), "other0" a further address of the
// host's (198.51.100.7, 2001:db8::7), and lo the loopback addresses. A
// server listens on each, answering with its address.

// natHostAddrs are the addresses the servers listen on, by name.
var natHostAddrs = []struct{ name, addr string }{
	{"loopback4", "127.0.0.1"}, {"loopback6", "::1"},
	{"uplink4", "192.0.2.2"}, {"uplink6", "fd00::2"},
	{"other4", "198.51.100.7"}, {"other6", "2001:db8::7"},
}

// natHostsProbe connects from inside to each host address, to the IPv4 and
// IPv6 gateways, and to slirp4netns's host alias 10.0.2.2, and prints what
// answered.
const natHostsProbe = `
import socket, struct, sys
port = int(sys.argv[1])
def gw4():
    for line in open("/proc/net/route").read().splitlines()[1:]:
        f = line.split()
        if f[1] == "00000000":
            return socket.inet_ntoa(struct.pack("<L", int(f[2], 16)))
def gw6():
    for line in open("/proc/net/ipv6_route").read().splitlines():
        f = line.split()
        if f[0] == "0" * 32 and f[1] == "00" and f[4] != "0" * 32:
            return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(f[4]))
def reach(addr):
    if not addr:
        return "blocked no-route"
    try:
        s = socket.create_connection((addr, port), timeout=2)
        return "ok " + s.recv(64).decode().strip()
    except OSError as e:
        return "blocked " + type(e).__name__
targets = [("gateway4", gw4()), ("gateway6", gw6()), ("alias", "10.0.2.2")] + [(n, a) for n, a in zip(sys.argv[2::2], sys.argv[3::2])]
for name, addr in targets:
    print(name, reach(addr), flush=True)
`

// natHostNetwork makes the namespace that stands for the host and returns
// its path; a process holds it until the test ends.
func natHostNetwork(t *testing.T) string {
	t.Helper()
	requireOrSkip(t, os.Geteuid() == 0, "a network namespace standing for the host needs root")
	requireProgram(t, "ip", "iproute2")
	requireProgram(t, "nsenter", "util-linux")
	// veth pairs: every kernel with network namespaces has them (some
	// lack the dummy driver).
	script := `set -e
ip link set lo up
ip link add up0 type veth peer name up0-peer
ip link add other0 type veth peer name other0-peer
for l in up0 up0-peer other0 other0-peer; do ip link set "$l" up; done
ip addr add 192.0.2.2/24 dev up0
ip -6 addr add fd00::2/64 dev up0 nodad
ip route add default via 192.0.2.1
ip -6 route add default via fd00::1 dev up0
ip addr add 198.51.100.7/32 dev other0
ip -6 addr add 2001:db8::7/128 dev other0 nodad
echo ready
exec sleep 3600`
	cmd := exec.Command("unshare", "--net", "sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		requireOrSkip(t, false, "could not build a network namespace standing for the host: "+errb.String())
	}
	return fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)
}

// natHostServers listens on every natHostAddrs address, all on one port,
// in the namespace ns, and returns the port. The sockets are made on a
// thread that enters ns and is never handed back to the runtime.
func natHostServers(t *testing.T, ns string) int {
	t.Helper()
	type res struct {
		ls   []net.Listener
		port int
		err  error
	}
	ch := make(chan res)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		var r res
		defer func() { ch <- r }()
		fd, err := unix.Open(ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			r.err = err
			return
		}
		defer unix.Close(fd)
		if r.err = unix.Setns(fd, unix.CLONE_NEWNET); r.err != nil {
			return
		}
		for _, a := range natHostAddrs {
			l, err := net.Listen("tcp", net.JoinHostPort(a.addr, strconv.Itoa(r.port)))
			if err != nil {
				r.err = err
				return
			}
			r.ls = append(r.ls, l)
			r.port = l.Addr().(*net.TCPAddr).Port
		}
	}()
	r := <-ch
	t.Cleanup(func() {
		for _, l := range r.ls {
			l.Close()
		}
	})
	if r.err != nil {
		t.Fatalf("host servers: %v", r.err)
	}
	for i, l := range r.ls {
		go func(l net.Listener, addr string) {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Write([]byte("at-" + addr + "\n"))
				c.Close()
			}
		}(l, natHostAddrs[i].addr)
	}
	return r.port
}

// natReaches is what each backend reaches, as the documentation says:
// "ok at-ADDR" for the host server that answered, "blocked" otherwise.
func natReaches(backend string, allow bool) map[string]string {
	at := func(a string) string { return "ok at-" + a }
	want := map[string]string{
		// Inside, 127.0.0.1 and ::1 are the sandbox's own.
		"loopback4": "blocked", "loopback6": "blocked",
		// Any other address of the host's is an ordinary peer.
		"other4": at("198.51.100.7"),
	}
	switch backend {
	case "pasta":
		// The uplink's addresses are copied into the sandbox, so
		// there they name the sandbox itself; IPv6 works.
		want["uplink4"], want["uplink6"] = "blocked", "blocked"
		want["other6"] = at("2001:db8::7")
		want["alias"] = "blocked"
		want["gateway4"], want["gateway6"] = "blocked", "blocked"
		if allow {
			want["gateway4"], want["gateway6"] = at("127.0.0.1"), at("::1")
		}
	case "slirp4netns":
		// 10.0.2.0/24 of its own, IPv4 only; the gateway is the
		// alias 10.0.2.2.
		want["uplink4"], want["uplink6"] = at("192.0.2.2"), "blocked"
		want["other6"] = "blocked"
		want["gateway6"] = "blocked"
		want["gateway4"], want["alias"] = "blocked", "blocked"
		if allow {
			want["gateway4"], want["alias"] = at("127.0.0.1"), at("127.0.0.1")
		}
	}
	return want
}

// TestNetworkNATHostAddresses checks what a NAT sandbox reaches of the
// host, with each backend, rootless and as root, with allow_host_loopback
// off and on: the documented table, line for line.
func TestNetworkNATHostAddresses(t *testing.T) {
	requirePython(t)
	for _, backend := range []struct{ name, pkg string }{{"pasta", "passt"}, {"slirp4netns", "slirp4netns"}} {
		t.Run(backend.name, func(t *testing.T) {
			requireProgram(t, backend.name, backend.pkg)
			bothModes(t, func(t *testing.T, m mode) {
				ns := natHostNetwork(t)
				port := natHostServers(t, ns)
				for _, allow := range []bool{false, true} {
					t.Run("allow_host_loopback="+strconv.FormatBool(allow), func(t *testing.T) {
						testNATHostAddresses(t, m, ns, port, backend.name, allow)
					})
				}
			})
		})
	}
}

func testNATHostAddresses(t *testing.T, m mode, ns string, port int, backend string, allow bool) {
	p := writeProfile(t, "nat.toml", fmt.Sprintf("extends = [\"minimal\"]\n[network]\nmode = %q\nbackend = %q\nallow_host_loopback = %v\n",
		"nat", backend, allow))
	args := []string{"--net=" + ns}
	if m.rootless() {
		args = append(args, "setpriv", fmt.Sprintf("--reuid=%d", nobody), fmt.Sprintf("--regid=%d", nobody), "--clear-groups")
	}
	args = append(args, "env", "-i", "PATH=/usr/bin:/bin", "HOME=/nonexistent", "SANDBOX_PLAN_CACHE=off",
		sandboxBin, "-p", p, "--", "/usr/bin/python3", "-c", natHostsProbe, strconv.Itoa(port))
	for _, a := range natHostAddrs {
		args = append(args, a.name, a.addr)
	}
	cmd := exec.Command("nsenter", args...)
	cmd.Dir = "/"
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	out, err := cmd.Output()
	timer.Stop()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, res, _ := strings.Cut(line, " ")
		got[name] = res
	}
	for name, w := range natReaches(backend, allow) {
		g := got[name]
		if w == "blocked" && strings.HasPrefix(g, "blocked") {
			continue
		}
		if g != w {
			t.Errorf("%s: got %q, want %q", name, g, w)
		}
	}
}
