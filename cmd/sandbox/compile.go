package main

import (
	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// compile compiles p for command on host the way every subcommand does,
// so that run, enter, explain, check, export, diff, test and desktop
// install accept exactly the same profiles: leniently. A part of the
// desktop session this machine lacks (no display, no sound server, no
// bus, a helper program) is left out of the plan with a warning rather
// than refused: the sandbox then has less, never more, and a headless run
// of a desktop profile still works.
func compilePlan(p *profile.Profile, command []string, host hostview.Host) (*plan.Plan, error) {
	host.Lenient = true
	return compile.Compile(p, command, host)
}
