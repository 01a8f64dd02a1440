// Package tests holds the integration tests: they build bin/sandbox, start
// real sandboxes as root and as an unprivileged user, and check from the
// inside what a user would check.
package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sandbox/internal/testutil"
)

// sandboxBin is the binary under test, built once by TestMain into a
// world-readable directory so the unprivileged user can run it.
var sandboxBin string

// nobody is the unprivileged identity used for rootless runs.
const nobody = 65534

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sandbox-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755)
	sandboxBin = filepath.Join(dir, "sandbox")
	build := exec.Command("go", "build", "-o", sandboxBin, "./cmd/sandbox")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sandbox:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireOrSkip skips a test whose requirement is missing, saying why;
// under CI=true a missing requirement is a failure instead.
func requireOrSkip(t testing.TB, ok bool, why string) {
	t.Helper()
	testutil.RequireOrSkip(t, ok, why)
}

// mode is one way of launching: as root, or rootless as nobody.
type mode struct {
	name string
	cred *syscall.Credential
}

func (m mode) rootless() bool { return m.cred != nil }

var (
	asRoot     = mode{name: "root"}
	asRootless = mode{name: "rootless", cred: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
)

// bothModes runs f as root and rootless. The root run needs the tests to
// run as root, which CI does.
func bothModes(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range []mode{asRoot, asRootless} {
		t.Run(m.name, func(t *testing.T) {
			requireOrSkip(t, os.Geteuid() == 0, "launching as root and dropping to an unprivileged user needs the tests to run as root")
			f(t, m)
		})
	}
}

// result is what one sandbox run produced.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// sandbox runs the binary with args in mode m, with a clean environment
// like a login shell's, and waits at most a minute.
func sandbox(t *testing.T, m mode, args ...string) result {
	t.Helper()
	return sandboxCmd(t, m, nil, args...)
}

func sandboxCmd(t *testing.T, m mode, setup func(*exec.Cmd), args ...string) result {
	t.Helper()
	cmd := exec.Command(sandboxBin, args...)
	cmd.Dir = "/"
	home := "/root"
	user := "root"
	if m.rootless() {
		home, user = "/nonexistent", "nobody"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "USER=" + user,
		"LANG=C.UTF-8", "TERM=dumb", "SECRET_TOKEN=do-not-leak"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if setup != nil {
		setup(cmd)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sandbox %q did not finish within a minute", args)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

// mustRun runs a command in the minimal profile and fails unless it exits 0.
func mustRun(t *testing.T, m mode, args ...string) string {
	t.Helper()
	r := sandbox(t, m, append([]string{"-p", "minimal", "--"}, args...)...)
	if r.code != 0 {
		t.Fatalf("sandbox -p minimal -- %q: %s", args, r)
	}
	return r.stdout
}

// writeProfile writes a profile into a directory the unprivileged user can
// read and returns its path.
func writeProfile(t *testing.T, name, text string) string {
	t.Helper()
	// t.TempDir's parent is private to root; the unprivileged user
	// must be able to read the profile.
	dir, err := os.MkdirTemp("", "sandbox-it-profile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// statusField returns a field of /proc/self/status text.
func statusField(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
