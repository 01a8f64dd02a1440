package smoketest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"sandbox/profile"
)

// smokeRemove removes a scratch directory of `sandbox test` (its project
// directory, its home, with what setup wrote into Downloads and what the
// payload left there) and says so on stderr when it cannot: a test must
// not leave files behind unnoticed. A payload may have left a directory
// without write permission (chmod 0500, as some programs make their
// profile directories), which stops an unprivileged caller's RemoveAll;
// the caller owns those, so they are made writable, and removed again.
func smokeRemove(dir string, stderr io.Writer) {
	if os.RemoveAll(dir) == nil {
		return
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == nil {
		smokeOpenUp(fd)
	}
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(stderr, "sandbox: test: could not remove its scratch directory: %v\n", err)
	}
}

// smokeOpenUp makes the directory fd and every directory below it
// writable by its owner, and closes fd. Each one is opened from its parent
// by name with O_NOFOLLOW and changed through its own descriptor, so a
// directory swapped for a symlink (by a process still running) is never
// followed out of the tree.
func smokeOpenUp(fd int) {
	defer unix.Close(fd)
	unix.Fchmod(fd, 0o700)
	dup, err := unix.Dup(fd)
	if err != nil {
		return
	}
	list := os.NewFile(uintptr(dup), "")
	defer list.Close()
	entries, _ := list.ReadDir(-1)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub, err := unix.Openat(fd, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			smokeOpenUp(sub)
		}
	}
}

// smokeInheritedFrom names the profile a test was inherited from: the one
// whose file set test.command, when that is not the file asked for. A
// profile that only extends another runs its parent's test in its own
// sandbox, which is worth running but is not a test of its own, and the
// result says so.
func smokeInheritedFrom(p *profile.Profile) string {
	at, ok := p.Origins["test.command"]
	if !ok || len(p.Files) == 0 || at.File == p.Files[len(p.Files)-1] {
		return ""
	}
	name := strings.TrimPrefix(at.File, "builtin:")
	return strings.TrimSuffix(filepath.Base(name), ".toml")
}

// smokeInheritedNote is the note on a test's line, or "".
func smokeInheritedNote(p *profile.Profile) string {
	if from := smokeInheritedFrom(p); from != "" {
		return fmt.Sprintf("  (no test of its own: ran the test inherited from %s)", from)
	}
	return ""
}
