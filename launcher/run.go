package launcher

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sandbox/egress"
	"sandbox/plan"
	"syscall"
)

// RunOptions are the payload's standard files.
type RunOptions struct {
	// Stdin, Stdout and Stderr become the payload's 0, 1 and 2; nil
	// means the launcher's own.
	Stdin, Stdout, Stderr *os.File
	// Started, if set, is called with the sandbox's host pid and the
	// inode numbers of its namespaces once it is cloned and released,
	// before its setup is known to succeed.
	Started func(pid int, namespaces map[string]uint64)
	// Namespaces asks for the namespaces' inode numbers in Started
	// (nil otherwise). The child then waits for the launcher before its
	// setup: once the setup made it non-dumpable, a rootless launcher
	// can no longer read them, and a payload that ends at once leaves
	// only a zombie without them. It costs one more pipe round trip.
	Namespaces bool
	// Ended, if set, is called with the payload's wait status once it
	// ran and was reaped.
	Ended func(ws syscall.WaitStatus)
	// Verbose reports each connection of a filtered sandbox's egress
	// proxy as it happens; refused ones are summed up at the end either
	// way.
	Verbose bool
	// Quiet (sandbox -q) leaves out that summary too, the one notice
	// the launcher prints itself; errors are printed whatever it is.
	Quiet bool
	// Egress, if set, is called for each connection the egress proxy
	// allows or refuses ("allowed" or "refused", the host:port the
	// sandbox asked for, the reason of a refusal), from the proxy's
	// goroutines.
	Egress func(verdict, target, reason string)
}

// Run executes the plan and waits for the payload. It returns the
// payload's exit code: its own; 128+n if a signal n killed it; 127 if the
// command was not found and 126 if it could not be executed (a message then
// went to the payload's stderr). An error (a *SetupError for failures inside
// the sandbox's setup) means the payload never ran: exit 125.
//
// The launcher's SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
// SIGWINCH are forwarded to the sandbox while Run waits.
func Run(p *plan.Plan, opts RunOptions) (int, error) {
	if p == nil {
		return 125, errors.New("no plan to run")
	}
	if err := runDieWithParent(p); err != nil {
		return 125, err
	}
	set := childSetup{ids: runIDModeFor(p)}
	set.lastCap, set.argvStart, set.argvLen = childHost()
	set.waitMaps = set.ids == idsParent || set.ids == idsHelper
	set.hold = opts.Namespaces && opts.Started != nil
	for i, f := range []*os.File{opts.Stdin, opts.Stdout, opts.Stderr} {
		set.stdio[i] = i
		if f != nil {
			// Fd puts the file in blocking mode, as the payload
			// expects its standard files.
			set.stdio[i] = int(f.Fd())
		}
	}
	if err := checkPassFDs(p, func(fd int) bool {
		_, err := runFcntl(fd, syscall.F_GETFD)
		return err == nil
	}); err != nil {
		return 125, err
	}
	if err := checkStdio(set.stdio); err != nil {
		return 125, err
	}
	// Helpers the plan needs before clone (the D-Bus proxy); rp is the
	// plan with their sockets filled in.
	svc, rp, err := startServices(p)
	if err != nil {
		return 125, err
	}
	defer svc.stop()
	cp, err := newChildPlan(rp, set)
	if err != nil {
		return 125, err
	}
	defer cp.free()
	if p.Egress != nil {
		notices := runStderr(set.stdio[2])
		if opts.Quiet {
			notices = io.Discard
		}
		x, child, peer, err := egress.NewProxy(p.Egress, notices, opts.Verbose)
		if err != nil {
			return 125, err
		}
		// Stopped (and its report printed) before the helpers.
		defer x.Stop()
		x.Notify(opts.Egress)
		cp.setEgress(child, peer, p.Egress.Port)
		svc.egress, svc.egressChild = x, child
	}

	code, err := runChild(p, cp, set, svc, opts)
	runtime.KeepAlive(opts)
	if err != nil {
		return 125, err
	}
	return code, nil
}

// runChild starts the child, completes its setup from the launcher's side
// and waits for it. The protocol is drawn at the top of child.go.
func runChild(p *plan.Plan, cp *childPlan, set childSetup, svc *services, opts RunOptions) (int, error) {
	var report, sync [2]int
	if err := syscall.Pipe2(report[:], syscall.O_CLOEXEC); err != nil {
		return 0, fmt.Errorf("report pipe: %w", err)
	}
	defer syscall.Close(report[0])
	sync = [2]int{-1, -1}
	if set.waitMaps || set.hold || p.DieWithParent || p.NAT != nil {
		if err := syscall.Pipe2(sync[:], syscall.O_CLOEXEC); err != nil {
			syscall.Close(report[1])
			return 0, fmt.Errorf("sync pipe: %w", err)
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
		return 0, err
	}
	// Last, once the sandbox is reaped: the terminal back as it was.
	defer job.end()

	init := cp.c.init != 0
	sig := newRunSignals(p, init, report[0])
	defer sig.stop()

	// Locked from clone until the child is reaped (spawnLocked); the
	// deferred unlock runs before sig.stop and job.end, which may park.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, errno := cp.spawnLocked()
	// The child has its copies; ours would hide its EOF.
	syscall.Close(report[1])
	svc.egressStarted()
	if sync[0] >= 0 {
		syscall.Close(sync[0])
	}
	if pid < 0 {
		return 0, runCloneError(p, errno)
	}
	job.started(pid)
	sig.attach(pid)
	// Read while the child waits for its release (RunOptions.Namespaces).
	var nsIDs map[string]uint64
	if set.hold {
		nsIDs = namespaceIDs(pid)
	}

	if set.waitMaps {
		if err := runMapIDs(sig.abortCtx, pid, p, cp, set.ids); err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			_, _ = sig.wait(job)
			return sig.stoppedOr(err)
		}
	}
	if set.waitMaps || set.hold {
		if _, err := syscall.Write(sync[1], []byte{1}); err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			_, _ = sig.wait(job)
			return 0, fmt.Errorf("releasing the sandbox: %w", err)
		}
	}

	if p.NAT != nil {
		svc.abort = sig.abortCtx
		if err := svc.releaseNetwork(p, pid, sync[1]); err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			_, _ = sig.wait(job)
			return sig.stoppedOr(err)
		}
	}

	if opts.Started != nil {
		opts.Started(pid, nsIDs)
	}
	rec, got, rerr := runReadReport(report[0])
	svc.setupDone()
	sig.setupDone()
	ws, werr := sig.wait(job)
	if rerr != nil {
		return 0, fmt.Errorf("reading the sandbox's report: %w", rerr)
	}
	if werr != nil {
		return 0, fmt.Errorf("waiting for the sandbox: %w", werr)
	}
	if got {
		r := decodeChildReport(rec)
		if r.exec {
			msg, code := execFailure(r.errno, r.detail)
			if h := runExecLimitHint(p, r.errno); h != "" {
				msg += "\nhint: " + h
			}
			fmt.Fprintln(runStderr(set.stdio[2]), msg)
			return code, nil
		}
		return 0, runSetupError(p, r)
	}
	if note := runLimitDeathNote(p, ws, init); note != "" {
		fmt.Fprintln(runStderr(set.stdio[2]), note)
	}
	if opts.Ended != nil {
		opts.Ended(ws)
	}
	return sig.exitCode(ws), nil
}

// runReadReport reads the child's failure record; got is false on EOF,
// which means the payload was executed (or the child died first).
func runReadReport(fd int) (rec []byte, got bool, err error) {
	buf := make([]byte, childReportSize)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	if n < len(buf) {
		return nil, false, nil
	}
	return buf, true, nil
}

// runSetupError turns the child's report into an error that points at the
// step and the profile line.
func runSetupError(p *plan.Plan, r childReport) *SetupError {
	e := &SetupError{Step: r.step, Errno: r.errno, Msg: r.op, Path: r.detail}
	if r.step >= 0 && r.step < len(p.Steps) {
		st := p.Steps[r.step]
		e.Kind, e.Origin = st.Kind(), st.Origin()
	} else {
		e.Step = -1
		e.Kind = "setup"
		if p.IDs != nil && (r.detail == "/proc/self/uid_map" || r.detail == "/proc/self/gid_map" ||
			r.detail == "/proc/self/setgroups") {
			e.Kind, e.Origin = "id-map", p.IDs.At
		}
	}
	e.Hint = runHint(e.Kind, e.Msg, e.Errno)
	if e.Errno == syscall.EACCES && os.Geteuid() == 0 {
		// A root launch's sandbox is not host root (R1): it opens
		// host paths as the unprivileged id its ids map to.
		if uid, gid, ok := p.HostIDs(); ok && uid != 0 && p.IDs != nil {
			e.Hint = fmt.Sprintf("the sandbox of a root launch is host uid %d and gid %d, not root: that id may not access this path on the host; give it access (a directory it can enter, a file it can read or write), or set identity.host_root = true in the profile",
				uid, gid)
		}
	}
	if e.Hint == "" && p.CloneFlags&syscall.CLONE_NEWUSER != 0 &&
		(e.Errno == syscall.EPERM || e.Errno == syscall.EACCES) {
		e.Hint = runUsernsBlock()
	}
	return e
}

// runStderr is where the launcher speaks when the payload cannot be
// executed: the payload's stderr.
func runStderr(fd int) io.Writer {
	if fd == 2 {
		return os.Stderr
	}
	return runFdWriter(fd)
}

type runFdWriter int

func (w runFdWriter) Write(b []byte) (int, error) { return syscall.Write(int(w), b) }

func runFcntl(fd, cmd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}
