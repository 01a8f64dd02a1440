package main

import (
	"fmt"
	"io"
	"sandbox/plan"
)

// verbosity is how much of its own talk the launcher prints: -q, the
// default, or -v. Errors are printed whatever it is: a launch that fails
// always says why.
type verbosity int

const (
	quietLevel verbosity = iota - 1
	normalLevel
	verboseLevel
)

// reporter is the one place that decides which of the launcher's own
// messages reach the user's terminal, so that -q and -v mean the same for
// every warning and notice a launch prints, wherever it comes from.
type reporter struct {
	w     io.Writer
	level verbosity
}

// reporter is where the launch's warnings and notices go, at the
// verbosity -q or -v asked for; -q wins, whatever the order.
func (inv invocation) reporter(stderr io.Writer) reporter {
	switch {
	case inv.quiet:
		return reporter{w: stderr, level: quietLevel}
	case inv.verbose:
		return reporter{w: stderr, level: verboseLevel}
	}
	return reporter{w: stderr, level: normalLevel}
}

// quiet reports whether -q silences notices, for those the launcher
// package prints itself (launcher.RunOptions.Quiet).
func (r reporter) quiet() bool { return r.level == quietLevel }

// warnf prints a problem the user should act on; -q silences it.
func (r reporter) warnf(format string, args ...any) {
	if r.level > quietLevel {
		fmt.Fprintf(r.w, "sandbox: warning: "+format+"\n", args...)
	}
}

// noticef prints something the user should know before the payload runs
// (nothing is wrong); -q silences it.
func (r reporter) noticef(format string, args ...any) {
	if r.level > quietLevel {
		fmt.Fprintf(r.w, "sandbox: "+format+"\n", args...)
	}
}

// notice prints a notice line like noticef and returns exactly what it
// wrote, "" under -q: a launch from the plan cache says it again.
func (r reporter) notice(format string, args ...any) string {
	if r.level <= quietLevel {
		return ""
	}
	text := fmt.Sprintf("sandbox: "+format+"\n", args...)
	io.WriteString(r.w, text)
	return text
}

// infof prints what only -v asks for.
func (r reporter) infof(format string, args ...any) {
	if r.level >= verboseLevel {
		fmt.Fprintf(r.w, "sandbox: "+format+"\n", args...)
	}
}

// planWarnings reports what a lenient compile left out of the plan. A
// part of the desktop session that is not running at all (a headless or
// command-line run of a desktop profile) is what the user expects, so it
// is only information; anything else this machine lacks is a warning.
// `sandbox explain` always lists both. what, when not empty, says what
// the plan is for ("firefox-esr.desktop").
func (r reporter) planWarnings(ws []plan.Warning, what string) {
	if what != "" {
		what += ": "
	}
	for _, w := range ws {
		if w.Optional {
			r.infof("note: %s%s (left out)", what, w.Error())
			continue
		}
		r.warnf("%s%s (left out)", what, w.Error())
	}
}
