package main

import (
	"fmt"
	"io"
	"sandbox/plan"
)

// cmdCheck validates each profile: the language checks, then a compile
// (which checks host paths and builds the seccomp filter), so that a
// profile that passes check also launches.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "sandbox: check needs at least one profile name or path")
		return exitLauncher
	}
	c := newCaller()
	// A writable bind of the current directory is checked against the
	// profile, not against this directory's files: a missing .git/hooks
	// here is a warning, which the launch itself refuses.
	c.host.Survey = true
	code := 0
	for _, name := range args {
		p, host, done, err := loadForCheck(name, c, stderr)
		var pl *plan.Plan
		if err == nil {
			pl, err = compilePlan(p, []string{"true"}, host)
		}
		done()
		if err != nil {
			printErr(stderr, err)
			code = exitLauncher
			continue
		}
		for _, w := range pl.Warnings {
			// The same rule as a launch's (report.go): a part of the
			// desktop session that is not running is no fault.
			if w.Optional {
				fmt.Fprintf(stderr, "note: %s (not running in this session)\n", w.Error())
				continue
			}
			fmt.Fprintf(stderr, "warning: %s (not on this machine)\n", w.Error())
		}
		// Loosenings this grave are said even when the profile is valid.
		for _, l := range graveLoosenings(p) {
			fmt.Fprintf(stderr, "note: %s: LOOSENED: %s\n", name, l)
		}
		fmt.Fprintf(stdout, "%s: ok\n", name)
		if l := homeLine(p, pl); l != "" {
			fmt.Fprintf(stdout, "  %s\n", l)
		}
		for _, l := range explicitLoosenings(p) {
			fmt.Fprintf(stdout, "  LOOSENED: %s\n", l)
		}
	}
	return code
}
