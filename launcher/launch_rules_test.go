package launcher

import (
	"syscall"
	"testing"
)

// TestExitCodeRule checks the exit code both launch paths give for a
// payload's wait status (launch_rules.c).
func TestExitCodeRule(t *testing.T) {
	exited := func(code int) syscall.WaitStatus { return syscall.WaitStatus(code << 8) }
	signaled := func(s syscall.Signal) syscall.WaitStatus { return syscall.WaitStatus(s) }
	for _, tc := range []struct {
		ws     syscall.WaitStatus
		killed syscall.Signal
		want   int
	}{
		{exited(0), 0, 0},
		{exited(3), 0, 3},
		{exited(255), syscall.SIGTERM, 255},
		{signaled(syscall.SIGTERM), 0, 143},
		{signaled(syscall.SIGKILL), 0, 137},
		// The launcher killed it on behalf of SIGINT: the shell's code
		// for SIGINT, not SIGKILL's.
		{signaled(syscall.SIGKILL), syscall.SIGINT, 130},
		{signaled(syscall.SIGSEGV), syscall.SIGINT, 139},
		{syscall.WaitStatus(0x137f), 0, 125}, // stopped: no code yet
	} {
		if got := exitCodeOf(tc.ws, tc.killed); got != tc.want {
			t.Errorf("status %#x killed for %d: exit code %d, want %d", uint32(tc.ws), tc.killed, got, tc.want)
		}
	}
}

// TestPlanCacheSettings checks SANDBOX_PLAN_CACHE and where the cache
// lives, as both launch paths read them.
func TestPlanCacheSettings(t *testing.T) {
	for _, tc := range []struct {
		env         []string
		on, verbose bool
	}{
		{nil, true, false},
		{[]string{"SANDBOX_PLAN_CACHE=off"}, false, false},
		{[]string{"SANDBOX_PLAN_CACHE=0"}, false, false},
		{[]string{"SANDBOX_PLAN_CACHE=verbose"}, true, true},
		{[]string{"SANDBOX_PLAN_CACHE=on"}, true, false},
		{[]string{"SANDBOX_PLAN_CACHEX=off"}, true, false},
	} {
		if on, verbose := PlanCacheMode(tc.env); on != tc.on || verbose != tc.verbose {
			t.Errorf("%q: on %v verbose %v, want %v %v", tc.env, on, verbose, tc.on, tc.verbose)
		}
	}
	for _, tc := range []struct {
		env  []string
		euid int
		want string
	}{
		{[]string{"XDG_RUNTIME_DIR=/run/user/1000"}, 1000, "/run/user/1000/sandbox/plans"},
		{[]string{"XDG_RUNTIME_DIR=/run/user/1000"}, 0, "/run/user/1000/sandbox/plans"},
		{nil, 0, "/run/sandbox/plans"},
		{nil, 1000, ""},
		// A relative directory would depend on the working directory.
		{[]string{"XDG_RUNTIME_DIR=run"}, 1000, ""},
		{[]string{"XDG_RUNTIME_DIR=run"}, 0, "/run/sandbox/plans"},
	} {
		if got := PlanCacheDir(tc.env, tc.euid); got != tc.want {
			t.Errorf("%q euid %d: %q, want %q", tc.env, tc.euid, got, tc.want)
		}
	}
}
