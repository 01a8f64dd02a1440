package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallAcceptsWhatRunAccepts checks that desktop install compiles
// the profile the way a launch does (this command hands its own compile
// and reporter to internal/desktopentry): a sound server this session lacks
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
			root := t.TempDir()
			write := func(path, text string) {
				t.Helper()
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dataHome := filepath.Join(root, "home", ".local", "share")
			t.Setenv("HOME", filepath.Join(root, "home"))
			t.Setenv("XDG_DATA_HOME", dataHome)
			t.Setenv("XDG_DATA_DIRS", filepath.Join(root, "usr", "share"))
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "config"))
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
			rt := filepath.Join(root, "run")
			write(filepath.Join(rt, ".keep"), "")
			t.Setenv("XDG_RUNTIME_DIR", rt)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			write(filepath.Join(root, "config", "sandbox", "profiles", "fakeapp.toml"),
				"programs = [\"fakeapp\"]\nextends = [\"minimal\"]\n\n[desktop]\npulseaudio = true\n")
			write(filepath.Join(root, "usr", "share", "applications", "fakeapp.desktop"),
				"[Desktop Entry]\nType=Application\nName=Fake\nExec=/usr/bin/fakeapp\n")
			self := filepath.Join(root, "bin", "sandbox")
			write(self, "#!/bin/sh\nexit 0\n")
			os.Chmod(self, 0o755)
			old := sandboxExecutable
			sandboxExecutable = func() (string, error) { return self, nil }
			defer func() { sandboxExecutable = old }()
			var out, stderr bytes.Buffer
			code := run([]string{"desktop", "install", "fakeapp.desktop"}, &out, &stderr)
			errb := stderr.String()
			if code != 0 {
				t.Fatalf("desktop install: exit %d, want 0 as a launch would run\n%s", code, errb)
			}
			if _, err := os.Stat(filepath.Join(dataHome, "applications", "fakeapp.desktop")); err != nil {
				t.Fatalf("no entry written: %v", err)
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
