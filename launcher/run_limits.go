package launcher

import (
	"fmt"
	"sandbox/plan"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A payload that cannot start, or dies at once, because of its own
// resource limits is reported with the profile lines that set them (L10).
// The limits apply to the payload alone, after every setup step, so
// these are the only failures they can cause.

// runLimitSignals are the limits that can cause a payload's death by sig:
// a program too large for limits.as gets SIGSEGV from exec itself, past
// the point where exec could still return an error.
func runLimitSignals(sig syscall.Signal) []string {
	switch sig {
	case syscall.SIGSEGV, syscall.SIGBUS:
		return []string{"as", "data", "stack"}
	case syscall.SIGXCPU:
		return []string{"cpu"}
	case syscall.SIGXFSZ:
		return []string{"fsize"}
	}
	return nil
}

// runLimitKillers are the signals runLimitSignals names limits for.
var runLimitKillers = [...]syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGXCPU, syscall.SIGXFSZ}

// runLimitLines describes the plan's limits among names, with the lines
// that set them: "limits.as = 64.0 KiB (p.toml:4:1)"; "" when it sets none
// of them.
func runLimitLines(p *plan.Plan, names []string) string {
	var out []string
	for _, st := range p.Steps {
		if l, ok := st.(plan.Rlimit); ok && slices.Contains(names, l.Name) {
			out = append(out, fmt.Sprintf("limits.%s = %s (%s:%d:%d)", l.Name, plan.LimitString(l.Name, l.Soft), l.At.File, l.At.Line, l.At.Col))
		}
	}
	return strings.Join(out, ", ")
}

// runExecLimitHint names the limits that can explain exec failing with
// errno, or "".
func runExecLimitHint(p *plan.Plan, errno syscall.Errno) string {
	if lines := runLimitLines(p, execLimits(errno)); lines != "" {
		return "the payload's resource limits may be too small to start it: " + lines + "; raise them in [limits]"
	}
	return ""
}

// runLimitDeathNote names the limits that can explain a payload killed by
// the signal in ws (its own status, or its init's 128+n), or "".
func runLimitDeathNote(p *plan.Plan, ws syscall.WaitStatus, init bool) string {
	var sig syscall.Signal
	switch {
	case ws.Signaled():
		sig = ws.Signal()
	case init && ws.Exited() && ws.ExitStatus() > 128:
		sig = syscall.Signal(ws.ExitStatus() - 128)
	default:
		return ""
	}
	if lines := runLimitLines(p, runLimitSignals(sig)); lines != "" {
		return fmt.Sprintf("sandbox: the payload was killed by %s (%s); its resource limits may be too small for it: %s; raise them in [limits]", unix.SignalName(sig), sig, lines)
	}
	return ""
}

// planLimitsExplained says whether the plan sets a limit whose signal
// only the ordinary path reports (runLimitDeathNote): the plan cache's
// fast path exits with the payload's status and says nothing.
func planLimitsExplained(p *plan.Plan) bool {
	for _, st := range p.Steps {
		if l, ok := st.(plan.Rlimit); ok {
			for _, sig := range runLimitKillers {
				if slices.Contains(runLimitSignals(sig), l.Name) {
					return true
				}
			}
		}
	}
	return false
}
