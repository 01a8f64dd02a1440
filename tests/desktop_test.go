package tests

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The desktop tests give the sandbox a session made of parts the test
// starts itself: listening sockets in a runtime directory of its own, an
// Xvfb display, a private dbus-daemon. Nothing of the machine's own
// session (if any) is used.

// socketServer listens on a unix socket at path, answering every
// connection with token; anyone may connect.
func socketServer(t *testing.T, path, token string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := os.Chmod(path, 0o777); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(token))
			c.Close()
		}
	}()
}

// socketsProbe asks each socket the desktop switches bound for its token
// and looks at the runtime directory the sandbox got.
const socketsProbe = `
import errno, os, socket, stat
rt = os.environ["XDG_RUNTIME_DIR"]
def ask(path):
    s = socket.socket(socket.AF_UNIX); s.connect(path); return s.recv(32).decode()
print("wayland", os.environ["WAYLAND_DISPLAY"], ask(os.path.join(rt, os.environ["WAYLAND_DISPLAY"])))
# The pulse socket is the launcher's filter: it relays only whole protocol
# frames, so the fake server's bare token never reaches the client.
print("pulse", "filtered" if ask(os.environ["PULSE_SERVER"][len("unix:"):]) == "" else "unfiltered")
print("pipewire", ask(os.path.join(rt, "pipewire-0")))
print("entries", " ".join(sorted(os.listdir(rt))), "/", " ".join(sorted(os.listdir(os.path.join(rt, "pulse")))))
print("mode", oct(stat.S_IMODE(os.stat(rt).st_mode)))
print("fs", [l.split(" - ")[1].split()[0] for l in open("/proc/self/mountinfo") if l.split()[4] == rt])
try:
    os.chmod(os.path.join(rt, "wayland-0"), 0o700); print("chmod allowed")
except OSError as e:
    print("chmod", errno.errorcode[e.errno])
`

// TestDesktopSockets checks wayland, pulseaudio and pipewire: each socket
// is reachable inside at the path its variable names, in a private tmpfs
// runtime directory (0700) that holds nothing else of the caller's, bound
// read-only; the pulse socket leads to the launcher's filter (tested with
// real servers in sound_test.go).
func TestDesktopSockets(t *testing.T) {
	requirePython(t)
	bothModes(t, func(t *testing.T, m mode) {
		rt := userDir(t, m, "sandbox-it-session-", 0o700)
		if err := os.Mkdir(filepath.Join(rt, "pulse"), 0o700); err != nil {
			t.Fatal(err)
		}
		var sudo []string
		if m.rootless() {
			os.Chown(filepath.Join(rt, "pulse"), nobody, nobody)
		} else {
			// Root's sandbox is an unprivileged host id (R1): the
			// session is that of the user who ran sudo, whose id
			// the sandbox maps to.
			const user = 4321
			os.Chown(rt, user, user)
			os.Chown(filepath.Join(rt, "pulse"), user, user)
			sudo = []string{"SUDO_UID=4321", "SUDO_GID=4321"}
		}
		socketServer(t, filepath.Join(rt, "wayland-0"), "wayland-token")
		socketServer(t, filepath.Join(rt, "pulse", "native"), "pulse-token")
		socketServer(t, filepath.Join(rt, "pipewire-0"), "pipewire-token")
		if err := os.WriteFile(filepath.Join(rt, "secret"), []byte("not for the sandbox"), 0o600); err != nil {
			t.Fatal(err)
		}
		p := writeProfile(t, "sockets.toml", "extends = [\"minimal\"]\n[desktop]\nwayland = true\npulseaudio = true\npipewire = true\npipewire_unrestricted = true\n")
		r := sandboxCmd(t, m, func(c *exec.Cmd) {
			c.Env = append(append(c.Env, "XDG_RUNTIME_DIR="+rt, "WAYLAND_DISPLAY=wayland-0"), sudo...)
		}, "-p", p, "--", "/usr/bin/python3", "-c", socketsProbe)
		want := (`wayland wayland-0 wayland-token
pulse filtered
pipewire pipewire-token
entries pipewire-0 pulse wayland-0 / native
mode 0o700
fs ['tmpfs']
chmod EROFS
`)
		if r.code != 0 || r.stdout != want {
			t.Fatalf("got %s\nwant stdout:\n%s", r, want)
		}
	})
}

// xvfb starts an X server that accepts only the cookie it returns, and
// returns its display number.
func xvfb(t *testing.T) (int, []byte) {
	t.Helper()
	requireProgram(t, "Xvfb", "xvfb")
	cookie := make([]byte, 16)
	rand.Read(cookie)
	dir := t.TempDir()
	serverAuth := filepath.Join(dir, "server-auth")
	// The server takes every record of its -auth file, whatever display
	// it names.
	if out, err := exec.Command("xauth", "-f", serverAuth, "add", ":0", "MIT-MAGIC-COOKIE-1", hex.EncodeToString(cookie)).CombinedOutput(); err != nil {
		t.Fatalf("xauth: %v\n%s", err, out)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-auth", serverAuth, "-nolisten", "tcp", "-screen", "0", "320x240x24")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	display := -1
	t.Cleanup(func() { stopXvfb(cmd, display) })
	r.SetReadDeadline(time.Now().Add(time.Minute))
	line, err := bufio.NewReader(r).ReadString('\n')
	n, perr := strconv.Atoi(strings.TrimSpace(line))
	if perr != nil {
		t.Fatalf("Xvfb did not start: %q, %v", line, err)
	}
	display = n
	return n, cookie
}

// stopXvfb ends the X server the way it removes its socket and lock file
// itself (SIGTERM); killed outright, it would leave /tmp/.X11-unix/XN and
// /tmp/.XN-lock behind after every test run. Whatever of them survives a
// server that had to be killed is removed here.
func stopXvfb(cmd *exec.Cmd, display int) {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	// Only when killed: a server that ended by itself removed its files,
	// and the number may already be another server's.
	if display >= 0 {
		os.Remove(fmt.Sprintf("/tmp/.X11-unix/X%d", display))
		os.Remove(fmt.Sprintf("/tmp/.X%d-lock", display))
	}
}

// x11Probe shows the display, the cookies the sandbox holds, and whether
// the server accepts it with them and without them.
const x11Probe = `
echo "display $DISPLAY"
xauth list
xdpyinfo >/dev/null 2>&1 && echo "with the cookie: accepted" || echo "with the cookie: refused"
XAUTHORITY=/dev/null xdpyinfo >/dev/null 2>&1 && echo "without: accepted" || echo "without: refused"
ls -A /tmp/.X11-unix
`

// TestDesktopX11 checks x11 against a real X server: only its socket is
// bound, the Xauthority inside holds this display's cookie and no other
// (another display's, another host's), and that cookie is what lets the
// client in.
func TestDesktopX11(t *testing.T) {
	requireProgram(t, "xauth", "xauth")
	requireProgram(t, "xdpyinfo", "x11-utils")
	n, cookie := xvfb(t)
	host, _ := os.Hostname()
	bothModes(t, func(t *testing.T, m mode) {
		dir := userDir(t, m, "sandbox-it-xauth-", 0o700)
		file := filepath.Join(dir, "Xauthority")
		other := make([]byte, 16)
		rand.Read(other)
		for _, e := range [][]string{
			{fmt.Sprintf("%s/unix:%d", host, n), hex.EncodeToString(cookie)},
			{fmt.Sprintf("%s/unix:%d", host, n+1), hex.EncodeToString(other)},
			{fmt.Sprintf("otherhost/unix:%d", n), hex.EncodeToString(other)},
		} {
			if out, err := exec.Command("xauth", "-f", file, "add", e[0], "MIT-MAGIC-COOKIE-1", e[1]).CombinedOutput(); err != nil {
				t.Fatalf("xauth: %v\n%s", err, out)
			}
		}
		if m.rootless() {
			os.Chown(file, nobody, nobody)
		}
		p := writeProfile(t, "x11.toml", "extends = [\"minimal\"]\n[desktop]\nx11 = true\n")
		r := sandboxCmd(t, m, func(c *exec.Cmd) {
			c.Env = append(c.Env, fmt.Sprintf("DISPLAY=:%d", n), "XAUTHORITY="+file)
		}, "-p", p, "--", "/bin/sh", "-c", x11Probe)
		// FamilyWild is listed as "#ffff#" and an empty address.
		want := fmt.Sprintf("display :%d\n#ffff##:%d  MIT-MAGIC-COOKIE-1  %s\nwith the cookie: accepted\nwithout: refused\nX%d\n",
			n, n, hex.EncodeToString(cookie), n)
		if r.code != 0 || r.stdout != want {
			t.Fatalf("got %s\nwant stdout:\n%s", r, want)
		}
	})
}

// testBus is a private dbus-daemon run as the mode's user, with two
// peers owning org.sandbox.Allowed and org.sandbox.Denied.
func testBus(t *testing.T, m mode) string {
	t.Helper()
	requireProgram(t, "dbus-daemon", "dbus-daemon")
	requireProgram(t, "dbus-test-tool", "dbus-tests")
	requireProgram(t, "dbus-send", "dbus-bin")
	requireProgram(t, "xdg-dbus-proxy", "xdg-dbus-proxy")
	dir := userDir(t, m, "sandbox-it-bus-", 0o755)
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+sock+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "unix:path=" + sock
	start := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS=" + addr}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	start("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--nosyslog")
	waitFor(t, "the test bus's socket", func() bool { _, err := os.Stat(sock); return err == nil })
	for _, name := range []string{"org.sandbox.Allowed", "org.sandbox.Denied"} {
		start("dbus-test-tool", "echo", "--name="+name)
		waitFor(t, name+" to have an owner", func() bool {
			// As the bus's user: the bus lets only its own user in.
			q := exec.Command("dbus-send", "--bus="+addr, "--print-reply", "--dest=org.freedesktop.DBus", "/",
				"org.freedesktop.DBus.NameHasOwner", "string:"+name)
			q.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
			out, _ := q.Output()
			return strings.Contains(string(out), "boolean true")
		})
	}
	return addr
}

// waitFor polls ok until it holds; a minute without is a failure.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// dbusProbe calls both names on both buses and lists what it sees.
const dbusProbe = `
call() { dbus-send --$1 --print-reply --dest=$2 /x org.sandbox.Test.Ping >/dev/null 2>&1 && echo "$1 $2: answered" || echo "$1 $2: refused"; }
echo "session address $DBUS_SESSION_BUS_ADDRESS"
call session org.sandbox.Allowed
call session org.sandbox.Denied
echo "session names: $(dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames | grep -o 'org\.sandbox\.[A-Za-z]*' | sort | tr '\n' ' ')"
call system org.sandbox.Denied
echo "system sees Denied: $(dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.sandbox.Denied | grep -o 'boolean [a-z]*')"
echo "runtime dir: $(ls -A $XDG_RUNTIME_DIR)"
`

// TestDBusProxy checks the filtering proxy against a private bus, used as
// the session and the system bus: a name the profile lets the sandbox
// talk to answers, a name it may only see is visible but refuses calls,
// any other name is invisible; and the proxy and its directory are gone
// after the run.
func TestDBusProxy(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		addr := testBus(t, m)
		p := writeProfile(t, "dbus.toml", `extends = ["minimal"]
[dbus.session]
talk = ["org.sandbox.Allowed"]
[dbus.system]
see = ["org.sandbox.Denied"]
`)
		r := startWithHelpers(t, m, []string{"DBUS_SESSION_BUS_ADDRESS=" + addr, "DBUS_SYSTEM_BUS_ADDRESS=" + addr},
			"-p", p, "--", "/bin/sh", "-c", dbusProbe)
		code, out := r.finish(t)
		want := fmt.Sprintf(`session address unix:path=%s/bus
session org.sandbox.Allowed: answered
session org.sandbox.Denied: refused
session names: org.sandbox.Allowed 
system org.sandbox.Denied: refused
system sees Denied: boolean true
runtime dir: bus
`, r.runtime)
		if code != 0 || out != want {
			t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s\nwant:\n%s", code, out, r.stderr.String(), want)
		}
	})
}

// TestDBusNoRules checks that a profile without D-Bus rules reaches no bus,
// even when it keeps the caller's bus address.
func TestDBusNoRules(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		addr := testBus(t, m)
		p := writeProfile(t, "nobus.toml", "extends = [\"minimal\"]\n[environment]\nkeep = [\"DBUS_SESSION_BUS_ADDRESS\"]\n")
		r := startWithHelpers(t, m, []string{"DBUS_SESSION_BUS_ADDRESS=" + addr}, "-p", p, "--", "/bin/sh", "-c",
			`dbus-send --session --print-reply --dest=org.sandbox.Allowed /x org.sandbox.Test.Ping >/dev/null 2>&1 && echo reached || echo "no bus"`)
		if code, out := r.finish(t); code != 0 || out != "no bus\n" {
			t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, r.stderr.String())
		}
	})
}
