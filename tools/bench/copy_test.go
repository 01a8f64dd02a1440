package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The rootless benchmark runs the binary from a directory uid 65534 can
// reach: linked where it can be, so that it is the very file that was
// built, copied whole otherwise.
func TestCopyExecutableLinksOrCopiesWhole(t *testing.T) {
	src := filepath.Join(t.TempDir(), "sandbox")
	body := bytes.Repeat([]byte("0123456789abcdef"), 3*4096/16+7)
	for _, c := range []struct {
		mode os.FileMode
		link bool
	}{{0o755, true}, {0o700, false}} {
		if err := os.WriteFile(src, body, c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(src, c.mode); err != nil {
			t.Fatal(err)
		}
		dst, err := copyExecutable(src, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(dst)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("mode %o: the copy differs from the binary (%v)", c.mode, err)
		}
		fi, _ := os.Stat(dst)
		if fi.Mode().Perm()&0o005 != 0o005 {
			t.Errorf("mode %o: %s is %v, which uid 65534 cannot run", c.mode, dst, fi.Mode())
		}
		a, _ := os.Stat(src)
		linked := a.Sys().(*syscall.Stat_t).Ino == fi.Sys().(*syscall.Stat_t).Ino
		if linked != c.link {
			t.Errorf("mode %o: linked = %v, want %v", c.mode, linked, c.link)
		}
	}
}
