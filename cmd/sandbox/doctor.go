package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// `sandbox doctor` checks what a sandbox needs on this machine and says,
// for each thing that is missing, what to change. Its exit status answers
// one question: can the minimal profile run here (0) or not (1). Only a
// doctorFinding that stops that launch is a failure; what only some profiles
// need (a network helper, the desktop's sockets, subordinate ids) is a
// warning.

// Finding statuses.
const (
	statusOK   = "ok"
	statusWarn = "warn"
	statusFail = "fail"
)

// doctorFinding is one check's verdict. The JSON shape (doctor --json) is
// documented in sandbox(1): check is a stable snake_case id, status is
// "ok", "warn" or "fail", message is one line, fix is what to do ("" when
// status is "ok").
type doctorFinding struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// doctorReport is the whole answer: OK is false when any doctorFinding failed,
// that is, when the minimal profile cannot run.
type doctorReport struct {
	OK       bool            `json:"ok"`
	Findings []doctorFinding `json:"findings"`
}

func findOK(check, format string, a ...any) doctorFinding {
	return doctorFinding{Check: check, Status: statusOK, Message: fmt.Sprintf(format, a...)}
}

func findWarn(check, fix, format string, a ...any) doctorFinding {
	return doctorFinding{Check: check, Status: statusWarn, Message: fmt.Sprintf(format, a...), Fix: fix}
}

func findFail(check, fix, format string, a ...any) doctorFinding {
	return doctorFinding{Check: check, Status: statusFail, Message: fmt.Sprintf(format, a...), Fix: fix}
}

// diagnose runs every check against h, in the order the text shows them:
// what every launch needs first, then what some profiles need.
func diagnose(h doctorHost) doctorReport {
	var fs []doctorFinding
	fs = append(fs, kernelFindings(h)...)
	fs = append(fs, usernsFindings(h)...)
	fs = append(fs, seccompFinding(h), landlockFinding(h))
	fs = append(fs, subIDFindings(h)...)
	fs = append(fs, helperFindings(h)...)
	fs = append(fs, runtimeDirFinding(h))
	fs = append(fs, sessionFindings(h)...)
	fs = append(fs, searchPathFinding(h))
	r := doctorReport{OK: true, Findings: fs}
	for _, f := range fs {
		if f.Status == statusFail {
			r.OK = false
		}
	}
	return r
}

func cmdDoctor(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	for _, a := range args {
		switch a {
		case "--json":
			asJSON = true
		case probeUsernsArg:
			return probeUsernsMain(stderr)
		case probeMountArg:
			return probeMountMain(stderr)
		default:
			fmt.Fprintf(stderr, "sandbox doctor: unknown argument %q\nUsage: sandbox doctor [--json]\n", a)
			return exitLauncher
		}
	}
	return runDoctor(realDoctorHost(), asJSON, stdout, stderr)
}

// runDoctor diagnoses h, writes the report as text or JSON, and returns
// the exit status: 0 when the minimal profile can run, 1 when it cannot.
func runDoctor(h doctorHost, asJSON bool, stdout, stderr io.Writer) int {
	r := diagnose(h)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "sandbox doctor: %v\n", err)
			return exitLauncher
		}
	} else {
		writeDoctorText(stdout, r)
	}
	if !r.OK {
		return 1
	}
	return 0
}

// writeDoctorText prints one aligned line per doctorFinding, the fix indented
// under each that is not ok, then the verdict.
func writeDoctorText(w io.Writer, r doctorReport) {
	width := 0
	for _, f := range r.Findings {
		width = max(width, len(f.Check))
	}
	indent := strings.Repeat(" ", 6+width+2)
	warns, fails := 0, 0
	for _, f := range r.Findings {
		fmt.Fprintf(w, "%-4s  %-*s  %s\n", f.Status, width, f.Check, f.Message)
		if f.Status != statusOK && f.Fix != "" {
			fmt.Fprintf(w, "%sfix: %s\n", indent, f.Fix)
		}
		switch f.Status {
		case statusWarn:
			warns++
		case statusFail:
			fails++
		}
	}
	switch {
	case fails > 0:
		fmt.Fprintf(w, "\nA sandbox cannot run on this machine: %s failed.\n", doctorPlural(fails, "check"))
	case warns > 0:
		fmt.Fprintf(w, "\nThe minimal profile can run on this machine; %s: only the profiles that need those parts are affected.\n", doctorPlural(warns, "warning"))
	default:
		fmt.Fprintln(w, "\nThe minimal profile can run on this machine, and everything the other profiles use is here.")
	}
}

func doctorPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
