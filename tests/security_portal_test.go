package tests

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// W3: xdg-desktop-portal decides what a caller may do by who it is, and it
// asks the process at the other end of the caller's bus connection: the
// sandbox's D-Bus proxy. These tests run the Debian portal on a private
// bus, with a backend of our own (the portal exports DynamicLauncher and
// Settings only when a backend implements them), and attack it from inside
// sandboxes.

// portalBackend implements the backend side of Settings (one key) and
// DynamicLauncher. Its RequestInstallToken refuses, as the desktops'
// backends do for any app they do not know, and logs the app id the portal
// asked about: that is who the portal took the caller for.
const portalBackend = `
import sys
from gi.repository import Gio, GLib

XML = """<node>
 <interface name="org.freedesktop.impl.portal.Settings">
  <method name="ReadAll"><arg type="as" direction="in"/><arg type="a{sa{sv}}" direction="out"/></method>
  <method name="Read"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/></method>
  <signal name="SettingChanged"><arg type="s"/><arg type="s"/><arg type="v"/></signal>
  <property name="version" type="u" access="read"/>
 </interface>
 <interface name="org.freedesktop.impl.portal.DynamicLauncher">
  <method name="PrepareInstall">
   <arg type="o" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/>
   <arg type="s" direction="in"/><arg type="v" direction="in"/><arg type="a{sv}" direction="in"/>
   <arg type="u" direction="out"/><arg type="a{sv}" direction="out"/>
  </method>
  <method name="RequestInstallToken">
   <arg type="s" direction="in"/><arg type="a{sv}" direction="in"/><arg type="u" direction="out"/>
  </method>
  <property name="SupportedLauncherTypes" type="u" access="read"/>
  <property name="version" type="u" access="read"/>
 </interface>
</node>"""

log = open(sys.argv[1], "a", buffering=1)

def call(conn, sender, path, iface, method, params, inv):
    if method == "Read":
        ns, key = params.unpack()
        if (ns, key) == ("org.sandbox.test", "marker"):
            inv.return_value(GLib.Variant("(v)", (GLib.Variant("s", "portal-ok"),)))
        else:
            inv.return_dbus_error("org.freedesktop.portal.Error.NotFound", "no such key")
    elif method == "ReadAll":
        inv.return_value(GLib.Variant("(a{sa{sv}})", ({"org.sandbox.test": {"marker": GLib.Variant("s", "portal-ok")}},)))
    elif method == "RequestInstallToken":
        log.write("RequestInstallToken app_id=%s\n" % params.unpack()[0])
        inv.return_value(GLib.Variant("(u)", (2,)))
    else:
        log.write("%s app_id=%s\n" % (method, params.unpack()[1]))
        inv.return_value(GLib.Variant("(ua{sv})", (2, {})))

bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
for i in Gio.DBusNodeInfo.new_for_xml(XML).interfaces:
    bus.register_object("/org/freedesktop/portal/desktop", i, call, lambda *a: GLib.Variant("u", 1), None)
Gio.bus_own_name_on_connection(bus, "org.freedesktop.impl.portal.desktop.sandboxtest", 0, None, None)
GLib.MainLoop().run()
`

// portalAttack runs inside the sandbox: a harmless portal call, then the
// DynamicLauncher attack: an install token without a dialog, a launcher
// whose Exec writes $2 on the host (over a new name, over the sandbox's
// own entry and under the sandbox's app id), and launching it. $1 is the
// icon, $3 the app id the sandbox should have.
const portalAttack = `
G="gdbus call --session -d org.freedesktop.portal.Desktop -o /org/freedesktop/portal/desktop -m"
echo "settings: $($G org.freedesktop.portal.Settings.Read org.sandbox.test marker 2>&1)"
echo "version: $($G org.freedesktop.DBus.Properties.Get org.freedesktop.portal.Settings version 2>&1)"
tok=$($G org.freedesktop.portal.DynamicLauncher.RequestInstallToken evil "$1" '{}' 2>&1)
echo "token: $tok"
t=$(echo "$tok" | sed -n "s/^('\(.*\)',)$/\1/p")
for id in evil.desktop viewer.desktop $3.evil.desktop; do
  echo "install $id: $($G org.freedesktop.portal.DynamicLauncher.Install "${t:-6a0e1d6c-64a8-4f0e-9d67-9e1f1b4a2c11}" $id "[Desktop Entry]
Type=Application
Name=evil
Exec=touch $2
" '{}' 2>&1)"
  echo "launch $id: $($G org.freedesktop.portal.DynamicLauncher.Launch $id '{}' 2>&1)"
done
`

// viewerEntry is the sandbox's own desktop entry, as desktop install
// writes one; the attack must not replace it.
const viewerEntry = "[Desktop Entry]\nType=Application\nName=Viewer\nExec=sandbox -p viewer -- viewer %f\n"

// testPortal is a private bus with the portal and its backend, run as the
// mode's user, with a home of its own.
type testPortal struct {
	m       mode
	dir     string
	addr    string
	apps    string // the user's applications directory
	log     string // the backend's log
	icon    string // a valid icon, as a GVariant text
	env     []string
	started []*exec.Cmd
}

func startTestPortal(t *testing.T, m mode) *testPortal {
	t.Helper()
	portal := "/usr/libexec/xdg-desktop-portal"
	_, err := os.Stat(portal)
	requireOrSkip(t, err == nil, portal+" is not installed (apt-get install xdg-desktop-portal; make deps installs it)")
	requireProgram(t, "dbus-daemon", "dbus-daemon")
	requireProgram(t, "gdbus", "libglib2.0-bin")
	requireProgram(t, "xdg-dbus-proxy", "xdg-dbus-proxy")
	requireProgram(t, "bwrap", "bubblewrap") // the portal validates icons under it
	gi := exec.Command("/usr/bin/python3", "-c", "from gi.repository import Gio")
	requireOrSkip(t, gi.Run() == nil, "python3-gi is not installed (apt-get install python3-gi; make deps installs it)")

	p := &testPortal{m: m, dir: userDir(t, m, "sandbox-it-portal-", 0o755)}
	home := filepath.Join(p.dir, "home")
	p.apps = filepath.Join(home, ".local", "share", "applications")
	run := filepath.Join(p.dir, "run")
	for _, d := range []string{home, filepath.Join(home, ".local"), filepath.Join(home, ".local", "share"), p.apps, run, filepath.Join(p.dir, "portals")} {
		p.mkdir(t, d)
	}
	os.Chmod(run, 0o700)
	sock := filepath.Join(run, "bus")
	p.addr = "unix:path=" + sock
	p.log = filepath.Join(p.dir, "backend.log")
	p.write(t, filepath.Join(p.apps, "viewer.desktop"), viewerEntry)
	p.write(t, filepath.Join(p.dir, "backend.py"), portalBackend)
	p.write(t, filepath.Join(p.dir, "portals", "sandboxtest.portal"), "[portal]\nDBusName=org.freedesktop.impl.portal.desktop.sandboxtest\n"+
		"Interfaces=org.freedesktop.impl.portal.Settings;org.freedesktop.impl.portal.DynamicLauncher;\nUseIn=sandboxtest\n")
	// No <servicedir>: nothing on this bus is activated, so none of the
	// machine's own services (the document portal's FUSE mount, say)
	// starts for the test.
	conf := filepath.Join(p.dir, "bus.conf")
	p.write(t, conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>`+p.addr+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`)
	p.env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_RUNTIME_DIR=" + run, "DBUS_SESSION_BUS_ADDRESS=" + p.addr,
		"XDG_CURRENT_DESKTOP=sandboxtest", "XDG_DESKTOP_PORTAL_DIR=" + filepath.Join(p.dir, "portals")}
	t.Cleanup(p.stop)

	p.start(t, "dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--nosyslog")
	waitFor(t, "the portal test bus's socket", func() bool { _, err := os.Stat(sock); return err == nil })
	p.start(t, "/usr/bin/python3", filepath.Join(p.dir, "backend.py"), p.log)
	p.waitName(t, "org.freedesktop.impl.portal.desktop.sandboxtest")
	p.start(t, portal, "--replace")
	p.waitName(t, "org.freedesktop.portal.Desktop")
	waitFor(t, "the portal to export DynamicLauncher", func() bool {
		out, _ := p.gdbus("introspect", "--session", "-d", "org.freedesktop.portal.Desktop", "-o", "/org/freedesktop/portal/desktop")
		return strings.Contains(out, "interface org.freedesktop.portal.DynamicLauncher")
	})
	p.icon = pngIconVariant(t)
	return p
}

func (p *testPortal) mkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	p.chown(t, d)
}

func (p *testPortal) write(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p.chown(t, name)
}

func (p *testPortal) chown(t *testing.T, name string) {
	t.Helper()
	if p.m.rootless() {
		if err := os.Chown(name, int(p.m.cred.Uid), int(p.m.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
}

// start runs a program as the mode's user, in a process group of its own
// that stop kills whole.
func (p *testPortal) start(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = p.env
	cmd.Dir = p.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.m.cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p.started = append(p.started, cmd)
}

// stop ends the portal, the backend and the bus, each with whatever it
// started (the icon validator, say).
func (p *testPortal) stop() {
	for i := len(p.started) - 1; i >= 0; i-- {
		c := p.started[i]
		syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		c.Wait()
	}
	p.started = nil
}

// gdbus runs gdbus on the test bus as the mode's user, outside any
// sandbox.
func (p *testPortal) gdbus(args ...string) (string, error) {
	cmd := exec.Command("gdbus", args...)
	cmd.Env = p.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.m.cred}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *testPortal) waitName(t *testing.T, name string) {
	t.Helper()
	waitFor(t, name+" on the portal test bus", func() bool {
		out, _ := p.gdbus("call", "--session", "-d", "org.freedesktop.DBus", "-o", "/org/freedesktop/DBus",
			"-m", "org.freedesktop.DBus.NameHasOwner", name)
		return strings.Contains(out, "true")
	})
}

// launchers lists what the portal has installed, and the applications
// directory with the content of each entry.
func (p *testPortal) launchers(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, e := range entries(p.apps) {
		body, _ := os.ReadFile(filepath.Join(p.apps, e))
		fmt.Fprintf(&b, "applications/%s: %q\n", e, body)
	}
	for _, e := range entries(filepath.Join(filepath.Dir(p.apps), "xdg-desktop-portal", "applications")) {
		fmt.Fprintf(&b, "xdg-desktop-portal/applications/%s\n", e)
	}
	return b.String()
}

// pngIconVariant is a 16x16 PNG as the serialized GIcon the
// DynamicLauncher portal takes.
func pngIconVariant(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		for y := 0; y < 16; y++ {
			img.Set(x, y, color.RGBA{R: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	bs := make([]string, buf.Len())
	for i, c := range buf.Bytes() {
		bs[i] = fmt.Sprintf("0x%02x", c)
	}
	return "<('bytes', <[byte " + strings.Join(bs, ", ") + "]>)>"
}

// attack runs the attack in a sandbox of profile and returns what it
// printed, by line prefix; it fails if the run leaves anything behind.
func (p *testPortal) attack(t *testing.T, profile, marker, appID string) map[string]string {
	t.Helper()
	r := startWithHelpers(t, p.m, []string{"DBUS_SESSION_BUS_ADDRESS=" + p.addr},
		"-p", profile, "--", "/bin/sh", "-c", portalAttack, "attack", p.icon, marker, appID)
	code, out := r.finish(t)
	got := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			got[k] = v
		}
	}
	t.Logf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, r.stderr.String())
	return got
}

// TestW3PortalDynamicLauncherRefused runs the DynamicLauncher attack from a
// sandbox with desktop.portal, and from one whose profile names the
// DynamicLauncher interface explicitly: the first is stopped by the proxy
// (the interface is not among desktop.portal's), the second by the portal,
// which sees the sandboxed app sandbox.<profile> and asks its backend,
// which refuses. Either way no launcher is installed, the sandbox's own
// entry stays, and no host command runs, while Settings.Read still works.
// Run from the host, outside a sandbox, the same attack works on this
// very portal: the test can tell.
func TestW3PortalDynamicLauncherRefused(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		p := startTestPortal(t, m)
		before := p.launchers(t)
		marker := filepath.Join(p.dir, "host-command-ran")
		for _, c := range []struct {
			name, text string
			refused    []string // what each DynamicLauncher call must answer
		}{
			{"portaldefault.toml", "extends = [\"minimal\"]\n[desktop]\nportal = true\n",
				[]string{"org.freedesktop.DBus.Error.AccessDenied"}},
			{"portalcall.toml", "extends = [\"minimal\"]\n[desktop]\nportal = true\n[dbus.session]\n" +
				"call = [\"org.freedesktop.portal.Desktop=org.freedesktop.portal.DynamicLauncher.*@/org/freedesktop/portal/desktop\"]\n",
				[]string{"org.freedesktop.portal.Error."}},
		} {
			t.Run(strings.TrimSuffix(c.name, ".toml"), func(t *testing.T) {
				appID := "sandbox." + strings.TrimSuffix(c.name, ".toml")
				got := p.attack(t, writeProfile(t, c.name, c.text), marker, appID)
				if !strings.Contains(got["settings"], "'portal-ok'") || !strings.Contains(got["version"], "uint32") {
					t.Errorf("the harmless portal calls failed: settings %q, version %q", got["settings"], got["version"])
				}
				if strings.HasPrefix(got["token"], "('") {
					t.Errorf("the sandbox got an install token: %s", got["token"])
				}
				for _, k := range []string{"token", "install evil.desktop", "launch evil.desktop", "install viewer.desktop",
					"launch viewer.desktop", "install " + appID + ".evil.desktop", "launch " + appID + ".evil.desktop"} {
					if !slices.ContainsFunc(c.refused, func(s string) bool { return strings.Contains(got[k], s) }) {
						t.Errorf("%s: %q, want one of %q", k, got[k], c.refused)
					}
				}
				if c.name == "portalcall.toml" {
					// The portal's own refusal, naming the app it
					// took the sandbox for.
					if want := "RequestInstallToken() not allowed for app id " + appID; !strings.Contains(got["token"], want) {
						t.Errorf("token: %q, want %q", got["token"], want)
					}
					log, _ := os.ReadFile(p.log)
					if !strings.Contains(string(log), "RequestInstallToken app_id="+appID+"\n") {
						t.Errorf("the portal did not ask its backend about %s:\n%s", appID, log)
					}
				}
				time.Sleep(time.Second) // a launched command would have run by now
				if _, err := os.Stat(marker); err == nil {
					t.Errorf("a host command ran: %s exists", marker)
				}
				if after := p.launchers(t); after != before {
					t.Errorf("launchers changed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			})
		}

		// The control: the same calls from the host are obeyed.
		call := func(args ...string) string {
			out, _ := p.gdbus(append([]string{"call", "--session", "-d", "org.freedesktop.portal.Desktop",
				"-o", "/org/freedesktop/portal/desktop", "-m"}, args...)...)
			return strings.TrimSpace(out)
		}
		tok := call("org.freedesktop.portal.DynamicLauncher.RequestInstallToken", "control", p.icon, "{}")
		token, ok := strings.CutPrefix(tok, "('")
		token, _ = strings.CutSuffix(token, "',)")
		control := filepath.Join(p.dir, "control-ran")
		if !ok {
			t.Fatalf("control: the host got no install token: %s", tok)
		}
		out := call("org.freedesktop.portal.DynamicLauncher.Install", token, "control.desktop",
			"[Desktop Entry]\nType=Application\nName=control\nExec=touch "+control+"\n", "{}")
		out += call("org.freedesktop.portal.DynamicLauncher.Launch", "control.desktop", "{}")
		waitFor(t, "the control's host command ("+out+")", func() bool { _, err := os.Stat(control); return err == nil })
	})
}

// TestW3PortalInfoOutOfReach checks that a payload that can reach the
// proxy's /proc/PID/root cannot change the /.flatpak-info the portal reads
// there, to pose as another app or, removing it, as a host application.
// Only a payload in the proxy's own user namespace with the proxy's uid
// reaches it (the kernel refuses /proc/PID/root across user namespaces):
// a root launch without a user or a pid namespace, as here, whose payload
// is host root (identity.host_root): the strongest such attacker.
func TestW3PortalInfoOutOfReach(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "a sandbox without a user namespace needs a root launcher")
	p := startTestPortal(t, asRoot)
	prof := writeProfile(t, "portalpid.toml", `extends = ["minimal"]
[namespaces]
user = false
pid = false
[identity]
host_root = true
[desktop]
portal = true
[merge]
remove = { mount = ["/proc"] }
[[mount]]
type = "ro-bind"
source = "/proc"
target = "/proc"
`)
	r := startWithHelpers(t, asRoot, []string{"DBUS_SESSION_BUS_ADDRESS=" + p.addr}, "-p", prof, "--", "/bin/sh", "-c", `
for d in /proc/[0-9]*; do
  case "$(tr '\0' ' ' < $d/cmdline 2>/dev/null)" in /usr/bin/xdg-dbus-proxy*/sandbox-helpers-*) ;; *) continue;; esac
  if ! ls $d/root/ >/dev/null 2>&1; then echo "unreachable: $(ls $d/root/ 2>&1)"; continue; fi
  grep -qx 'name=sandbox.portalpid' $d/root/.flatpak-info || continue
  echo "found: $d"
  chmod 666 $d/root/.flatpak-info 2>/dev/null && echo "chmod"
  printf '[Application]\nname=org.gnome.Software\n' 2>/dev/null > $d/root/.flatpak-info && echo "overwritten"
  rm -f $d/root/.flatpak-info 2>/dev/null && echo "removed"
  touch $d/root/.flatpak-info.new 2>/dev/null && echo "created"
  grep -qx 'name=sandbox.portalpid' $d/root/.flatpak-info && echo "intact"
done
echo "settings: $(gdbus call --session -d org.freedesktop.portal.Desktop -o /org/freedesktop/portal/desktop -m org.freedesktop.portal.Settings.Read org.sandbox.test marker 2>&1)"
`)
	code, out := r.finish(t)
	if code != 0 || !strings.Contains(out, "'portal-ok'") || strings.Contains(out, "chmod") || strings.Contains(out, "overwritten") ||
		strings.Contains(out, "removed") || strings.Contains(out, "created") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, r.stderr.String())
	}
	if !strings.Contains(out, "found: ") {
		// Payload and proxy in different user namespaces or with
		// different uids: the kernel keeps the file out of reach.
		if !strings.Contains(out, "unreachable: ") {
			t.Fatalf("the proxy was not seen at all:\n%s\nstderr:\n%s", out, r.stderr.String())
		}
		t.Logf("the payload cannot reach the proxy's root at all:\n%s", out)
		return
	}
	if !strings.Contains(out, "intact\n") {
		t.Fatalf("/.flatpak-info changed:\n%s", out)
	}
	t.Logf("stdout:\n%s", out)
}

// TestDBusProxyKilledLauncher checks that the D-Bus proxy, now started in
// namespaces of its own, still dies with the launcher when the launcher is
// killed, and leaves nothing in the runtime directory (checklist L1).
func TestDBusProxyKilledLauncher(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		addr := testBus(t, m)
		p := writeProfile(t, "portalkill.toml", "extends = [\"minimal\"]\n[desktop]\nportal = true\n")
		r := startWithHelpers(t, m, []string{"DBUS_SESSION_BUS_ADDRESS=" + addr}, "-p", p, "--", "/bin/sh", "-c", "echo started; exec sleep 600")
		r.waitLine(t, "started")
		pids := markedProcesses(r.marker)
		if !strings.Contains(describePids(pids), "xdg-dbus-proxy") {
			t.Fatalf("expected the launcher and the proxy to run, found %s", describePids(pids))
		}
		r.killLauncher(t)
	})
}
