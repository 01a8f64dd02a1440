package compile

import (
	"os"
	"path/filepath"
	"reflect"
	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/plan"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// desktopProbed are the host paths the [desktop] and [dbus] compilers look
// at; in these tests they exist only when a test says so, while every
// other path (the base profile's /usr, /etc/passwd...) exists.
var desktopProbed = []string{"/run/", "/tmp/.X11-unix/", "/home/user/", "/dev/dri", "/sys/", "/etc/fonts", "/var/cache/fontconfig"}

// desktopHost is the golden host with env as its whole environment (plus
// PATH) and only the probed paths in exist present.
func desktopHost(env []string, exist ...string) hostview.Host {
	h := compiletest.GoldenHost()
	h.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	h.StatFunc = func(p string) (os.FileInfo, error) {
		if slices.Contains(exist, p) {
			return compiletest.FakeDir{Base: filepath.Base(p)}, nil
		}
		for _, pre := range desktopProbed {
			if strings.HasPrefix(p, pre) || p == strings.TrimSuffix(pre, "/") {
				return nil, &os.PathError{Op: "stat", Path: p, Err: syscall.ENOENT}
			}
		}
		return compiletest.FakeDir{Base: filepath.Base(p)}, nil
	}
	return h
}

// stepIndex returns the index of the first step match accepts, or -1.
func stepIndex(p *plan.Plan, match func(plan.Step) bool) int {
	for i, s := range p.Steps {
		if match(s) {
			return i
		}
	}
	return -1
}

func bindOf(p *plan.Plan, target string) (plan.BindMount, bool) {
	for _, s := range p.Steps {
		if b, ok := s.(plan.BindMount); ok && b.Target == target {
			return b, true
		}
	}
	return plan.BindMount{}, false
}

func envOf(p *plan.Plan, name string) (string, bool) { return plan.LookupEnv(p.Env, name) }

// writeXauthority writes an Xauthority file of entries and returns its
// path.
func writeXauthority(t *testing.T, entries ...xauthEntry) string {
	t.Helper()
	var b []byte
	for _, e := range entries {
		b = appendXauthority(b, e)
	}
	f := filepath.Join(t.TempDir(), "Xauthority")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDesktopSockets checks that each display and sound switch binds
// exactly its socket, read-only, into a private runtime directory created
// after the profile's own mounts (here a tmpfs on the home), and sets the
// variables clients look for.
func TestDesktopSockets(t *testing.T) {
	host, _ := os.Hostname()
	xauth := writeXauthority(t,
		xauthEntry{Family: xauthFamilyLocal, Address: []byte(host), Number: "3", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("cookie-of-3")},
		xauthEntry{Family: xauthFamilyLocal, Address: []byte(host), Number: "4", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("cookie-of-4")},
		xauthEntry{Family: xauthFamilyLocal, Address: []byte("otherhost"), Number: "3", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("other-host")},
		xauthEntry{Family: 0, Address: []byte{10, 0, 0, 1}, Number: "3", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("over-tcp")},
		xauthEntry{Family: xauthFamilyWild, Number: "3", Name: "XDM-AUTHORIZATION-1", Data: []byte("wild-3")},
	)
	p := compiletest.LoadText(t, `extends = ["base"]
[[mount]]
type = "tmpfs"
target = "${HOME}"

[desktop]
wayland = true
x11 = true
pulseaudio = true
pipewire = true
pipewire_unrestricted = true
`)
	h := desktopHost([]string{"XDG_RUNTIME_DIR=/run/user/1000", "WAYLAND_DISPLAY=wayland-1", "DISPLAY=:3.0",
		"XAUTHORITY=" + xauth},
		"/run/user/1000/wayland-1", "/tmp/.X11-unix/X3", "/run/user/1000/pulse/native", "/run/user/1000/pipewire-0",
		"/home/user/.config/pulse/cookie")
	pl, err := Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	home := stepIndex(pl, func(s plan.Step) bool { x, ok := s.(plan.Tmpfs); return ok && x.Target == "/home/user" })
	rt := stepIndex(pl, func(s plan.Step) bool { x, ok := s.(plan.Tmpfs); return ok && x.Target == "/run/user/1000" })
	pivot := stepIndex(pl, func(s plan.Step) bool { _, ok := s.(plan.PivotRoot); return ok })
	if home < 0 || rt < 0 || !(home < rt && rt < pivot) {
		t.Fatalf("runtime tmpfs at %d, home tmpfs at %d, pivot at %d: the runtime directory must come after the profile's mounts", rt, home, pivot)
	}
	if m := pl.Steps[rt].(plan.Tmpfs).Mode; m != 0o700 {
		t.Errorf("runtime directory mode %#o, want 0700", m)
	}
	for _, want := range []plan.BindMount{
		{Source: "/run/user/1000/wayland-1", Target: "/run/user/1000/wayland-1"},
		{Source: "/tmp/.X11-unix/X3", Target: "/tmp/.X11-unix/X3"},
		{Source: "/run/user/1000/pipewire-0", Target: "/run/user/1000/pipewire-0"},
	} {
		b, ok := bindOf(pl, want.Target)
		if !ok {
			t.Errorf("no bind at %s", want.Target)
			continue
		}
		i := stepIndex(pl, func(s plan.Step) bool { x, ok := s.(plan.BindMount); return ok && x.Target == want.Target })
		if b.Source != want.Source || !b.ReadOnly || b.Devices || b.Optional != want.Optional || i < home || i > pivot {
			t.Errorf("bind at %s (step %d): %+v; want read-only from %s after the home tmpfs", want.Target, i, b, want.Source)
		}
	}
	for name, want := range map[string]string{
		"XDG_RUNTIME_DIR": "/run/user/1000", "WAYLAND_DISPLAY": "wayland-1", "DISPLAY": ":3",
		"XAUTHORITY": "/run/user/1000/Xauthority", "PULSE_SERVER": "unix:/run/user/1000/pulse/native",
	} {
		if got, _ := envOf(pl, name); got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
	// PulseAudio is reached through the launcher's filter, never the
	// host's socket, and the server's cookie stays outside (W1).
	ps := stepIndex(pl, func(s plan.Step) bool {
		x, ok := s.(plan.PulseSocket)
		return ok && x.Target == "/run/user/1000/pulse/native"
	})
	if ps < rt || ps > pivot {
		t.Errorf("the sound filter's socket is not bound into the runtime directory (step %d)", ps)
	}
	if pp := pl.PulseProxy; pp == nil || pp.Server != "/run/user/1000/pulse/native" || pp.Cookie != "/home/user/.config/pulse/cookie" {
		t.Errorf("sound filter %+v, want the host's socket and cookie", pp)
	}
	for _, s := range pl.Steps {
		if b, ok := s.(plan.BindMount); ok && strings.Contains(b.Source, "pulse") {
			t.Errorf("a host PulseAudio path is bound into the sandbox: %+v", b)
		}
	}
	i := stepIndex(pl, func(s plan.Step) bool { f, ok := s.(plan.File); return ok && f.Target == "/run/user/1000/Xauthority" })
	if i < rt {
		t.Fatalf("no Xauthority file in the runtime directory (index %d)", i)
	}
	f := pl.Steps[i].(plan.File)
	if f.Mode != 0o600 {
		t.Errorf("Xauthority mode %#o, want 0600", f.Mode)
	}
	got, err := parseXauthority(f.Content)
	if err != nil {
		t.Fatal(err)
	}
	want := []xauthEntry{
		{Family: xauthFamilyWild, Address: []byte{}, Number: "3", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("cookie-of-3")},
		{Family: xauthFamilyWild, Address: []byte{}, Number: "3", Name: "XDM-AUTHORIZATION-1", Data: []byte("wild-3")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Xauthority inside holds %+v\nwant only display 3's local entries, as wildcards: %+v", got, want)
	}
	var keys []string
	for _, d := range pl.Desktop {
		keys = append(keys, d.Key)
	}
	if want := []string{"desktop.wayland", "desktop.x11", "desktop.pulseaudio", "desktop.pipewire"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("explained items %v, want %v", keys, want)
	}
	if len(pl.Warnings) != 0 {
		t.Errorf("warnings: %v", pl.Warnings)
	}
}

// TestDesktopMissing checks that a switch whose socket this machine lacks
// is an error naming the key and the fix, and with Host.Lenient a warning
// that leaves the switch out.
func TestDesktopMissing(t *testing.T) {
	tests := []struct {
		name, key string
		env       []string
		exist     []string
		want      string
		// optional: the session part is simply not running, which a
		// launch reports only with -v (Warning.Optional).
		optional bool
	}{
		{"no DISPLAY", "x11", nil, nil,
			"desktop.x11: $DISPLAY is not set; run from an X session or set desktop.x11 = false", true},
		{"remote DISPLAY", "x11", []string{"DISPLAY=example.org:10.0"}, nil,
			`desktop.x11: DISPLAY="example.org:10.0" is a display reached over the network; only a local display (:N) can be given to a sandbox; set desktop.x11 = false`, false},
		{"no X socket", "x11", []string{"DISPLAY=:5"}, nil,
			"desktop.x11: there is no X socket at /tmp/.X11-unix/X5 for DISPLAY=:5; run from an X session or set desktop.x11 = false", false},
		{"no runtime dir for Wayland", "wayland", nil, nil,
			"desktop.wayland: $XDG_RUNTIME_DIR is not set, so the Wayland socket cannot be found; run from a Wayland session or set desktop.wayland = false", true},
		{"no Wayland socket", "wayland", []string{"XDG_RUNTIME_DIR=/run/user/1000"}, nil,
			"desktop.wayland: there is no Wayland socket at /run/user/1000/wayland-0; run from a Wayland session or set desktop.wayland = false", true},
		{"named Wayland display gone", "wayland", []string{"XDG_RUNTIME_DIR=/run/user/1000", "WAYLAND_DISPLAY=wayland-1"}, nil,
			"desktop.wayland: there is no Wayland socket at /run/user/1000/wayland-1; run from a Wayland session or set desktop.wayland = false", false},
		{"named PulseAudio server gone", "pulseaudio", []string{"PULSE_SERVER=unix:/run/pulse.sock"}, nil,
			"desktop.pulseaudio: there is no PulseAudio socket at /run/pulse.sock; start PulseAudio (or pipewire-pulse), or set desktop.pulseaudio = false", false},
		{"no PulseAudio", "pulseaudio", []string{"XDG_RUNTIME_DIR=/run/user/1000"}, nil,
			"desktop.pulseaudio: there is no PulseAudio socket at /run/user/1000/pulse/native; start PulseAudio (or pipewire-pulse), or set desktop.pulseaudio = false", true},
		{"no PipeWire", "pipewire = true\npipewire_unrestricted", []string{"XDG_RUNTIME_DIR=/run/user/1000"}, nil,
			"desktop.pipewire: there is no PipeWire socket at /run/user/1000/pipewire-0; start PipeWire, or set desktop.pipewire = false", true},
		{"no session bus", "portal", nil, nil,
			"desktop.portal: the session bus cannot be found: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR are not set; run from a desktop session, or remove the rules", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\n"+tt.key+" = true\n")
			_, err := Compile(p, []string{"app"}, desktopHost(tt.env, tt.exist...))
			if err == nil {
				t.Fatal("compiled; want an error")
			}
			if want := "/p.toml:4:1: " + tt.want; !strings.HasSuffix(err.Error(), want) {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
			h := desktopHost(tt.env, tt.exist...)
			h.Lenient = true
			pl, err := Compile(p, []string{"app"}, h)
			if err != nil {
				t.Fatalf("lenient compile: %v", err)
			}
			if len(pl.Warnings) != 1 || !strings.HasSuffix(pl.Warnings[0].Error(), "/p.toml:4:1: "+tt.want) {
				t.Errorf("lenient warnings %v, want the error as the one warning", pl.Warnings)
			} else if pl.Warnings[0].Optional != tt.optional {
				t.Errorf("warning optional = %v, want %v", pl.Warnings[0].Optional, tt.optional)
			}
			if len(pl.Desktop) != 0 || pl.DBusProxy != nil {
				t.Errorf("a switch whose socket is missing was still compiled: %+v", pl.Desktop)
			}
		})
	}
}

// TestDesktopEitherDisplay checks that a profile asking for Wayland and
// X11 runs on a session that has only one of them (a browser on an
// X11-only desktop), with a warning for the other.
func TestDesktopEitherDisplay(t *testing.T) {
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\nwayland = true\nx11 = true\npulseaudio = true\n")
	h := desktopHost([]string{"DISPLAY=:0", "XAUTHORITY=/nonexistent"}, "/tmp/.X11-unix/X0")
	_, err := Compile(p, []string{"app"}, h)
	want := "/p.toml:6:1: desktop.pulseaudio: $XDG_RUNTIME_DIR is not set, so the PulseAudio socket cannot be found; run from a desktop session or set desktop.pulseaudio = false"
	if err == nil || !strings.HasSuffix(err.Error(), want) || strings.Count(err.Error(), "\n") > 0 {
		t.Fatalf("error %v, want only the sound server's:\n%s", err, want)
	}
	p = compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\nwayland = true\nx11 = true\n")
	pl, err := Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bindOf(pl, "/tmp/.X11-unix/X0"); !ok {
		t.Error("the X socket is not bound")
	}
	if len(pl.Warnings) != 1 || !strings.HasSuffix(pl.Warnings[0].Msg, "; desktop.x11 works instead") || !pl.Warnings[0].Optional {
		t.Errorf("warnings %v, want one for desktop.wayland", pl.Warnings)
	}
	if _, ok := envOf(pl, "XAUTHORITY"); ok {
		t.Error("XAUTHORITY set although the caller has no Xauthority file")
	}
	if rt, _ := envOf(pl, "XDG_RUNTIME_DIR"); rt != "" {
		t.Errorf("XDG_RUNTIME_DIR=%s although nothing lives in it", rt)
	}
}

// TestDesktopOptionalPaths checks gpu, fonts and themes: each existing
// path bound read-only (/dev/dri with its devices usable, its nodes
// unchangeable: R2), missing ones left out, nothing required.
func TestDesktopOptionalPaths(t *testing.T) {
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\ngpu = true\nfonts = true\nthemes = true\n")
	pl, err := Compile(p, []string{"app"}, desktopHost(nil,
		"/dev/dri", "/etc/fonts", "/home/user/.local/share/fonts", "/home/user/.icons", "/home/user/.config/gtk-4.0"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range pl.Steps {
		b, ok := s.(plan.BindMount)
		if !ok || !strings.HasSuffix(b.At.File, "/p.toml") {
			continue
		}
		got = append(got, b.Target)
		if b.Source != b.Target || !b.Optional || !b.ReadOnly || b.Devices != (b.Target == "/dev/dri") {
			t.Errorf("bind %+v", b)
		}
	}
	want := []string{"/dev/dri", "/etc/fonts", "/home/user/.local/share/fonts", "/home/user/.icons", "/home/user/.config/gtk-4.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("binds %v\nwant %v", got, want)
	}
	if len(pl.Desktop) != 3 {
		t.Errorf("explained items: %+v", pl.Desktop)
	}
}

// TestDesktopProfileEnvironmentWins checks that a variable the profile
// sets itself is not replaced by the desktop's.
func TestDesktopProfileEnvironmentWins(t *testing.T) {
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\npipewire = true\npipewire_unrestricted = true\n\n[environment.set]\nXDG_RUNTIME_DIR = \"/run/mine\"\n")
	pl, err := Compile(p, []string{"app"}, desktopHost([]string{"XDG_RUNTIME_DIR=/run/user/1000"}, "/run/user/1000/pipewire-0"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := envOf(pl, "XDG_RUNTIME_DIR"); v != "/run/mine" {
		t.Errorf("XDG_RUNTIME_DIR=%q, want the profile's /run/mine", v)
	}
}

// TestXauthorityDamaged checks that a truncated Xauthority file is an
// error naming the file, not a silent partial cookie.
func TestXauthorityDamaged(t *testing.T) {
	good := appendXauthority(nil, xauthEntry{Family: xauthFamilyWild, Number: "0", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("0123456789abcdef")})
	f := filepath.Join(t.TempDir(), "Xauthority")
	if err := os.WriteFile(f, good[:len(good)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\nx11 = true\n")
	_, err := Compile(p, []string{"app"}, desktopHost([]string{"DISPLAY=:0", "XAUTHORITY=" + f}, "/tmp/.X11-unix/X0"))
	want := "/p.toml:4:1: desktop.x11: the Xauthority file " + f + " is damaged: record 1: unexpected EOF; fix or remove the file, or set desktop.x11 = false"
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

func TestX11DisplayNumber(t *testing.T) {
	for in, want := range map[string]int{":0": 0, ":12": 12, ":1.0": 1, "unix:7": 7, "unix:7.1": 7} {
		if n, err := x11DisplayNumber(in); err != nil || n != want {
			t.Errorf("%q: %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"", "0", ":", ":x", "host:0", "localhost:10.0", ":-1", ":99999"} {
		if n, err := x11DisplayNumber(in); err == nil {
			t.Errorf("%q: %d, want an error", in, n)
		}
	}
}
