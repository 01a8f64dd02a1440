package launcher_test

import (
	"strings"
	"syscall"
	"testing"

	"sandbox/launcher/internal/testutil"
	"sandbox/plan"
)

var (
	caseLimits = defineCase("limits", func(b *testutil.Builder, args []string) {
		b.AfterPivot = append(b.AfterPivot,
			plan.Rlimit{From: testutil.At(100), Name: "nofile", Resource: syscall.RLIMIT_NOFILE, Soft: 64, Hard: 128},
			plan.Rlimit{From: testutil.At(101), Name: "core", Resource: syscall.RLIMIT_CORE, Soft: 0, Hard: 0})
		b.Argv = testutil.Shell("ulimit -n; ulimit -Hn; ulimit -c")
	})
	caseSession = defineCase("session", func(b *testutil.Builder, args []string) {
		b.NewSession = true
		// Field 6 of stat is the session id.
		b.Argv = testutil.Shell(`read -r pid comm state ppid pgrp sid rest < /proc/self/stat; echo "$pid $sid"`)
	})
	caseChdir = defineCase("chdir", func(b *testutil.Builder, args []string) {
		b.AfterPivot = append(b.AfterPivot, plan.Chdir{From: testutil.At(110), Dir: args[0], Fallback: args[1]})
		b.Argv = []string{"pwd"}
	})
)

func TestRuntimeResourceLimits(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseLimits)
		if got := strings.Join(lines(r.Stdout), " "); r.Code != 0 || got != "64 128 0" {
			t.Fatalf("want 64 128 0, got %v", r)
		}
	})
}

// T1, T2: with a new session the payload leads a session of its own, with
// no controlling terminal.
func TestRuntimeNewSession(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseSession)
		f := strings.Fields(r.Stdout)
		if r.Code != 0 || len(f) != 2 || f[0] != f[1] {
			t.Fatalf("want the payload to lead its session, got %v", r)
		}
	})
}

// F16: the working directory is inside the new root; a directory missing
// inside falls back, and without a fallback the error names the step.
func TestRuntimeWorkingDirectory(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		if r := runCase(t, m, caseChdir, "/usr/bin", ""); r.Code != 0 || strings.TrimSpace(r.Stdout) != "/usr/bin" {
			t.Errorf("chdir /usr/bin: %v", r)
		}
		if r := runCase(t, m, caseChdir, "/home/nobody-here", "/tmp"); r.Code != 0 || strings.TrimSpace(r.Stdout) != "/tmp" {
			t.Errorf("fallback: %v", r)
		}
		r := runCase(t, m, caseChdir, "/home/nobody-here", "")
		if r.Code != 125 || !strings.Contains(r.Stderr, "(chdir /home/nobody-here): chdir: no such file or directory (from test.toml:110:1)") {
			t.Errorf("missing directory: %v", r)
		}
	})
}
