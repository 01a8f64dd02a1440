package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// ScenarioEnv names the scenario a re-executed test binary runs instead of
// its tests.
const ScenarioEnv = "SANDBOX_RUNTIME_SCENARIO"

// Scenario runs in a re-executed test binary (as another user, or inside a
// sandbox as its payload) and returns the process's exit code.
type Scenario func(args []string) int

// ScenarioMain runs the scenario named by ScenarioEnv, if any, and exits.
// Call it from an init function of the test package: it then runs before
// any test, TestMain or flag parsing, and os.Args[1:] are its arguments.
func ScenarioMain(scenarios map[string]Scenario) {
	name, ok := os.LookupEnv(ScenarioEnv)
	if !ok {
		return
	}
	os.Unsetenv(ScenarioEnv)
	s := scenarios[name]
	if s == nil {
		fmt.Fprintf(os.Stderr, "testutil: no scenario %q\n", name)
		os.Exit(3)
	}
	os.Exit(s(os.Args[1:]))
}

// Nobody is the credential of the unprivileged user tests drop to.
func Nobody() *syscall.Credential {
	return &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}
}

// PublicBinary returns a copy of the running test binary that any user can
// execute: the one go test built sits in a directory only root may enter.
func PublicBinary(t testing.TB) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("locating the test binary: %v", err)
	}
	dir, err := os.MkdirTemp("", "sandbox-runtime-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "test")
	if err := copyFile(self, dst); err != nil {
		t.Fatalf("copying the test binary: %v", err)
	}
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Command prepares bin (see PublicBinary) to run scenario with args as the
// user cred (nil: the test's own), in /, with a minimal environment.
func Command(bin, scenario string, cred *syscall.Credential, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", ScenarioEnv + "=" + scenario}
	if ci, ok := os.LookupEnv("CI"); ok {
		cmd.Env = append(cmd.Env, "CI="+ci)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// Result is what a finished process left.
type Result struct {
	Code           int
	Stdout, Stderr string
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Wait runs cmd to its end and collects its output.
func Wait(t testing.TB, cmd *exec.Cmd) Result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		}
	default:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return r
}
