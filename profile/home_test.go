package profile

import (
	"strings"
	"testing"
	"testing/fstest"
)

// The persistent home takes the place of the tmpfs at $HOME, keeps the
// entries below it on top, and follows XDG_DATA_HOME.
func TestPersistentHomeReplacesTheTmpfs(t *testing.T) {
	src := Source{Builtin: fstest.MapFS{
		"gui.toml": {Data: []byte(`
[[mount]]
type = "tmpfs"
target = "${HOME}"
[[mount]]
type = "bind"
source = "${HOME}/Downloads"
`)},
		"app.toml": {Data: []byte(`extends = ["gui"]
[filesystem]
persistent_home = true
`)},
	}}
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{}, "/home/alice/.local/share/sandbox/homes/app"},
		{map[string]string{"XDG_DATA_HOME": "/data"}, "/data/sandbox/homes/app"},
		{map[string]string{"XDG_DATA_HOME": "relative"}, "/home/alice/.local/share/sandbox/homes/app"},
	} {
		env := testEnv()
		env.Vars = tc.vars
		p, err := Load("app", env, src)
		if err != nil {
			t.Fatal(err)
		}
		if p.Filesystem.HomeDir != tc.want || !p.Filesystem.PersistentHome {
			t.Fatalf("HomeDir = %q, want %q", p.Filesystem.HomeDir, tc.want)
		}
		m := p.Filesystem.Mounts
		if len(m) != 2 || m[0].Type != MountBind || !m[0].Home || m[0].Source != tc.want || m[0].Target != "/home/alice" {
			t.Fatalf("mounts = %+v", m)
		}
		if m[0].At.File != "builtin:app.toml" || m[0].At.Line != 3 {
			t.Errorf("origin = %+v, want builtin:app.toml:3", m[0].At)
		}
	}
}

func TestPersistentHomeInsertedAndConflicts(t *testing.T) {
	p := mustLoadText(t, `
[[mount]]
type = "bind"
source = "${HOME}/Downloads"
[filesystem]
persistent_home = true
`)
	if m := p.Filesystem.Mounts; len(m) != 2 || !m[0].Home || m[1].Target != "/home/alice/Downloads" {
		t.Fatalf("mounts = %+v", m)
	}
	_, err := loadText(t, `
[[mount]]
type = "bind"
source = "/srv/h"
target = "${HOME}"
[filesystem]
persistent_home = true
`)
	if err == nil || !strings.Contains(err.Error(), "t.toml:7:1") || !strings.Contains(err.Error(), "replaces only a tmpfs") {
		t.Fatalf("err = %v, want a conflict at the key", err)
	}
	_, err = loadText(t, "[filesystem]\npersistent_home = \"yes\"\n")
	if err == nil || !strings.Contains(err.Error(), "t.toml:2") {
		t.Fatalf("err = %v, want a type error at line 2", err)
	}
}

func TestHomeName(t *testing.T) {
	for in, want := range map[string]string{"firefox": "firefox", "./my/fx.toml": "fx", "/p/chromium.toml": "chromium"} {
		if got := HomeName(in); got != want {
			t.Errorf("HomeName(%q) = %q, want %q", in, got, want)
		}
	}
}
