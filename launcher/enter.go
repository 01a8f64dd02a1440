package launcher

/*
#include "enter.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sandbox/plan"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrGone is returned by Enter when the sandbox's processes are gone, or
// its pid now names another process.
var ErrGone = errors.New("the sandbox's processes are gone")

// EnterTarget is a running sandbox as its instance record names it.
type EnterTarget struct {
	PID   int    // the sandbox's first process on the host
	Start uint64 // PID's start time, in clock ticks since boot
}

// Enter runs argv (nil: the profile's shell) inside the running sandbox t
// under the payload's rules, which p, the plan compiled again from the
// same profile and command, gives: its working directory, limits,
// capabilities, no_new_privs, seccomp filter, process group and
// environment. The ids are the payload's own. It returns the exit code as
// Run does.
//
// Only the plan's process steps run, through the ordinary child code
// (sbx_child_main): there is one implementation of each. The namespaces
// are joined first, by enter.c, which is where the entering process is
// made safe to show to the sandbox (E1).
func Enter(p *plan.Plan, t EnterTarget, argv []string, opts RunOptions) (int, error) {
	if p == nil {
		return 125, errors.New("enter: no plan")
	}
	// The init pins the sandbox: a pidfd of it and its start time
	// checked after make the pid we read children from the recorded one.
	initfd, err := enterPidfd(t.PID, t.Start)
	if err != nil {
		return 125, err
	}
	defer syscall.Close(initfd)
	// The payload's namespaces, not the init's: the payload's time
	// namespace is one the init made for its children only.
	pid, err := enterPayloadPID(t.PID, p.RunsInit())
	if err != nil {
		return 125, err
	}
	start, ok := enterStartOf(pid)
	if !ok {
		return 125, fmt.Errorf("enter: the payload (pid %d): %w", pid, ErrGone)
	}
	pidfd, err := enterPidfd(pid, start)
	if err != nil {
		return 125, err
	}
	defer syscall.Close(pidfd)
	pl, err := readEnterPayload(pid)
	if err != nil {
		return 125, err
	}
	// Read under the pidfd: still the same process, so what we read is
	// the payload's and not a newcomer's under a reused pid.
	if !enterCheckStart(pid, start) || !enterCheckStart(t.PID, t.Start) {
		return 125, fmt.Errorf("enter: pid %d: %w", pid, ErrGone)
	}
	if err := enterCheckCeiling(p, pl); err != nil {
		return 125, err
	}
	if argv == nil {
		argv = []string{enterShell(p, pid)}
	}
	ep := enterPlan(p, pl, argv)
	if err := runDieWithParent(ep); err != nil {
		return 125, err
	}

	set := childSetup{ids: idsNone, stdio: [3]int{0, 1, 2}}
	set.lastCap, set.argvStart, set.argvLen = childHost()
	cp, err := newChildPlan(ep, set)
	if err != nil {
		return 125, err
	}
	defer cp.free()
	var report, sync [2]int
	if err := syscall.Pipe2(report[:], syscall.O_CLOEXEC); err != nil {
		return 125, fmt.Errorf("enter: report pipe: %w", err)
	}
	defer syscall.Close(report[0])
	// The entered process ends with this launcher, as a launch's
	// sandbox does: it arms its death signal and then checks on this
	// pipe that the launcher had not died first (sbx_arm_parent_death).
	sync = [2]int{-1, -1}
	if ep.DieWithParent {
		if err := syscall.Pipe2(sync[:], syscall.O_CLOEXEC); err != nil {
			syscall.Close(report[1])
			return 125, fmt.Errorf("enter: sync pipe: %w", err)
		}
		defer syscall.Close(sync[1])
	}
	cp.setPipes(report, sync)
	job, err := newRunJob(cp, set.stdio)
	if err != nil {
		syscall.Close(report[1])
		if sync[0] >= 0 {
			syscall.Close(sync[0])
		}
		return 125, err
	}
	defer job.end()
	sig := newRunSignals(ep, false, report[0])
	defer sig.stop()

	groups := make([]C.uint32_t, len(pl.groups)+1)
	for i, g := range pl.groups {
		groups[i] = C.uint32_t(g)
	}
	runtime.LockOSThread()
	var cerr, stage C.int
	child := int(C.sbx_enter_spawn(cp.c, C.int(pidfd), C.ulong(pl.nsFlags),
		(*C.uint32_t)(unsafe.Pointer(&groups[0])), C.int(len(pl.groups)), &cerr, &stage))
	runtime.UnlockOSThread()
	runtime.KeepAlive(groups)
	syscall.Close(report[1])
	if sync[0] >= 0 {
		syscall.Close(sync[0])
	}
	if child < 0 {
		return 125, enterSpawnError(pid, int(stage), syscall.Errno(cerr))
	}
	job.started(child)
	sig.attach(child)
	if opts.Started != nil {
		var ns map[string]uint64
		if opts.Namespaces {
			// The entered process has the payload's, which outlives it.
			ns = namespaceIDs(pid)
		}
		opts.Started(child, ns)
	}
	rec, got, rerr := runReadReport(report[0])
	sig.setupDone()
	ws, werr := sig.wait(job)
	if rerr != nil {
		return 125, fmt.Errorf("enter: reading the report: %w", rerr)
	}
	if werr != nil {
		return 125, fmt.Errorf("enter: waiting: %w", werr)
	}
	if got {
		r := decodeChildReport(rec)
		if r.exec {
			msg, code := execFailure(r.errno, r.detail)
			fmt.Fprintln(runStderr(2), msg)
			return code, nil
		}
		return 125, runSetupError(ep, r)
	}
	if opts.Ended != nil {
		opts.Ended(ws)
	}
	return sig.exitCode(ws), nil
}

// enterPlan is the plan the entered process runs: no namespaces, no init,
// no helpers, and only the steps that make a process of the payload's
// kind, in the plan's order. The ids are the payload's, taken after the
// namespaces are joined; the supplementary groups were set before
// (enter.c), so setgroups, which the sandbox's user namespace may deny,
// is skipped.
func enterPlan(p *plan.Plan, pl enterPayload, argv []string) *plan.Plan {
	ep := *p
	// DieWithParent stays: the entered process ends with its launcher
	// as the payload does with its own.
	ep.CloneFlags, ep.IDs, ep.TimeNamespace = 0, nil, false
	ep.NAT, ep.DBusProxy, ep.PulseProxy, ep.PassFDs = nil, nil, nil, nil
	ids := plan.SetIDs{UID: pl.uid, GID: pl.gid, KeepGroups: true}
	var rest []plan.Step
	for _, s := range p.Steps {
		switch st := s.(type) {
		case plan.SetIDs:
			ids.From = st.From
		case plan.Chdir, plan.Rlimit, plan.Capabilities, plan.NoNewPrivs, plan.NewSession, plan.Landlock, plan.Seccomp:
			rest = append(rest, s)
		case plan.Exec:
			st.Argv, st.Init = argv, false
			rest = append(rest, st)
		}
	}
	ep.Steps = append([]plan.Step{ids}, rest...)
	return &ep
}

// enterShell is the command enter runs without one: the shell the
// payload's environment names if it exists inside, else /bin/sh. It is
// looked up under the payload's root, symlinks resolved there.
func enterShell(p *plan.Plan, pid int) string {
	sh, ok := plan.LookupEnv(p.Env, "SHELL")
	if !ok || len(sh) < 2 || sh[0] != '/' {
		return "/bin/sh"
	}
	root, err := unix.Open(fmt.Sprintf("/proc/%d/root", pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "/bin/sh"
	}
	defer unix.Close(root)
	fd, err := unix.Openat2(root, sh, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
	if err != nil {
		return "/bin/sh"
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o111 == 0 {
		return "/bin/sh"
	}
	return sh
}

// enterPidfd opens a pidfd of pid and checks that pid is still the
// process started at start.
func enterPidfd(pid int, start uint64) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("enter: pid %d: %w: %w", pid, ErrGone, err)
	}
	if !enterCheckStart(pid, start) {
		unix.Close(fd)
		return -1, fmt.Errorf("enter: pid %d is no longer the sandbox's: %w", pid, ErrGone)
	}
	return fd, nil
}

// enterSpawnError names what failed before the entered process started.
func enterSpawnError(pid, stage int, errno syscall.Errno) error {
	what := [...]string{"starting the joining process", "closing descriptors", "making the process non-dumpable",
		"taking the payload's supplementary groups", "joining the namespaces", "starting the entered process"}
	w := what[0]
	if stage >= 0 && stage < len(what) {
		w = what[stage]
	}
	err := fmt.Errorf("enter: %s of pid %d: %w", w, pid, errno)
	if errno == syscall.ESRCH {
		return fmt.Errorf("%w: %w", err, ErrGone)
	}
	return err
}
