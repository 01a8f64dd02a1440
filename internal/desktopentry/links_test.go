package desktopentry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestH3DesktopRefusesPlantedLinks plants symlinks where `desktop install`
// and `desktop remove` write, as a payload that could write the user's data
// directory would (checklist H3): an entry, the applications directory
// itself, and a D-Bus service file, each pointing at ~/.bashrc or at the
// autostart directory. Every command must fail, name the link, write
// nothing, and leave the link and what it points at as they were.
func TestH3DesktopRefusesPlantedLinks(t *testing.T) {
	const original = "# the user's own start-up file\n"
	type plant struct {
		name  string
		setup func(w *desktopWorld, victim, autostart string)
		args  []string
	}
	for _, tc := range []plant{
		{"entry", func(w *desktopWorld, victim, _ string) {
			w.link(victim, w.userEntry("fakeapp.desktop"))
		}, []string{"desktop", "install", "fakeapp"}},
		{"entry with --force", func(w *desktopWorld, victim, _ string) {
			w.link(victim, w.userEntry("fakeapp.desktop"))
		}, []string{"desktop", "install", "--force", "fakeapp"}},
		{"entry on remove", func(w *desktopWorld, victim, _ string) {
			w.link(victim, w.userEntry("fakeapp.desktop"))
		}, []string{"desktop", "remove", "fakeapp"}},
		{"dangling entry", func(w *desktopWorld, victim, _ string) {
			w.link(victim+".new", w.userEntry("fakeapp.desktop"))
		}, []string{"desktop", "install", "fakeapp"}},
		{"applications directory", func(w *desktopWorld, _, autostart string) {
			w.link(autostart, filepath.Join(w.dataHome, "applications"))
		}, []string{"desktop", "install", "fakeapp"}},
		{"service file", func(w *desktopWorld, victim, _ string) {
			w.link(victim, w.userService("org.example.FakeApp"))
		}, []string{"desktop", "install", "org.example.FakeApp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newDesktopWorld(t)
			w.systemEntry("fakeapp.desktop", "[Desktop Entry]\nType=Application\nName=Fake\nExec=/usr/bin/fakeapp %u\n")
			w.systemEntry("org.example.FakeApp.desktop", "[Desktop Entry]\nType=Application\nName=Fake\nDBusActivatable=true\nExec=fakeapp\n")
			home := filepath.Join(w.root, "home")
			victim := filepath.Join(home, ".bashrc")
			w.write(victim, original)
			autostart := filepath.Join(home, ".config", "autostart")
			if err := os.MkdirAll(autostart, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.setup(w, victim, autostart)
			before := snapshot(t, w.root)
			code, out, errb := w.sandbox(tc.args...)
			if code == 0 {
				t.Fatalf("sandbox %s succeeded through a planted link\nstdout:\n%s", strings.Join(tc.args, " "), out)
			}
			if !strings.Contains(errb, "symbolic link") {
				t.Errorf("the error does not name the link: %s", errb)
			}
			if got := readText(t, victim); got != original {
				t.Errorf("%s changed through the link: %q", victim, got)
			}
			if after := snapshot(t, w.root); after != before {
				t.Errorf("the command changed the tree:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func (w *desktopWorld) link(target, at string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Symlink(target, at); err != nil {
		w.t.Fatal(err)
	}
}

// snapshot lists every name under root with its link target or size, so
// that a test sees anything created, removed or retargeted.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			to, _ := os.Readlink(p)
			b.WriteString(rel + " -> " + to + "\n")
		case fi.IsDir():
			b.WriteString(rel + "/\n")
		default:
			b.WriteString(rel + " " + fi.Mode().String() + "\n")
		}
		return nil
	})
	return b.String()
}
