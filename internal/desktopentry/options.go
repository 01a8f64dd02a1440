// Package desktopentry is `sandbox desktop`: it reads desktop entries and
// D-Bus service files exactly as GLib and dbus-daemon read them, writes
// the user's entries that make a menu, a file manager or D-Bus start a
// program with a profile through sandbox (install, remove), and finds
// the applications that can still start unsandboxed (audit).
//
// What belongs to the sandbox command itself (its environment, the
// lenient compile of a profile, how its command line reads, how it prints
// errors and warnings) is handed in through Options.
package desktopentry

import (
	"io"

	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// Options are what `sandbox desktop` takes from the sandbox command.
type Options struct {
	// Env and Src are the caller's environment ($HOME and the XDG
	// variables say where entries live) and where profiles are found.
	Env profile.Env
	Src profile.Source
	// Host is what install compiles a profile for, to check that the
	// entry it writes launches.
	Host hostview.Host
	// Compile compiles p for command on host as every subcommand does
	// (leniently: what this machine lacks is left out with a warning).
	Compile func(p *profile.Profile, command []string, host hostview.Host) (*plan.Plan, error)
	// PrintErr prints err as the launcher prints every error.
	PrintErr func(w io.Writer, err error)
	// PlanWarnings reports what a compile left out of the plan for what
	// ("firefox-esr.desktop"), as a launch reports it.
	PlanWarnings   func(w io.Writer, ws []plan.Warning, what string)
	Sandbox        Sandbox
	Stdout, Stderr io.Writer
}

// Sandbox is what desktop entries need to know of the sandbox command:
// the binary the entries we write run, and how that binary reads its
// command line, so that an Exec is known to run its program through
// sandbox only when sandbox itself would read it so.
type Sandbox struct {
	// Executable is the path of this sandbox binary (os.Executable).
	Executable func() (string, error)
	// ParseArgs reads the arguments that follow the binary on a sandbox
	// command line, as the binary itself reads them.
	ParseArgs func(args []string) (CommandLine, error)
}

// CommandLine is what a sandbox command line asks for.
type CommandLine struct {
	// Command is the program the line runs in a sandbox, with its
	// arguments.
	Command []string
	// NoLaunch is set for a subcommand, --help or --version: the line
	// runs no program in a sandbox.
	NoLaunch bool
}

// InstallOptions are the options of `sandbox desktop install`.
type InstallOptions struct {
	Profile string // the profile to run the applications in; "" chooses by program
	Force   bool   // replace an entry of the user's own, kept aside
	Apps    []string
}

// Install is `sandbox desktop install`: it writes the user's entry, and a
// D-Bus service file where the application can be started over D-Bus,
// that run each application through sandbox. The status is 0, or 125
// when one application could not be installed.
func Install(o Options, opts InstallOptions) int {
	return newCtx(o).install(opts)
}

// Remove is `sandbox desktop remove`: it deletes what install wrote for
// each application and puts back an entry of the user's own that install
// --force kept aside. The status is 0, or 125 when one failed.
func Remove(o Options, apps []string) int {
	return newCtx(o).remove(apps)
}

// Audit is `sandbox desktop audit`: it lists every application that has
// a profile but that the menu or D-Bus would start unsandboxed, with the
// command that fixes it. The status is 1 when it finds one, else 0.
func Audit(o Options) int {
	return newCtx(o).audit()
}
