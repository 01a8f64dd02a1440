// The launcher mostly waits: a GOMAXPROCS taken from a cgroup's CPU quota
// buys it nothing, and finding that quota (and watching it change) reads
// /proc/self/mountinfo and cgroup files at each start.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command sandbox runs a program inside the isolated world a TOML profile
// declares.
//
//	sandbox [-p PROFILE] [--] COMMAND [ARG...]
//	sandbox check PROFILE...
//	sandbox explain PROFILE [--json]
//	sandbox list
//	sandbox which PROGRAM [--json]
//	sandbox export oci|bwrap|systemd ...
//	sandbox diff A B [--json]
//	sandbox ps [--json]
//	sandbox enter ID|NAME [-- COMMAND [ARG...]]
//	sandbox stop ID|NAME [--timeout SECONDS]
//	sandbox desktop install|remove|audit
//	sandbox doctor [--json]
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"sandbox/profile"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

// Exit codes. A payload's own code passes through unchanged; these are the
// launcher's own.
const (
	exitLauncher   = 125 // the launcher or the profile failed
	exitCannotExec = 126
	exitNotFound   = 127
)

const usage = `Usage:
  sandbox [-p PROFILE] [-v|-q] [--name NAME] [--status-fd N] [--] COMMAND [ARG...]
                                               run COMMAND in the sandbox PROFILE declares
                                               (-v: also say what a missing display or sound
                                               server left out, and report each connection of
                                               a filtered network; -q: no warnings or notices)
                                               [--bind SRC[:DEST]] [--ro-bind SRC[:DEST]]
                                               [--net none|host|nat|filtered] [--env NAME[=VALUE]]
                                               change the profile for this run (shown by explain)
  sandbox ps [--json]                          list running sandboxes
  sandbox enter ID|NAME [-- COMMAND [ARG...]]  run COMMAND (default: a shell) in a running sandbox
  sandbox stop ID|NAME [--timeout SECONDS]     stop a running sandbox
  sandbox check PROFILE...                     validate profiles (exit 0, or 125 with the errors)
  sandbox explain PROFILE [--json|--score]     show the effective profile and the launch plan
  sandbox list [--score]                       list installed profiles
  sandbox which PROGRAM [--json]               say which profile 'sandbox PROGRAM' runs, and why
  sandbox export oci DIR PROFILE [-- COMMAND...]
                                               write an OCI runtime bundle (runc, crun)
  sandbox export bwrap PROFILE [-0] [-o DIR] [-- COMMAND...]
                                               print the bubblewrap command line
  sandbox export systemd PROFILE               print a systemd drop-in
  sandbox diff A B [--json]                    compare two compiled sandboxes (exit 1: B loosens A)
  sandbox test PROFILE...                      run each profile's smoke test ([test] section)
  sandbox desktop install [-p PROFILE] [--force] APP...
                                               make the menu entry of APP start it sandboxed
  sandbox desktop remove APP...                undo desktop install
  sandbox desktop audit                        list applications the menu or D-Bus starts unsandboxed
  sandbox doctor [--json]                      check what a sandbox needs on this machine, with fixes
                                               (exit 0: the minimal profile can run here; 1: it cannot)
  sandbox --help | --version

Options of a run (before COMMAND):
  -p, --profile PROFILE, --profile=PROFILE     the profile to run COMMAND in
  -v, --verbose                                report each connection of a filtered network
  --name NAME                                  name the sandbox, for ps, enter and stop
  --status-fd N                                write the sandbox's status to descriptor N
  --                                           end of the options: COMMAND follows

PROFILE is a name (looked up in $XDG_CONFIG_HOME/sandbox/profiles,
/etc/sandbox/profiles, /usr/local/share/sandbox/profiles,
/usr/share/sandbox/profiles, then the built-in profiles) or a path (it
contains "/" or ends in ".toml").
Without -p, the profile whose "programs" lists COMMAND is used; when several
do, the one found earliest on that search path wins, and two in one
directory are an error ('sandbox which COMMAND' shows the choice).
Everything after COMMAND is passed to it verbatim; a program whose name is a
subcommand runs after "--".

Exit status: the command's own; 128+N if it was killed by signal N; 127 if
it was not found; 126 if it could not be executed; 125 if the launcher or
the profile failed.
`

func main() {
	smokeChild()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// subcommand returns the subcommand called name, or nil. Subcommands are
// recognised only as the first argument and only without -p; `sandbox --
// check` runs a program called check. A switch rather than a map: a map
// would be built at every start, and one that names cmdPs would be part
// of an initialisation cycle (ps reads arguments back with parseArgs).
func subcommand(name string) func(args []string, stdout, stderr io.Writer) int {
	switch name {
	case "check":
		return cmdCheck
	case "diff":
		return cmdDiff
	case "doctor":
		return cmdDoctor
	case "enter":
		return cmdEnter
	case "explain":
		return cmdExplain
	case "export":
		return cmdExport
	case "list":
		return cmdList
	case "ps":
		return cmdPs
	case "stop":
		return cmdStop
	case "test":
		return cmdTest
	case "desktop":
		return cmdDesktop
	case "which":
		return cmdWhich
	case "help":
		return cmdHelp
	case "version":
		return cmdVersion
	}
	return nil
}

func cmdHelp(_ []string, stdout, _ io.Writer) int {
	fmt.Fprint(stdout, usage)
	return 0
}

func cmdVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, "sandbox", version)
	return 0
}

func run(args []string, stdout, stderr io.Writer) int {
	inv, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n%s", err, "Try 'sandbox --help'.\n")
		return exitLauncher
	}
	switch {
	case inv.help:
		return cmdHelp(nil, stdout, stderr)
	case inv.version:
		return cmdVersion(nil, stdout, stderr)
	case inv.sub != "":
		return subcommand(inv.sub)(inv.rest, stdout, stderr)
	}
	return cmdRun(inv, args, stderr)
}

// invocation is a parsed command line.
type invocation struct {
	profile       string
	command       []string
	sub           string
	rest          []string
	help, version bool
	// name and statusFD are --name and --status-fd (-1 for none).
	name     string
	statusFD int
	hasFD    bool
	verbose  bool
	// quiet is -q: no warnings or notices of the launcher (report.go).
	quiet bool
	// flags are the loosening flags, a last profile layer (flags.go).
	flags []profile.Flag
}

// parseArgs reads options up to the command. Everything from the command on
// is kept verbatim: it is never parsed as options and never given to a
// shell (checklist B12).
func parseArgs(args []string) (invocation, error) {
	var inv invocation
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			inv.command = args[i+1:]
			return inv, inv.needCommand()
		case a == "-h" || a == "--help":
			inv.help = true
			return inv, nil
		case a == "--version":
			inv.version = true
			return inv, nil
		case a == "-v" || a == "--verbose":
			inv.verbose = true
		case a == "-q" || a == "--quiet":
			inv.quiet = true // wins over -v (reporter)
		case a == "-p" || a == "--profile":
			if i+1 >= len(args) {
				return inv, fmt.Errorf("%s needs a profile name or path", a)
			}
			i++
			inv.profile = args[i]
		case strings.HasPrefix(a, "--profile="):
			inv.profile = strings.TrimPrefix(a, "--profile=")
		case a == "--name" || a == "--status-fd":
			if i+1 >= len(args) {
				return inv, fmt.Errorf("%s needs a value", a)
			}
			i++
			if err := inv.setInstanceOption(a, args[i]); err != nil {
				return inv, err
			}
		case strings.HasPrefix(a, "--name=") || strings.HasPrefix(a, "--status-fd="):
			k, v, _ := strings.Cut(a, "=")
			if err := inv.setInstanceOption(k, v); err != nil {
				return inv, err
			}
		// The loosening flags (flags.go): --bind, --ro-bind, --net, --env.
		case profile.IsFlag(a):
			if i+1 >= len(args) {
				return inv, fmt.Errorf("%s needs a value (%s)", a, flagUsage(a))
			}
			i++
			inv.flags = append(inv.flags, profile.Flag{Opt: a, Value: args[i]})
		case isFlagAssign(a):
			k, v, _ := strings.Cut(a, "=")
			inv.flags = append(inv.flags, profile.Flag{Opt: k, Value: v})
		case strings.HasPrefix(a, "-") && a != "-":
			return inv, fmt.Errorf("unknown option %q (to run a command that starts with \"-\", put it after \"--\")", a)
		default:
			if subcommand(a) != nil && inv.profile == "" && i == 0 {
				inv.sub, inv.rest = a, args[i+1:]
				return inv, nil
			}
			inv.command = args[i:]
			return inv, nil
		}
	}
	return inv, inv.needCommand()
}

func (inv invocation) needCommand() error {
	if len(inv.command) == 0 && inv.profile == "" {
		return fmt.Errorf("no command given")
	}
	if inv.profile == "" && len(inv.command) > 0 && inv.command[0] == "" {
		return fmt.Errorf("empty command")
	}
	return nil
}
