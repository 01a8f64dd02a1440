package nofollow

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// world is a trusted directory with a victim file outside the part the
// functions may touch.
func world(t *testing.T) (base, victim string) {
	t.Helper()
	base = t.TempDir()
	victim = filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	return base, victim
}

func unchanged(t *testing.T, victim string) {
	t.Helper()
	b, err := os.ReadFile(victim)
	if err != nil || string(b) != "original" {
		t.Errorf("victim changed: %q %v", b, err)
	}
	if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("victim's mode changed: %v %v", fi.Mode(), err)
	}
}

func TestOpenDirRefusesLinkedComponent(t *testing.T) {
	base, _ := world(t)
	os.MkdirAll(filepath.Join(base, "real", "x"), 0o755)
	os.Symlink("real", filepath.Join(base, "link"))
	if _, err := OpenDir(base, filepath.Join(base, "link", "x"), true); !errors.Is(err, ErrLink) {
		t.Errorf("a symlinked directory was followed: %v", err)
	}
	d, err := OpenDir(base, filepath.Join(base, "new", "sub"), true)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := OpenDir(base, "/etc", false); err == nil {
		t.Error("a directory outside the trusted one was opened")
	}
}

func TestWriteNeverThroughLinks(t *testing.T) {
	base, victim := world(t)
	d, err := OpenDir(base, filepath.Join(base, "apps"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	os.Symlink(victim, filepath.Join(base, "apps", "a.desktop"))
	if err := d.Write("a.desktop", []byte("evil"), 0o644, nil); !errors.Is(err, ErrLink) {
		t.Errorf("writing over a symlink: %v", err)
	}
	if _, _, err := d.ReadFile("a.desktop", 1<<20); !errors.Is(err, ErrLink) {
		t.Errorf("reading through a symlink: %v", err)
	}
	unchanged(t, victim)
	// A file that is not the one read is not replaced.
	if err := d.Write("b.desktop", []byte("one"), 0o644, nil); err != nil {
		t.Fatal(err)
	}
	_, id, err := d.ReadFile("b.desktop", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(base, "apps", "b.desktop"))
	os.WriteFile(filepath.Join(base, "apps", "b.desktop"), []byte("someone else's"), 0o644)
	if err := d.Write("b.desktop", []byte("two"), 0o644, &id); err == nil {
		t.Error("a file other than the one read was replaced")
	}
	if err := d.Remove("b.desktop", id); err == nil {
		t.Error("a file other than the one read was removed")
	}
	entries, _ := os.ReadDir(filepath.Join(base, "apps"))
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestChmodNeverThroughLinks(t *testing.T) {
	base, victim := world(t)
	sock := filepath.Join(base, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Symlink(victim, filepath.Join(base, "link"))
	d, err := OpenDir(base, base, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Chmod("link", unix.S_IFSOCK, 0o666); !errors.Is(err, ErrLink) {
		t.Errorf("chmod through a symlink: %v", err)
	}
	unchanged(t, victim)
	if err := d.Chmod("bus", unix.S_IFSOCK, 0o666); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(sock); fi.Mode().Perm() != 0o666 {
		t.Errorf("socket mode %v", fi.Mode())
	}
}
