package smoketest

import (
	"fmt"
	"io"

	"sandbox/launcher"
	"sandbox/profile"
)

// ChildName is the argv[0] under which the sandbox binary runs one
// smoke test's sandbox, re-executed by `sandbox test`:
//
//	sandbox-smoke-child PROFILE -- COMMAND [ARG...]
//
// The launch lives in a process of its own because a launch cannot be
// cancelled from inside the process that waits for it; `sandbox test` can
// signal this process, and kill its sandbox, when the test's timeout
// passes. It is not a subcommand: nobody types it.
const ChildName = "sandbox-smoke-child"

// Child loads and compiles the profile and runs command in it, with
// the standard files it inherited (the pipes `sandbox test` reads).
//
// It differs from `sandbox -p PROFILE -- COMMAND` in one way: the plan is
// compiled leniently. A smoke test runs headless, on CI machines and over
// ssh, so a display, sound server or session bus that this machine lacks
// is left out with a warning instead of failing the launch; the test then
// shows the program works without it, as the browsers' headless tests do.
// Leaving a part out only takes access away.
func Child(args []string, o Options, stderr io.Writer) int {
	if len(args) < 3 || args[1] != "--" {
		fmt.Fprintf(stderr, "%s: usage: %s PROFILE -- COMMAND [ARG...]\n", ChildName, ChildName)
		return exitLauncher
	}
	name, command := args[0], args[2:]
	c := o.Caller()
	smokeChildDirs(&c)
	p, err := profile.Load(name, c.Env, c.Src)
	if err != nil {
		o.PrintErr(stderr, err)
		return exitLauncher
	}
	pl, err := o.Compile(p, command, c.Host)
	if err != nil {
		o.PrintErr(stderr, err)
		return exitLauncher
	}
	for _, w := range pl.Warnings {
		fmt.Fprintf(stderr, "sandbox: warning: %v (left out of this test)\n", w)
	}
	// A persistent home is made in the test's scratch home, like any
	// launch's: the caller's real one is not touched.
	if err := o.EnsureHome(p, pl, c.Host.Home); err != nil {
		o.PrintErr(stderr, err)
		return exitLauncher
	}
	code, err := launcher.Run(pl, launcher.RunOptions{})
	if err != nil {
		o.PrintErr(stderr, err)
		return exitLauncher
	}
	return code
}
