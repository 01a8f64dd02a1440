package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"sandbox/launcher"
	"sandbox/plan"
	"sandbox/profile"
)

// cmdRun loads the profile, compiles it for command and runs it.
// args is the whole command line after the program's name, which keys the
// plan cache.
func cmdRun(inv invocation, args []string, stderr io.Writer) int {
	name, command := inv.profile, inv.command
	rep := inv.reporter(stderr)
	verbose := inv.verbose && !rep.quiet()
	// Catching the signals Run forwards takes the Go runtime a few
	// hundred microseconds of thread handoffs: start it now, so that it
	// overlaps loading and compiling the profile.
	launcher.PrepareSignals()
	c := newCaller()
	if name == "" {
		choice, err := profile.Resolve(filepath.Base(command[0]), c.env, c.src)
		if err != nil {
			fmt.Fprintf(stderr, "sandbox: %v\n", err)
			return exitLauncher
		}
		name = choice.Name
	}
	cl := commandLine(inv.flags, c.env.Cwd)
	p, err := profile.LoadWith(name, c.env, c.src, cl)
	if err != nil {
		printLoadErr(stderr, name, err)
		return exitLauncher
	}
	if len(command) == 0 {
		if len(p.Programs) == 0 {
			fmt.Fprintf(stderr, "sandbox: no command given and profile %s declares no programs; add the command after the profile\n", name)
			return exitLauncher
		}
		command = []string{p.Programs[0]}
	}
	if p.Filesystem.PersistentHome {
		if r, ok := runningWithHome(p.Filesystem.HomeDir, c); ok {
			return enterRunning(r, p.Filesystem.HomeDir, command, stderr)
		}
	}
	pl, err := compilePlan(p, command, c.host)
	if err != nil {
		printLoadErr(stderr, name, cl.Rewrite(err))
		return exitLauncher
	}
	rep.planWarnings(pl.Warnings, "")
	notice := cwdNotice(p, pl, c.host.Cwd)
	said := printCwdNotice(rep, notice)
	for _, line := range argNotices(p, pl, command, c.inputs) {
		said += rep.notice("%s", line)
	}
	if err := ensureHome(p, pl, c.host.Home); err != nil {
		printErr(stderr, err)
		return exitLauncher
	}
	// pass_fds name the caller's descriptors; by now this process
	// has opened some of its own under numbers the caller left free.
	if err := launcher.CheckInheritedFDs(pl); err != nil {
		printErr(stderr, err)
		return exitLauncher
	}
	inst, err := newRunInstance(inv, c.environ)
	if err != nil {
		printErr(stderr, err)
		return exitLauncher
	}
	defer inst.end()
	// Storing the plan for the next launch overlaps this one's setup;
	// it is finished before the launcher exits. A launch with --name or
	// --status-fd is never cached: the fast path knows neither. What
	// this launch said before it ran (the working-directory notice) is
	// stored with the plan and said by each cached launch.
	stored := make(chan struct{})
	go func() {
		defer close(stored)
		switch {
		case inv.name != "" || inv.hasFD:
		default:
			storePlan(pl, c, args, said, stderr)
		}
	}()
	code, err := launcher.Run(pl, launcher.RunOptions{
		Verbose: verbose,
		Quiet:   rep.quiet(),
		Egress:  inst.egress,
		Started: func(pid int, ns map[string]uint64) { inst.started(pid, ns, args, rep) },
		// Only the status stream shows them.
		Namespaces: inv.hasFD,
		Ended:      inst.ended,
	})
	<-stored
	inst.finish(code, err)
	if err != nil {
		printErr(stderr, err)
		return exitLauncher
	}
	return code
}

// storePlan caches the plan for the next launch with these arguments whose
// environment agrees in every variable the plan depends on (c.inputs),
// which then starts before the Go runtime does (launcher/fast.c). The cache is an optimisation: a failure to store
// is only reported in verbose mode.
//
// The cache is keyed by the process's own arguments, which the fast path
// sees; a run with other arguments (a test calling run) stores nothing.
func storePlan(pl *plan.Plan, c caller, args []string, said string, stderr io.Writer) {
	if !slices.Equal(args, os.Args[1:]) {
		return
	}
	env := c.environ
	on, verbose := launcher.PlanCacheMode(env)
	if !on {
		return
	}
	stored, why, err := launcher.StorePlan(pl, c.inputs, args, env, c.host.Cwd, said)
	if !verbose {
		return
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "sandbox: plan cache: not stored: %v\n", err)
	case !stored:
		fmt.Fprintf(stderr, "sandbox: plan cache: not stored (%s)\n", why)
	default:
		fmt.Fprintln(stderr, "sandbox: plan cache: stored")
	}
}

// printErr prints one error per line, each prefixed so it is clear which
// program speaks. Profile errors already carry file:line:col.
func printErr(w io.Writer, err error) {
	var errs profile.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	// No error says who speaks; this is the one place that does.
	fmt.Fprintln(w, "sandbox: "+err.Error())
}
