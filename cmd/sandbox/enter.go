package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"sandbox/internal/instance"
	"sandbox/launcher"
	"sandbox/plan"
	"sandbox/profile"
)

const enterUsage = "usage: sandbox enter ID|NAME [-- COMMAND [ARG...]]"

// cmdEnter runs a command inside a running sandbox, under the rules its
// payload runs under: the plan is compiled again from the profile and the
// command its record names, and only its process steps are taken.
func cmdEnter(args []string, stdout, stderr io.Writer) int {
	key, command, err := parseEnterArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: enter: %v (%s)\n", err, enterUsage)
		return exitLauncher
	}
	launcher.PrepareSignals()
	r, err := instance.Lookup(instanceDirs(), key)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: enter: %v\n", err)
		if !errors.Is(err, instance.ErrStale) && os.Geteuid() != 0 {
			fmt.Fprintln(stderr, "sandbox: enter: only your own sandboxes are listed; root's and other users' are entered as root")
		}
		return exitLauncher
	}
	// Root's records are root's to use, and a user's own are the
	// user's: the kernel would refuse the namespaces of another's
	// sandbox anyway, this says why.
	if uid := os.Geteuid(); uid != 0 && r.UID != uid {
		fmt.Fprintf(stderr, "sandbox: enter: sandbox %s belongs to uid %d; only its user or root may enter it\n", r.ID, r.UID)
		return exitLauncher
	}
	code, err := enterRecord(r, command, stderr)
	if errors.Is(err, errRecordArgs) {
		fmt.Fprintf(stderr, "sandbox: enter: sandbox %s: %v\n", r.ID, err)
		return exitLauncher
	}
	if err != nil {
		if errors.Is(err, launcher.ErrGone) {
			err = fmt.Errorf("sandbox %s has ended under enter: %w", r.ID, err)
		}
		printErr(stderr, err)
		return exitLauncher
	}
	return code
}

// errRecordArgs is a running sandbox's record whose command line does not
// parse again.
var errRecordArgs = errors.New("its record's command line cannot be read back")

// enterRecord runs command in the running sandbox r under the rules it was
// started with: its record's command line, flags included, compiled for
// the directory it was started from. A compile failure is printed and
// given as its exit code with a nil error.
func enterRecord(r instance.Record, command []string, stderr io.Writer) (int, error) {
	inv, err := parseArgs(r.Args)
	if err != nil || len(inv.command) == 0 && inv.profile == "" {
		return exitLauncher, fmt.Errorf("%w: %v", errRecordArgs, err)
	}
	pl, code := enterCompile(inv, launchCwd(r), stderr)
	if pl == nil {
		return code, nil
	}
	return launcher.Enter(pl, launcher.EnterTarget{PID: r.PID, Start: r.Start}, command, launcher.RunOptions{})
}

// enterCompile loads the sandbox's profile and compiles it for its
// command, as the launch did: for cwd, the directory the launch was
// started from, when it is known.
func enterCompile(inv invocation, cwd string, stderr io.Writer) (*plan.Plan, int) {
	c := newCaller()
	if cwd != "" {
		c.env.Cwd, c.host.Cwd = cwd, cwd
	}
	name, command := inv.profile, inv.command
	if name == "" {
		choice, err := profile.Resolve(filepath.Base(command[0]), c.env, c.src)
		if err != nil {
			fmt.Fprintf(stderr, "sandbox: enter: %v\n", err)
			return nil, exitLauncher
		}
		name = choice.Name
	}
	// The record's loosening flags are part of the rules it runs under.
	p, err := profile.LoadWith(name, c.env, c.src, commandLine(inv.flags, c.env.Cwd))
	if err != nil {
		printLoadErr(stderr, name, err)
		return nil, exitLauncher
	}
	if len(command) == 0 && len(p.Programs) > 0 {
		command = []string{p.Programs[0]}
	}
	if len(command) == 0 {
		fmt.Fprintf(stderr, "sandbox: enter: profile %s declares no programs any more\n", name)
		return nil, exitLauncher
	}
	pl, err := compilePlan(p, command, c.host)
	if err != nil {
		printErr(stderr, err)
		return nil, exitLauncher
	}
	return pl, 0
}

// parseEnterArgs reads ID|NAME and the command after "--" (nil: the
// default shell).
func parseEnterArgs(args []string) (string, []string, error) {
	var key string
	for i, a := range args {
		switch {
		case a == "--":
			if key == "" {
				return "", nil, errors.New("which sandbox? give its id or name before --")
			}
			if len(args[i+1:]) == 0 || args[i+1] == "" {
				return "", nil, errors.New("no command after --")
			}
			return key, args[i+1:], nil
		case len(a) > 1 && a[0] == '-':
			return "", nil, fmt.Errorf("unknown option %q", a)
		case key != "":
			return "", nil, fmt.Errorf("put the command after -- (got %q after %q)", a, key)
		default:
			key = a
		}
	}
	if key == "" {
		return "", nil, errors.New("which sandbox? give its id or name")
	}
	return key, nil, nil
}
