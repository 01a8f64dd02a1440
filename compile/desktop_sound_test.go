package compile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/launcher"
	"sandbox/plan"
	"sandbox/profile"
	"sandbox/profiles"
)

// TestDesktopPipeWireNeedsUnrestricted checks W2's compile side: the
// PipeWire socket, which no filter restricts, is refused with the profile
// line and the fix unless the profile accepts host code execution, and
// then explain says so.
func TestDesktopPipeWireNeedsUnrestricted(t *testing.T) {
	h := desktopHost([]string{"XDG_RUNTIME_DIR=/run/user/1000"}, "/run/user/1000/pipewire-0")
	// The profile itself is refused (check pipewire-unrestricted), so
	// check and explain, lenient about this machine, refuse it too.
	path := filepath.Join(t.TempDir(), "p.toml")
	if err := os.WriteFile(path, []byte("extends = [\"minimal\"]\n\n[desktop]\npipewire = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := profile.Load(path, compiletest.GoldenEnv(), profile.Source{Builtin: profiles.FS})
	want := "/p.toml:4:1: desktop.pipewire: the PipeWire socket cannot be restricted: any client of it can create a node"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "desktop.pipewire_unrestricted = true") {
		t.Fatalf("error %v\nwant one containing %q and the key that accepts the risk", err, want)
	}

	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\npipewire = true\npipewire_unrestricted = true\n")
	pl, err := Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := bindOf(pl, "/run/user/1000/pipewire-0"); !ok || b.Source != "/run/user/1000/pipewire-0" {
		t.Errorf("the PipeWire socket is not bound: %+v", b)
	}
	if len(pl.Desktop) != 1 || !strings.HasPrefix(pl.Desktop[0].Description, "host code execution possible") {
		t.Errorf("explained items %+v, want desktop.pipewire saying host code execution is possible", pl.Desktop)
	}

	// The key alone binds nothing.
	p = compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\npipewire_unrestricted = true\n")
	pl, err = Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bindOf(pl, "/run/user/1000/pipewire-0"); ok || len(pl.Desktop) != 0 {
		t.Errorf("desktop.pipewire_unrestricted alone bound the socket: %+v", pl.Desktop)
	}
}

// TestDesktopPulseAudioFiltered checks W1's compile side: the sandbox's
// PulseAudio socket is the filter's, never the host's; the cookie is found
// as libpulse finds it ($PULSE_COOKIE first) and stays outside; the plan
// is not cached, since the fast path runs no filter.
func TestDesktopPulseAudioFiltered(t *testing.T) {
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\npulseaudio = true\n")
	for _, tt := range []struct {
		name   string
		env    []string
		exist  []string
		cookie string
	}{
		{"cookie in config", nil, []string{"/home/user/.config/pulse/cookie", "/home/user/.pulse-cookie"}, "/home/user/.config/pulse/cookie"},
		{"old cookie", nil, []string{"/home/user/.pulse-cookie"}, "/home/user/.pulse-cookie"},
		{"PULSE_COOKIE", []string{"PULSE_COOKIE=/run/c"}, []string{"/run/c", "/home/user/.config/pulse/cookie"}, "/run/c"},
		{"no cookie", nil, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"XDG_RUNTIME_DIR=/run/user/1000"}, tt.env...)
			pl, err := Compile(p, []string{"app"}, desktopHost(env, append(tt.exist, "/run/user/1000/pulse/native")...))
			if err != nil {
				t.Fatal(err)
			}
			pp := pl.PulseProxy
			if pp == nil || pp.Server != "/run/user/1000/pulse/native" || pp.Cookie != tt.cookie || pp.At.Line != 4 {
				t.Fatalf("sound filter %+v, want server /run/user/1000/pulse/native, cookie %q, from line 4", pp, tt.cookie)
			}
			for _, s := range pl.Steps {
				if b, ok := s.(plan.BindMount); ok && (strings.Contains(b.Source, "pulse") || strings.Contains(b.Source, "cookie") || b.Source == "/run/c") {
					t.Errorf("host sound path bound: %+v", b)
				}
			}
			if why := launcher.PlanCacheable(pl, &hostview.PlanInputs{}, nil); why != "the plan runs a sound filter" {
				t.Errorf("plan cacheable: %q", why)
			}
			if v, _ := envOf(pl, "PULSE_SERVER"); v != "unix:/run/user/1000/pulse/native" {
				t.Errorf("PULSE_SERVER=%q", v)
			}
		})
	}
}
