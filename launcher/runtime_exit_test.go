package launcher_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"sandbox/launcher"
	"sandbox/launcher/internal/testutil"
	"sandbox/plan"
)

var (
	caseExit = defineCase("exit", func(b *testutil.Builder, args []string) {
		b.Init = args[1] == "init"
		b.Argv = testutil.Shell(args[0])
	})
	caseArgv = defineCase("argv", func(b *testutil.Builder, args []string) {
		b.Argv = args
	})
	caseNotExecutable = defineCase("not-executable", func(b *testutil.Builder, args []string) {
		b.Mounts = append(b.Mounts, plan.File{From: testutil.At(80), Target: "/script", Content: []byte("#!/bin/sh\necho ran\n"), Mode: 0o644})
		b.Argv = []string{"/script"}
	})
	caseBadBind = defineCase("bad-bind", func(b *testutil.Builder, args []string) {
		b.Mounts = append(b.Mounts, plan.BindMount{From: testutil.At(42), Source: "/nonexistent-sandbox-test", Target: "/x"})
		b.Argv = []string{"sleep", args[0]}
	})
)

// L7: the payload's exit code comes back; a signal death is 128+n.
func TestRuntimeExitCodes(t *testing.T) {
	cases := []struct {
		script, init string
		want         int
	}{
		{"exit 0", "", 0},
		{"exit 1", "", 1},
		{"exit 42", "", 42},
		{"exit 255", "", 255},
		{"exit 42", "init", 42},
		// A PID 1 cannot kill itself with a signal; under the init
		// the payload is not PID 1.
		{"kill -TERM $$", "init", 128 + int(syscall.SIGTERM)},
		{"kill -SEGV $$", "init", 128 + int(syscall.SIGSEGV)},
		{"kill -KILL $$", "init", 128 + int(syscall.SIGKILL)},
	}
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		for _, c := range cases {
			if r := runCase(t, m, caseExit, c.script, c.init); r.Code != c.want {
				t.Errorf("%q (%s): want %d, got %v", c.script, c.init, c.want, r)
			}
		}
	})
}

// L7: 127 for a command that is not there, 126 for one that cannot run,
// with a message in the words of a shell.
func TestRuntimeExecFailures(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseArgv, "no-such-command-here")
		if r.Code != 127 || !strings.Contains(r.Stderr, "sandbox: no-such-command-here: command not found") {
			t.Errorf("missing command: %v", r)
		}
		r = runCase(t, m, caseArgv, "/usr/no/such/path")
		if r.Code != 127 {
			t.Errorf("missing path: %v", r)
		}
		r = runCase(t, m, caseNotExecutable)
		if r.Code != 126 || !strings.Contains(r.Stderr, "sandbox: /script: permission denied") {
			t.Errorf("not executable: %v", r)
		}
		r = runCase(t, m, caseArgv, "/usr")
		if r.Code != 126 {
			t.Errorf("a directory: %v", r)
		}
	})
}

// A failing step is reported with its number, path and profile line;
// nothing is left behind: no mount on the host, no process.
func TestRuntimeSetupErrorPointsAtTheStep(t *testing.T) {
	marker := "271828.18"
	usernsModes := []bool{false}
	if os.Geteuid() == 0 {
		usernsModes = append(usernsModes, true)
	}
	for _, userns := range usernsModes {
		p, err := buildCase(userns, caseBadBind, []string{marker})
		if err != nil {
			t.Fatal(err)
		}
		step := testutil.Index(p, "bind-mount")
		for i, s := range p.Steps {
			if b, ok := s.(plan.BindMount); ok && b.Source == "/nonexistent-sandbox-test" {
				step = i
			}
		}
		before := testutil.Mounts(t)
		_, err = testutil.RunPlan(t, p)
		var se *launcher.SetupError
		if !errors.As(err, &se) {
			t.Fatalf("userns=%v: want a SetupError, got %v", userns, err)
		}
		if se.Step != step || se.Kind != "bind-mount" || se.Origin.Line != 42 || se.Origin.File != "test.toml" ||
			se.Path != "/nonexistent-sandbox-test" || se.Errno != syscall.ENOENT || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("userns=%v: wrong error %#v", userns, se)
		}
		if !strings.Contains(se.Error(), "(from test.toml:42:1)") || !strings.Contains(se.Error(), "hint: ") {
			t.Errorf("message lacks origin or hint: %s", se)
		}
		if n := testutil.NewMounts(before, testutil.Mounts(t)); len(n) != 0 {
			t.Errorf("new mounts on the host: %v", n)
		}
		if pids := testutil.Processes(marker); len(pids) != 0 {
			t.Errorf("processes left: %v", pids)
		}
	}
	if os.Geteuid() != 0 {
		return // the test itself ran rootless above
	}
	bin := testutil.PublicBinary(t)
	r := testutil.Wait(t, testutil.Command(bin, "case", testutil.Nobody(), caseBadBind, marker))
	if r.Code != 125 || !strings.Contains(r.Stderr, "(bind-mount /nonexistent-sandbox-test): open source: no such file or directory (from test.toml:42:1)") {
		t.Errorf("rootless: %v", r)
	}
}
