package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sandbox/internal/desktopentry"
	"sandbox/plan"
)

// The desktop subcommand closes the most common way out of a sandbox: a
// program that has a profile, started from the desktop menu, a file
// manager or D-Bus, which all read the system's desktop entries and start
// the program directly. `install` writes a user entry with the same
// desktop file id, which hides the system one, whose every command line
// goes through sandbox; `audit` finds the programs that can still start
// unsandboxed. The arguments are read here; internal/desktopentry does
// the work.

const desktopUsage = `Usage:
  sandbox desktop install [-p PROFILE] [--force] APP...
  sandbox desktop remove APP...
  sandbox desktop audit

APP is a desktop file id (firefox-esr or firefox-esr.desktop) or the name
of the program an entry runs. install writes $XDG_DATA_HOME/applications/ID
(default ~/.local/share/applications), which hides the system entry, with
every Exec run by sandbox in PROFILE (default: the profile whose programs
list the entry's program), and a D-Bus service file when the application
can be started over D-Bus. --force replaces an entry of your own (kept as
ID.sandbox-orig and put back by remove). remove deletes what install
wrote. audit lists every application that has a profile but would start
unsandboxed, with the command that fixes it; it exits 1 if it finds one.
`

// sandboxExecutable is the binary the written entries run. Tests replace
// it: the test binary is not sandbox.
var sandboxExecutable = os.Executable

func cmdDesktop(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "sandbox: desktop needs install, remove or audit\n"+desktopUsage)
		return exitLauncher
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, desktopUsage)
		return 0
	case "install":
		o, err := parseInstallArgs(rest)
		if err != nil {
			fmt.Fprintf(stderr, "sandbox: desktop install: %v\n", err)
			return exitLauncher
		}
		return desktopentry.Install(desktopOptions(stdout, stderr), o)
	case "remove":
		if len(rest) == 0 {
			fmt.Fprintln(stderr, "sandbox: desktop remove: name at least one application (a desktop file id or a program)")
			return exitLauncher
		}
		return desktopentry.Remove(desktopOptions(stdout, stderr), rest)
	case "audit":
		if len(rest) > 0 {
			fmt.Fprintln(stderr, "sandbox: desktop audit takes no arguments")
			return exitLauncher
		}
		return desktopentry.Audit(desktopOptions(stdout, stderr))
	}
	fmt.Fprintf(stderr, "sandbox: unknown desktop subcommand %q\n%s", sub, desktopUsage)
	return exitLauncher
}

func parseInstallArgs(args []string) (desktopentry.InstallOptions, error) {
	var o desktopentry.InstallOptions
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--force" || a == "-f":
			o.Force = true
		case a == "-p" || a == "--profile":
			if i+1 >= len(args) {
				return o, fmt.Errorf("%s needs a profile name or path", a)
			}
			i++
			o.Profile = args[i]
		case strings.HasPrefix(a, "--profile="):
			o.Profile = strings.TrimPrefix(a, "--profile=")
		case a == "--":
			o.Apps = append(o.Apps, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-"):
			return o, fmt.Errorf("unknown option %q", a)
		default:
			o.Apps = append(o.Apps, a)
		}
	}
	if len(o.Apps) == 0 {
		return o, errors.New("name at least one application (a desktop file id or a program)")
	}
	return o, nil
}

// desktopOptions hands the desktop code what a launch of this command
// uses: the caller's environment, the lenient compile, this binary and
// its command line, and the way errors and warnings are printed.
func desktopOptions(stdout, stderr io.Writer) desktopentry.Options {
	c := newCaller()
	return desktopentry.Options{
		Env:      c.env,
		Src:      c.src,
		Host:     c.host,
		Compile:  compilePlan,
		PrintErr: printErr,
		PlanWarnings: func(w io.Writer, ws []plan.Warning, what string) {
			reporter{w: w, level: normalLevel}.planWarnings(ws, what)
		},
		Sandbox: desktopentry.Sandbox{Executable: sandboxExecutable, ParseArgs: desktopCommandLine},
		Stdout:  stdout,
		Stderr:  stderr,
	}
}

// desktopCommandLine reads a sandbox command line for the desktop code,
// which checks that an entry's Exec runs its program through sandbox.
func desktopCommandLine(args []string) (desktopentry.CommandLine, error) {
	inv, err := parseArgs(args)
	return desktopentry.CommandLine{Command: inv.command, NoLaunch: inv.sub != "" || inv.help || inv.version}, err
}
