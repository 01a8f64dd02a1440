package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallAcceptsWhatRunAccepts checks that desktop install compiles
// the profile the way a launch does: a sound server this session lacks
// is no error (the menu may start the entry in a session that has one).
// Its absence is only information, as at a launch; a server the caller
// named but that is gone is a warning, and neither stops the install.
func TestInstallAcceptsWhatRunAccepts(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		warnings int
	}{
		{"no sound server running", map[string]string{"PULSE_SERVER": ""}, 0},
		{"named sound server gone", map[string]string{"PULSE_SERVER": "unix:/nonexistent/pulse.sock"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDesktopWorld(t)
			rt := filepath.Join(w.root, "run")
			w.write(filepath.Join(rt, ".keep"), "")
			t.Setenv("XDG_RUNTIME_DIR", rt)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			w.write(filepath.Join(w.root, "config", "sandbox", "profiles", "fakeapp.toml"),
				fakeProfile+"\n[desktop]\npulseaudio = true\n")
			w.systemEntry("fakeapp.desktop", "[Desktop Entry]\nType=Application\nName=Fake\nExec=/usr/bin/fakeapp\n")
			code, _, errb := w.sandbox("desktop", "install", "fakeapp.desktop")
			if code != 0 {
				t.Fatalf("desktop install: exit %d, want 0 as a launch would run\n%s", code, errb)
			}
			if !exists(w.userEntry("fakeapp.desktop")) {
				t.Fatal("no entry written")
			}
			if got := strings.Count(errb, "sandbox: warning: fakeapp.desktop: "); got != tt.warnings {
				t.Errorf("%d warnings, want %d:\n%s", got, tt.warnings, errb)
			}
			if strings.Contains(errb, "(left out) (left out)") || strings.Contains(errb, "left out:") {
				t.Errorf("doubled \"left out\":\n%s", errb)
			}
		})
	}
}
