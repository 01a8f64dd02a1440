package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sandbox/internal/testutil"
)

// requireOrSkip skips a test whose requirement is missing, but fails it
// under CI=true, where every requirement must be present.
func requireOrSkip(t *testing.T, ok bool, why string) {
	t.Helper()
	testutil.RequireOrSkip(t, ok, why)
}

// TestProfileFileTypes is checklist B13: a profile that is a FIFO, a
// device, a directory or a dangling symlink is an error, and loading it
// never blocks (a FIFO with no writer would block a plain open forever).
func TestProfileFileTypes(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	requireOrSkip(t, unix.Mkfifo(fifo, 0o644) == nil, "mkfifo is not possible in the temp dir")
	if err := os.Symlink(filepath.Join(dir, "nowhere.toml"), filepath.Join(dir, "dangling.toml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fifo, filepath.Join(dir, "to-fifo.toml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir.toml"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat("/dev/zero")
	requireOrSkip(t, statErr == nil, "/dev/zero is missing")

	for _, tc := range []struct{ path, want string }{
		{fifo, fifo + ": is a FIFO (named pipe), not a regular file; profiles must be regular files"},
		{filepath.Join(dir, "to-fifo.toml"), filepath.Join(dir, "to-fifo.toml") + ": is a FIFO (named pipe), not a regular file; profiles must be regular files"},
		{"/dev/zero", "/dev/zero: is a character device, not a regular file; profiles must be regular files"},
		{filepath.Join(dir, "dir.toml"), filepath.Join(dir, "dir.toml") + ": is a directory, not a profile file; give a NAME.toml file or a profile name"},
		{filepath.Join(dir, "dangling.toml"), filepath.Join(dir, "dangling.toml") + fmt.Sprintf(": is a dangling symlink to %q; fix or remove the link", filepath.Join(dir, "nowhere.toml"))},
		{filepath.Join(dir, "missing.toml"), filepath.Join(dir, "missing.toml") + ": does not exist"},
	} {
		msg := loadErr(t, tc.path, Source{})
		if msg != tc.want {
			t.Errorf("Load(%s)\n got: %s\nwant: %s", tc.path, msg, tc.want)
		}
	}

	// Found by name, a FIFO in the user's directory is reported; the
	// search does not fall through to a lower directory.
	lower := t.TempDir()
	writeFile(t, lower, "fifo.toml", "")
	msg := loadErr(t, "fifo", Source{Dirs: []string{dir, lower}})
	if !strings.HasPrefix(msg, fifo+": is a FIFO") {
		t.Errorf("FIFO on the search path: %s", msg)
	}
	// And as the base of another profile.
	child := writeFile(t, lower, "child.toml", `extends = ["`+fifo+`"]`)
	if msg := loadErr(t, child, Source{}); !strings.HasPrefix(msg, fifo+": is a FIFO") {
		t.Errorf("FIFO as a base: %s", msg)
	}
}

// TestAbsurdSizes is checklist B7: a huge file, too many mounts, a 64 KiB
// path and an error storm all give a short, bounded report.
func TestAbsurdSizes(t *testing.T) {
	dir := t.TempDir()

	// 100 MB, sparse: refused from its size, never read.
	huge := filepath.Join(dir, "huge.toml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if msg := loadErr(t, huge, Source{}); msg != huge+": is 104857600 bytes; profiles are limited to 1048576 bytes (1 MiB); is this the right file?" {
		t.Errorf("huge file: %s", msg)
	}

	// 4500: more would pass the bound on a file's keys (B14) first.
	var b strings.Builder
	for i := range 4500 {
		fmt.Fprintf(&b, "[[mount]]\ntype = \"dir\"\ntarget = \"/d%d\"\n", i)
	}
	many := writeFile(t, dir, "many.toml", b.String())
	want := many + ":12289:1: mount[4096]: 4500 [[mount]] entries; the limit is 4096"
	if msg := loadErr(t, many, Source{}); msg != want {
		t.Errorf("many mounts\n got: %.300s\nwant: %s", msg, want)
	}

	// 3000 + 3000 mounts: each file is fine, the merged profile is not.
	var half [2]strings.Builder
	for i := range 3000 {
		for j := range half {
			fmt.Fprintf(&half[j], "[[mount]]\ntype = \"dir\"\ntarget = \"/%c%d\"\n", 'a'+j, i)
		}
	}
	writeFile(t, dir, "half.toml", half[0].String())
	both := writeFile(t, dir, "both.toml", "extends = [\"half.toml\"]\n"+half[1].String())
	if msg := loadErr(t, both, Source{}); !strings.HasSuffix(msg, "mount[1096]: the merged profile has 6000 mounts; the limit is 4096") {
		t.Errorf("merged mounts: %.300s", msg)
	}

	long := "/" + strings.Repeat("a", 64<<10)
	lp := writeFile(t, dir, "long.toml", "[[mount]]\ntype = \"dir\"\ntarget = \""+long+"\"\n")
	if msg := loadErr(t, lp, Source{}); msg != lp+":3:1: mount[0].target: path is 65537 bytes long; the limit is 4096" {
		t.Errorf("long path: %.300s", msg)
	}

	// 200 mistakes: the first 50 and a line saying how many more.
	b.Reset()
	for i := range 200 {
		fmt.Fprintf(&b, "[[mount]]\ntype = \"dir\"\ntarget = \"rel%d\"\n", i)
	}
	storm := writeFile(t, dir, "storm.toml", b.String())
	_, err = Load(storm, testEnv(), Source{})
	errs, _ := err.(Errors)
	if len(errs) != maxErrors+1 || errs[maxErrors].Error() != storm+": too many errors: 150 more not shown; fix the ones above first" {
		t.Errorf("error storm: %d errors, last %v", len(errs), errs[len(errs)-1])
	}

	// Inline content larger than 1 MiB cannot fit in a file of at most
	// 1 MiB; a file just over the limit is refused as a whole.
	big := writeFile(t, dir, "big.toml", "description = \""+strings.Repeat("x", maxFileSize)+"\"\n")
	if msg := loadErr(t, big, Source{}); !strings.Contains(msg, "profiles are limited to 1048576 bytes") {
		t.Errorf("file over 1 MiB: %.200s", msg)
	}
}
