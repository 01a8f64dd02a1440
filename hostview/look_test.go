package hostview

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"sandbox/internal/testutil"
)

// TestLookMatchesOS holds a recorded look to what package os returns for
// the same path: every kind of file, a symlink, a dangling one, a missing
// path and one through a regular file, with and without following links.
func TestLookMatchesOS(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("content"), 0o640); err != nil {
		t.Fatal(err)
	}
	sticky := filepath.Join(dir, "sticky")
	if err := os.Mkdir(sticky, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o1777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	setid := filepath.Join(dir, "setid")
	if err := os.WriteFile(setid, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(setid, 0o755|os.ModeSetuid|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	fifo, sock := testutil.FIFOAndSocket(t, dir, 0o600)
	paths := []string{file, sticky, setid, link, dangling, fifo, sock, "/dev/null", "/",
		filepath.Join(dir, "missing"), filepath.Join(file, "below"), dir + "/"}

	for _, follow := range []bool{false, true} {
		in := &PlanInputs{}
		for _, p := range paths {
			got, gotErr := in.Look(p, follow)
			want, wantErr := os.Lstat(p)
			if follow {
				want, wantErr = os.Stat(p)
			}
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("Look(%q, %v): error %v, os says %v", p, follow, gotErr, wantErr)
			}
			if wantErr != nil {
				if gotErr.Error() != wantErr.Error() || errors.Is(gotErr, fs.ErrNotExist) != errors.Is(wantErr, fs.ErrNotExist) {
					t.Errorf("Look(%q, %v): error %q, os says %q", p, follow, gotErr, wantErr)
				}
				continue
			}
			if got.Name() != want.Name() || got.Size() != want.Size() || got.Mode() != want.Mode() ||
				!got.ModTime().Equal(want.ModTime()) || got.IsDir() != want.IsDir() {
				t.Errorf("Look(%q, %v) = %s %d %v %v, os says %s %d %v %v", p, follow,
					got.Name(), got.Size(), got.Mode(), got.ModTime(),
					want.Name(), want.Size(), want.Mode(), want.ModTime())
			}
			if got.Sys().(*syscall.Stat_t).Ino != want.Sys().(*syscall.Stat_t).Ino {
				t.Errorf("Look(%q, %v): another inode than os finds", p, follow)
			}
		}
		if n := len(in.Deps()); n != len(paths) {
			t.Errorf("%d paths recorded, want %d", n, len(paths))
		}
	}
}

// TestLookFirstStands: the compile sees each path as it was at its first
// look, the state the cached plan is checked against, even if the file
// changes in between.
func TestLookFirstStands(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := &PlanInputs{}
	h := Host{Inputs: in}
	first, err := h.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := h.Lstat(file)
	if err != nil {
		t.Fatal(err)
	}
	if again.Size() != first.Size() || again.Size() != 3 {
		t.Errorf("sizes %d then %d, want the first look's 3 both times", first.Size(), again.Size())
	}
	if d := in.Deps(); len(d) != 1 || d[0].St.Size != 3 {
		t.Errorf("recorded %+v, want the one first look", d)
	}
	// Without a record the host is asked each time.
	if fi, err := (Host{}).Stat(file); err != nil || fi.Size() != 6 {
		t.Errorf("Stat without a record: %v %v, want the file's 6 bytes", fi, err)
	}
}
