package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The benchmark times an installed copy of each binary: a file of its
// own (not a link to the linker's output, whose page cache it would
// share), the same bytes, and runnable by uid 65534 under -rootless even
// when the build left it private to its owner.
func TestInstallExecutableCopiesWhole(t *testing.T) {
	src := filepath.Join(t.TempDir(), "sandbox")
	body := bytes.Repeat([]byte("0123456789abcdef"), 3*4096/16+7)
	for _, mode := range []os.FileMode{0o755, 0o700} {
		if err := os.WriteFile(src, body, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(src, mode); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		dst, err := installExecutable(src, dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(dst)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("mode %o: the copy differs from the binary (%v)", mode, err)
		}
		fi, _ := os.Stat(dst)
		if fi.Mode().Perm() != 0o755 {
			t.Errorf("mode %o: %s is %v, want 0755", mode, dst, fi.Mode())
		}
		di, _ := os.Stat(dir)
		if di.Mode().Perm()&0o005 != 0o005 {
			t.Errorf("mode %o: %s is %v, which uid 65534 cannot enter", mode, dir, di.Mode())
		}
		a, _ := os.Stat(src)
		if a.Sys().(*syscall.Stat_t).Ino == fi.Sys().(*syscall.Stat_t).Ino {
			t.Errorf("mode %o: %s is a link to the built file, not a copy", mode, dst)
		}
		if err := os.Remove(src); err != nil {
			t.Fatal(err)
		}
	}
}
