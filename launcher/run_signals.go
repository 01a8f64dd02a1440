package launcher

import (
	"context"
	"os"
	"strconv"
	"strings"
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

	pid1   bool // the payload is PID 1 of a new pid namespace
	init   bool // the child is the init, which relays signals
	report int  // the launcher's end of the report pipe

	mu        sync.Mutex
	pid       int
	execd     bool           // setup is over: the payload runs
	reaped    bool           // never signal a pid that may be reused
	killedFor syscall.Signal // the signal a SIGKILL stood in for
	early     int            // terminating signals received during setup
	// abortArmed: a stop of the setup is scheduled (duringSetup).
	abortArmed bool
	// abortCtx ends when the setup was stopped: the launcher's own waits
	// in the setup (the id map helpers, the NAT helper) end with it.
	abortCtx context.Context
	abortFn  context.CancelFunc
	// pending holds signals that came before the child's pid was known:
	// on a busy machine the payload may already run by then.
	pending []syscall.Signal
}

func newRunSignals(p *Plan, init bool, report int) *runSignals {
	f := &runSignals{
		ch:     make(chan os.Signal, 8),
		quit:   make(chan struct{}),
		pid1:   p.CloneFlags&syscall.CLONE_NEWPID != 0 && !init,
		init:   init,
		report: report,
	}
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
	f.execd = true
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

func (f *runSignals) forwardLocked(s syscall.Signal) {
	if f.pid <= 0 || f.reaped {
		return
	}
	if !f.execd && f.setupOver() {
		f.execd = true
	}
	if !f.execd {
		f.duringSetup(s)
		return
	}
	if f.pid1 && s != syscall.SIGWINCH && !runHandles(f.pid, s) {
		f.killedFor = s
		_ = syscall.Kill(f.pid, syscall.SIGKILL)
		return
	}
	_ = syscall.Kill(f.pid, s)
}

// runAbortGrace is how long a setup may still run after a second signal
// asked to stop it, when an init is there to relay signals.
const runAbortGrace = time.Second

// duringSetup handles a signal that came while the sandbox was being set up,
// with every signal blocked.
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
func (f *runSignals) duringSetup(s syscall.Signal) {
	if s == syscall.SIGWINCH {
		return
	}
	f.early++
	if !f.init {
		f.stopSetup(s)
		return
	}
	_ = syscall.Kill(f.pid, s)
	if !f.abortArmed && (runStops(s) || f.early >= 2) {
		f.abortArmed = true
		time.AfterFunc(runAbortGrace, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if !f.reaped && !f.execd && !f.setupOver() {
				f.stopSetup(s)
			}
		})
	}
}

// runStops reports whether s is one a user or a tool sends to stop a
// process, as opposed to one a payload may handle as a request (SIGUSR1).
func runStops(s syscall.Signal) bool {
	return s == syscall.SIGINT || s == syscall.SIGTERM || s == syscall.SIGHUP || s == syscall.SIGQUIT
}

// setupOver reports whether the report pipe has reached EOF, which it does
// the moment the payload is executed (or the child is gone): the pipe, not
// the goroutine reading it, which may not have run yet.
func (f *runSignals) setupOver() bool {
	fds := []unix.PollFd{{Fd: int32(f.report), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 1 && fds[0].Revents&unix.POLLHUP != 0
}

// runHandles reports whether process pid catches or ignores s, from the
// SigCgt and SigIgn masks of /proc/PID/status.
func runHandles(pid int, s syscall.Signal) bool {
	b, err := childReadProc("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return true // gone or unreadable: let kill decide
	}
	bit := uint64(1) << (uint(s) - 1)
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "SigCgt" && name != "SigIgn") {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64)
		if err == nil && mask&bit != 0 {
			return true
		}
	}
	return false
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
