package launcher

// #include "launch_rules.h"
import "C"

import (
	"context"
	"os"
	"sandbox/plan"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runForwarded are the signals the launcher passes on to the sandbox (L4;
// bubblewrap forwards none, its issue 369).
var runForwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// runSignals forwards the launcher's signals to the sandbox's first process
// and waits for it.
//
// The sandbox is never in the launcher's process group (jobctl.c): when the
// launcher is in the terminal's foreground, the sandbox's group takes it,
// so the signals the terminal generates (^C, ^\, a resize) go to the
// sandbox alone, and the launcher gets only signals sent to it: kill from
// another process, a hangup relayed by the caller's shell. It forwards
// every one, once. (Before its first process leaves our group, a signal
// may reach both; the child has every signal blocked then and the copies
// merge into one, see duringSetup.)
//
// A payload that is PID 1 of its pid namespace (no init) is special: the
// kernel drops every signal PID 1 does not catch, so a SIGTERM to a plain
// `sleep` would be lost (L5). When such a payload neither catches nor
// ignores a terminating signal, the launcher kills it instead and reports
// the signal it was asked to deliver (exit 128+n), as if it had worked.
type runSignals struct {
	ch   chan os.Signal
	quit chan struct{}
	wg   sync.WaitGroup

	init   bool // the child is the init, which relays signals
	report int  // the launcher's end of the report pipe

	mu sync.Mutex
	// fwd is what the forwarding rule (launch_rules.h, shared with the
	// cached path) knows: init, pid1, whether the payload was executed,
	// the signals of the setup and whether a stop of it is scheduled.
	fwd       C.struct_sbx_forward
	pid       int
	reaped    bool           // never signal a pid that may be reused
	killedFor syscall.Signal // the signal a SIGKILL stood in for
	// abortCtx ends when the setup was stopped: the launcher's own waits
	// in the setup (the id map helpers, the NAT helper) end with it.
	abortCtx context.Context
	abortFn  context.CancelFunc
	// pending holds signals that came before the child's pid was known:
	// on a busy machine the payload may already run by then.
	pending []syscall.Signal
}

func newRunSignals(p *plan.Plan, init bool, report int) *runSignals {
	f := &runSignals{
		ch:     make(chan os.Signal, 8),
		quit:   make(chan struct{}),
		init:   init,
		report: report,
	}
	f.fwd.init = cBool(init)
	f.fwd.pid1 = cBool(p.CloneFlags&syscall.CLONE_NEWPID != 0 && !init)
	f.abortCtx, f.abortFn = context.WithCancel(context.Background())
	// Registered before clone, so a ^C during setup does not kill the
	// launcher and leave the child to its death signal.
	runHubAttach(f)
	f.wg.Add(1)
	go f.loop()
	return f
}

func (f *runSignals) loop() {
	defer f.wg.Done()
	for {
		select {
		case s := <-f.ch:
			f.forward(s.(syscall.Signal))
		case <-f.quit:
			return
		}
	}
}

// stop ends forwarding. Signals that arrive later take their default
// action on the launcher.
func (f *runSignals) stop() {
	runHubDetach(f)
	close(f.quit)
	f.wg.Wait()
	f.abortFn()
}

// stoppedOr is the result of a setup the launcher gave up on with err:
// when a signal stopped the setup, 128+n, as when the child is killed in
// its own steps, rather than the error the stop caused.
func (f *runSignals) stoppedOr(err error) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.killedFor != 0 && f.abortCtx.Err() != nil {
		return 128 + int(f.killedFor), nil
	}
	return 0, err
}

// stopSetup kills the child in its setup, on behalf of signal s.
func (f *runSignals) stopSetup(s syscall.Signal) {
	f.killedFor = s
	_ = syscall.Kill(f.pid, syscall.SIGKILL)
	f.abortFn()
}

func (f *runSignals) attach(pid int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pid = pid
	for _, s := range f.pending {
		f.forwardLocked(s)
	}
	f.pending = nil
}

func (f *runSignals) setupDone() {
	f.mu.Lock()
	f.fwd.execd = 1
	f.mu.Unlock()
}

func (f *runSignals) forward(s syscall.Signal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pid == 0 {
		if len(f.pending) < 64 {
			f.pending = append(f.pending, s)
		}
		return
	}
	f.forwardLocked(s)
}

// forwardLocked acts on signal s as sbx_forward_decide says, the rule the
// cached path follows too (launch_rules.h).
//
// A signal that comes while the sandbox is being set up finds every
// signal blocked in the child.
//
// Without an init, the report pipe reaches EOF exactly when the payload is
// executed, so the setup is surely still running: it is stopped at once and
// the launcher reports the signal (128+n).
//
// With an init the payload may already run while the init, not yet
// scheduled after its fork, still holds the pipe open: a signal is passed to
// the init, which relays it to the payload once its handlers are in place
// (or at once if it came before the payload existed). A signal that asks
// to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT), or a second signal of any
// kind, then stops the setup if it has still not ended a moment later: a
// setup stuck on something (B16) must end on the one SIGTERM a tool such as
// timeout sends, and the init cannot relay it before the setup is over.
func (f *runSignals) forwardLocked(s syscall.Signal) {
	if f.pid <= 0 || f.reaped {
		return
	}
	var arm C.int
	over := f.fwd.execd != 0 || f.setupOver()
	switch C.sbx_forward_decide(&f.fwd, C.int(f.pid), C.int(s), cBool(over), &arm) {
	case C.SBX_FWD_SEND:
		_ = syscall.Kill(f.pid, s)
	case C.SBX_FWD_KILL:
		f.killedFor = s
		_ = syscall.Kill(f.pid, syscall.SIGKILL)
	case C.SBX_FWD_STOP_SETUP:
		f.stopSetup(s)
	}
	if arm != 0 {
		time.AfterFunc(C.SBX_ABORT_GRACE_MS*time.Millisecond, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.reaped && f.fwd.execd == 0 && !f.setupOver() {
				f.stopSetup(s)
			}
		})
	}
}

// setupOver reports whether the report pipe has reached EOF, which it does
// the moment the payload is executed (or the child is gone): the pipe, not
// the goroutine reading it, which may not have run yet.
func (f *runSignals) setupOver() bool {
	fds := []unix.PollFd{{Fd: int32(f.report), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 1 && fds[0].Revents&unix.POLLHUP != 0
}

// wait waits for the child and reaps it. It first waits without reaping,
// so that no signal is forwarded to a pid the kernel may already have
// given to another process. A payload without an init that stops while
// the terminal is shared stops the launcher too (job, jobctl.c); with an
// init, the init reports the payload's stops (run_job.go).
func (f *runSignals) wait(job *runJob) (syscall.WaitStatus, error) {
	var info unix.Siginfo
	flags := unix.WEXITED | unix.WNOWAIT
	if !f.init && job.watch() {
		flags |= unix.WSTOPPED
	}
	for {
		err := unix.Waitid(unix.P_PID, f.pid, &info, flags, nil)
		if err == syscall.EINTR {
			continue
		}
		if err == nil && info.Code == runCLDStopped {
			// Take the report, with the signal, and act as the
			// caller's job.
			if sig := job.takeStop(f.pid); sig != 0 {
				job.stopped(sig)
			}
			continue
		}
		break
	}
	f.mu.Lock()
	f.reaped = true
	f.mu.Unlock()
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(f.pid, &ws, 0, nil)
		if err == nil {
			return ws, nil
		}
		if err != syscall.EINTR {
			return ws, err
		}
	}
}

// runCLDStopped is siginfo's si_code for a child stopped by a signal.
const runCLDStopped = 5

// exitCode maps the child's status to the launcher's exit code.
func (f *runSignals) exitCode(ws syscall.WaitStatus) int {
	f.mu.Lock()
	k := f.killedFor
	f.mu.Unlock()
	return exitCodeOf(ws, k)
}
