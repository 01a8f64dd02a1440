package launcher

import (
	"fmt"
	"io"
	"os"
	"sandbox/plan"
	"syscall"
)

// startInNamespace runs a helper the way the sandbox itself runs: p's
// steps in new namespaces, by the child code (child.c), then p's Exec. It
// returns once the helper was executed, or with the step that failed;
// with a helper, the error is for helper.failure.
//
//	launcher                               helper (C, then the program)
//	--------                               ----------------------------
//	pipe2(report), pipe2(sync), pipe(output)
//	sbx_spawn --------------------------->  [maps] steps ... exec
//	read(report): EOF -> running             failure: write(report), _exit
//	wait4(pid) in a goroutine
//
// Its output goes to the helper's bounded buffer, for error messages.
func (s *services) startInNamespace(name string, p *plan.Plan) (*helper, error) {
	set := childSetup{ids: runIDModeFor(p)}
	if set.ids != idsSelf && set.ids != idsNone {
		return nil, fmt.Errorf("%s: its namespace needs id maps the launcher would write", name)
	}
	set.lastCap, _, _ = childHost()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	defer devnull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("starting %s: output pipe: %w", name, err)
	}
	defer outW.Close()
	set.stdio = [3]int{int(devnull.Fd()), int(outW.Fd()), int(outW.Fd())}
	cp, err := newChildPlan(p, set)
	if err != nil {
		outR.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	defer cp.free()
	var report, sync [2]int
	if err := syscall.Pipe2(report[:], syscall.O_CLOEXEC); err != nil {
		outR.Close()
		return nil, fmt.Errorf("starting %s: report pipe: %w", name, err)
	}
	defer syscall.Close(report[0])
	// The sync pipe only tells the child, arming its death signal,
	// whether the launcher is still there.
	if err := syscall.Pipe2(sync[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(report[1])
		outR.Close()
		return nil, fmt.Errorf("starting %s: sync pipe: %w", name, err)
	}
	defer syscall.Close(sync[1])
	cp.setPipes(report, sync)
	pid, errno := cp.spawn()
	syscall.Close(report[1])
	syscall.Close(sync[0])
	if pid < 0 {
		outR.Close()
		hint := ""
		if h := runCloneError(p, errno).Hint; h != "" {
			hint = " (" + h + ")"
		}
		return nil, fmt.Errorf("starting %s: cannot create its namespaces%s: %w", name, hint, errno)
	}
	h := &helper{name: name, pid: pid, output: &boundedBuffer{max: maxHelperOutput}, waited: make(chan struct{})}
	s.helpers = append(s.helpers, h)
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(h.output, outR)
		outR.Close()
		close(copied)
	}()
	go func() {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		for err == syscall.EINTR {
			_, err = syscall.Wait4(pid, &ws, 0, nil)
		}
		switch {
		case err != nil:
			h.err = err
		case ws.Signaled():
			h.err = fmt.Errorf("killed by signal %d", ws.Signal())
		case ws.ExitStatus() != 0:
			h.err = fmt.Errorf("exit status %d", ws.ExitStatus())
		}
		// Its last words, for failure, before it counts as ended.
		<-copied
		close(h.waited)
	}()
	rec, got, err := runReadReport(report[0])
	if err != nil {
		return h, fmt.Errorf("(reading its setup report: %w)", err)
	}
	if got {
		r := decodeChildReport(rec)
		e := runSetupError(p, r)
		msg := e.Error()
		if r.exec {
			msg = "exec " + r.detail + ": " + r.errno.Error()
		}
		return h, fmt.Errorf("could not be started in its namespace: %s", msg)
	}
	return h, nil
}
