// Package smoketest runs the smoke tests of profiles: `sandbox test`.
// A profile's [test] section names a command that must work in its
// sandbox; this package sets up a scratch project and home for it, runs
// the host-side setup and check, and launches the command in a second
// launcher process that it can stop when the test's timeout passes.
//
// Loading and compiling a profile the way every subcommand does, and
// printing errors the way the launcher prints them, belong to the sandbox
// command; it hands them in through Options.
package smoketest

import (
	"io"

	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// exitLauncher is the status of a launcher or profile failure, the one
// every subcommand of sandbox exits with.
const exitLauncher = 125

// Caller is who runs the tests and where their profiles are found, as for
// every launch.
type Caller struct {
	Env  profile.Env
	Src  profile.Source
	Host hostview.Host
}

// Options are what `sandbox test` takes from the sandbox command.
type Options struct {
	// Caller reads the caller's environment. It is called after the
	// test has moved into its scratch project directory, which is then
	// the working directory a profile sees.
	Caller func() Caller
	// Compile compiles p for command on host as every subcommand does
	// (leniently: what this machine lacks is left out with a warning).
	Compile func(p *profile.Profile, command []string, host hostview.Host) (*plan.Plan, error)
	// EnsureHome makes the persistent home of p, if it has one, as a
	// launch does before it binds it.
	EnsureHome func(p *profile.Profile, pl *plan.Plan, home string) error
	// PrintErr prints err as the launcher prints every error.
	PrintErr func(w io.Writer, err error)
}
