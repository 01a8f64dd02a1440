package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestD4PassFDKinds passes descriptor 3 of several kinds to a payload that
// walks up from it: `ls /proc/self/fd/3/..`. A directory or an O_PATH
// descriptor would list the host directory above it (its marker file),
// and any path beyond; both are refused before anything runs, with the
// profile line, and so is a directory as standard input, which is passed
// whatever the profile says. A regular file still passes. On the compiled
// path and from the plan cache, which must leave such a launch to the
// compiled path.
func TestD4PassFDKinds(t *testing.T) {
	dir := sharedDir(t, 0o755)
	inner := filepath.Join(dir, "inner")
	file := filepath.Join(dir, "file.txt")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "HOSTMARK"), nil, 0o644)
	os.WriteFile(file, []byte("PASSED-FILE\n"), 0o644)
	open := func(path string, flags int) *os.File {
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f := os.NewFile(uintptr(fd), path)
		t.Cleanup(func() { f.Close() })
		return f
	}
	kinds := []struct {
		name  string
		fd3   *os.File
		stdin *os.File
		err   string
		cache string
	}{
		{"directory", open(inner, unix.O_RDONLY|unix.O_DIRECTORY), nil, "fd 3 is a directory, a way out of the sandbox's mount view", "an fd in process.pass_fds may not be passed"},
		{"O_PATH directory", open(inner, unix.O_PATH), nil, "fd 3 is an O_PATH descriptor", "an fd in process.pass_fds may not be passed"},
		{"O_PATH file", open(file, unix.O_PATH), nil, "fd 3 is an O_PATH descriptor", "an fd in process.pass_fds may not be passed"},
		{"directory as stdin", open(file, unix.O_RDONLY), open(inner, unix.O_RDONLY|unix.O_DIRECTORY), "standard input (fd 0) is a directory", "a standard file may not be passed"},
	}
	regular := open(file, unix.O_RDONLY)

	bothModes(t, func(t *testing.T, m mode) {
		for _, cache := range []string{"off", "on"} {
			c := newCacheRun(t, m)
			prof := secProfile(t, "d4.toml", "extends = [\"minimal\"]\n\n[process]\npass_fds = [3]\n")
			settle(t, prof)
			args := []string{"-p", prof, "--", "/bin/sh", "-c", "cat /proc/self/fd/3 2>&1; ls /proc/self/fd/3/.. 2>&1; exit 0"}
			launch := func(fd3, stdin *os.File) result {
				return sandboxCmd(t, m, func(cmd *exec.Cmd) {
					c.setup(cmd)
					if cache == "off" {
						cmd.Env = append(cmd.Env, "SANDBOX_PLAN_CACHE=off")
					}
					cmd.ExtraFiles = []*os.File{fd3}
					if stdin != nil {
						cmd.Stdin = stdin
					}
				}, args...)
			}
			// The control: a regular file reaches the payload, and,
			// with the cache on, the plan is cached and used.
			for i := 0; i < 2; i++ {
				r := launch(regular, nil)
				if r.code != 0 || !strings.Contains(r.stdout, "PASSED-FILE") || strings.Contains(r.stdout, "HOSTMARK") {
					t.Fatalf("cache %s: a regular file as fd 3: %s", cache, r)
				}
				if cache == "on" && i == 1 {
					wantCache(t, r, "hit")
				}
			}
			for _, k := range kinds {
				r := launch(k.fd3, k.stdin)
				if strings.Contains(r.stdout, "HOSTMARK") {
					t.Fatalf("cache %s, %s: the payload walked out of its mount view through the descriptor:\n%s", cache, k.name, r)
				}
				if r.code != 125 || !strings.Contains(r.stderr, k.err) {
					t.Errorf("cache %s, %s: want exit 125 and %q:\n%s", cache, k.name, k.err, r)
				}
				if k.stdin == nil && !strings.Contains(r.stderr, "(from "+prof+":4:") {
					t.Errorf("cache %s, %s: the error does not name the profile line:\n%s", cache, k.name, r)
				}
				if cache == "on" {
					wantCache(t, r, "hit", "not used ("+k.cache+")")
				}
			}
		}
	})
}
