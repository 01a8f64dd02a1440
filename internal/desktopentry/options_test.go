package desktopentry

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
	"sandbox/profiles"
)

// The tests run the desktop code with the options the sandbox command
// hands it, made from the test's environment, with stand-ins for the
// command's own parts: the binary the entries run is the world's
// (useBinary), and a sandbox command line is read by testParseArgs.
// cmd/sandbox's tests check the real parts: its command-line reader on
// the same forms (TestDesktopCommandLine), and that install compiles and
// reports as a launch does (TestInstallAcceptsWhatRunAccepts).

// options are the world's Options, from the environment as it is now.
func (w *desktopWorld) options(stdout, stderr io.Writer) Options {
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	cwd, _ := os.Getwd()
	env := profile.Env{UID: uid, GID: gid, User: "tester", Home: vars["HOME"], Cwd: cwd, Vars: vars}
	return Options{
		Env: env,
		Src: profile.Source{Dirs: profile.DefaultDirs(env), Builtin: profiles.FS},
		Host: hostview.Host{UID: uid, GID: gid, EUID: uint32(os.Geteuid()), User: env.User, Home: env.Home,
			Cwd: cwd, Env: os.Environ()},
		Compile: func(p *profile.Profile, command []string, host hostview.Host) (*plan.Plan, error) {
			host.Lenient = true
			return compile.Compile(p, command, host)
		},
		PrintErr: func(out io.Writer, err error) {
			var errs profile.Errors
			if errors.As(err, &errs) {
				for _, e := range errs {
					fmt.Fprintln(out, e.Error())
				}
				return
			}
			fmt.Fprintln(out, "sandbox: "+err.Error())
		},
		PlanWarnings: func(out io.Writer, ws []plan.Warning, what string) {
			for _, x := range ws {
				if !x.Optional {
					fmt.Fprintf(out, "sandbox: warning: %s: %s (left out)\n", what, x.Error())
				}
			}
		},
		Sandbox: w.cli(),
		Stdout:  stdout,
		Stderr:  stderr,
	}
}

// cli is the sandbox command as the world has it: its binary is w.bin.
func (w *desktopWorld) cli() Sandbox {
	return Sandbox{Executable: func() (string, error) { return w.bin, nil }, ParseArgs: testParseArgs}
}

// testSubcommands are the subcommands testParseArgs knows.
var testSubcommands = map[string]bool{"check": true, "desktop": true, "explain": true, "list": true, "test": true, "which": true}

// testParseArgs reads a sandbox command line as cmd/sandbox's parseArgs
// does, for the forms these tests write: -p, --profile, -v, -q, --name,
// "--", --help, --version and a subcommand.
func testParseArgs(args []string) (CommandLine, error) {
	hasProfile := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if len(args) == i+1 && !hasProfile {
				return CommandLine{}, errors.New("no command given")
			}
			return CommandLine{Command: args[i+1:]}, nil
		case a == "-h" || a == "--help" || a == "--version":
			return CommandLine{NoLaunch: true}, nil
		case a == "-v" || a == "-q":
		case a == "-p" || a == "--profile" || a == "--name":
			if i+1 >= len(args) {
				return CommandLine{}, fmt.Errorf("%s needs a value", a)
			}
			i++
			hasProfile = hasProfile || a != "--name"
		case strings.HasPrefix(a, "--profile="):
			hasProfile = true
		case strings.HasPrefix(a, "-") && a != "-":
			return CommandLine{}, fmt.Errorf("unknown option %q", a)
		case i == 0 && testSubcommands[a]:
			return CommandLine{NoLaunch: true}, nil
		default:
			return CommandLine{Command: args[i:]}, nil
		}
	}
	if !hasProfile {
		return CommandLine{}, errors.New("no command given")
	}
	return CommandLine{}, nil
}

// sandbox runs `sandbox desktop ARGS` in-process with the world's
// options. Its arguments are read here as cmd/sandbox reads them, for
// the forms these tests and audit's fix commands use: install [-p
// PROFILE] [--force] APP..., remove APP..., audit.
func (w *desktopWorld) sandbox(args ...string) (int, string, string) {
	w.t.Helper()
	var out, errb strings.Builder
	if len(args) < 2 || args[0] != "desktop" {
		w.t.Fatalf("not a desktop command: %q", args)
	}
	o := w.options(&out, &errb)
	code := 0
	switch sub, rest := args[1], args[2:]; sub {
	case "install":
		var opts InstallOptions
		for i := 0; i < len(rest); i++ {
			switch a := rest[i]; {
			case a == "-p" && i+1 < len(rest):
				i++
				opts.Profile = rest[i]
			case a == "--force":
				opts.Force = true
			case strings.HasPrefix(a, "-"):
				w.t.Fatalf("an option the tests do not use: %q", args)
			default:
				opts.Apps = append(opts.Apps, a)
			}
		}
		code = Install(o, opts)
	case "remove":
		code = Remove(o, rest)
	case "audit":
		code = Audit(o)
	default:
		w.t.Fatalf("not a desktop command: %q", args)
	}
	return code, out.String(), errb.String()
}
