package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sandbox/internal/testutil"
	"sandbox/plan"
	"sandbox/profile"
)

func TestEnsureHome(t *testing.T) {
	testutil.RequireOrSkip(t, os.Geteuid() == 0, "giving a home to another id needs root")
	home := t.TempDir()
	dir := filepath.Join(home, ".local", "share", "sandbox", "homes", "app")
	p := &profile.Profile{Filesystem: profile.Filesystem{PersistentHome: true, HomeDir: dir}}
	pl := &plan.Plan{UID: 4242, GID: 4243}
	if err := ensureHome(p, pl, home); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(dir, &st); err != nil || st.Uid != 4242 || st.Gid != 4243 || st.Mode&0o7777 != 0o700 {
		t.Fatalf("home: %v uid %d gid %d mode %o", err, st.Uid, st.Gid, st.Mode)
	}
	// The directories on the way are the owner of HOME's (root here).
	if err := syscall.Lstat(filepath.Join(home, ".local"), &st); err != nil || st.Uid != 0 {
		t.Errorf("~/.local: %v uid %d, want root's like HOME", err, st.Uid)
	}
	// Again: nothing to do.
	if err := ensureHome(p, pl, home); err != nil {
		t.Fatal(err)
	}
	// Another id's existing home is not taken over.
	other := &plan.Plan{UID: 5000, GID: 5000}
	if err := ensureHome(p, other, home); err == nil || !strings.Contains(err.Error(), "belongs to uid 4242") {
		t.Errorf("err = %v, want a refusal naming the owner", err)
	}
	// A link on the way is refused, not followed.
	os.RemoveAll(filepath.Join(home, ".local"))
	target := t.TempDir()
	if err := os.Symlink(target, filepath.Join(home, ".local")); err != nil {
		t.Fatal(err)
	}
	if err := ensureHome(p, pl, home); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("err = %v, want a refusal of the link", err)
	}
	if ents, _ := os.ReadDir(target); len(ents) != 0 {
		t.Errorf("something was made through the link: %v", ents)
	}
}
