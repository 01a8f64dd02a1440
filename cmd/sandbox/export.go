package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sandbox/export"
	"sandbox/plan"
	"sandbox/profile"
)

const exportUsage = `usage: sandbox export oci DIR PROFILE [--allow-gaps] [-- COMMAND...]
       sandbox export bwrap PROFILE [-0] [-o DIR] [--allow-gaps] [-- COMMAND...]
       sandbox export systemd PROFILE [--allow-gaps]
`

// exportArgs is a parsed export command line.
type exportArgs struct {
	format, dir, name string
	command           []string
	allowGaps, nul    bool
}

func parseExportArgs(args []string) (exportArgs, error) {
	var e exportArgs
	if len(args) == 0 {
		return e, fmt.Errorf("export needs a format: oci, bwrap or systemd")
	}
	e.format = args[0]
	var pos []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			e.command = args[i+1:]
			i = len(args)
		case a == "--allow-gaps":
			e.allowGaps = true
		case a == "-0" && e.format == "bwrap":
			e.nul = true
		case (a == "-o" || a == "--dir") && e.format == "bwrap":
			if i+1 >= len(args) {
				return e, fmt.Errorf("%s needs a directory", a)
			}
			i++
			e.dir = args[i]
		case strings.HasPrefix(a, "-"):
			return e, fmt.Errorf("export %s: unknown option %q", e.format, a)
		default:
			pos = append(pos, a)
		}
	}
	want := 1
	switch e.format {
	case "oci":
		want = 2
	case "bwrap", "systemd":
	default:
		return e, fmt.Errorf("export: unknown format %q (oci, bwrap or systemd)", e.format)
	}
	if len(pos) != want {
		return e, fmt.Errorf("export %s: wrong number of arguments", e.format)
	}
	if e.format == "oci" {
		e.dir, pos = pos[0], pos[1:]
	}
	e.name = pos[0]
	if e.format == "systemd" && len(e.command) > 0 {
		return e, fmt.Errorf("export systemd: the command belongs in the unit's ExecStart=, not after --")
	}
	if e.dir == "" {
		e.dir = "."
	}
	return e, nil
}

// cmdExport writes a profile's compiled plan for another engine.
func cmdExport(args []string, stdout, stderr io.Writer) int {
	e, err := parseExportArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n%s", err, exportUsage)
		return exitLauncher
	}
	pl, err := exportPlan(e.name, e.command)
	if err != nil {
		printLoadErr(stderr, e.name, err)
		return exitLauncher
	}
	var (
		gaps export.Gaps
		emit func() error
	)
	switch e.format {
	case "oci":
		b, err := export.OCI(pl)
		if err != nil {
			printErr(stderr, err)
			return exitLauncher
		}
		gaps, emit = b.Gaps, func() error { return export.WriteOCI(e.dir, b) }
	case "bwrap":
		dir, err := filepath.Abs(e.dir)
		if err != nil {
			printErr(stderr, err)
			return exitLauncher
		}
		b, err := export.BwrapOf(pl, os.Getuid(), dir)
		if err != nil {
			printErr(stderr, err)
			return exitLauncher
		}
		gaps, emit = b.Gaps, func() error {
			if err := b.WriteFiles(dir); err != nil {
				return err
			}
			if e.nul {
				for _, a := range b.Argv() {
					fmt.Fprintf(stdout, "%s\x00", a)
				}
				return nil
			}
			line := export.ShellQuote(b.Argv())
			if b.Seccomp != nil {
				line += fmt.Sprintf(" %d<%s", export.BwrapSeccompFD, export.ShellQuote([]string{filepath.Join(dir, export.BwrapSeccompFile)}))
			}
			fmt.Fprintln(stdout, line)
			return nil
		}
	case "systemd":
		text, g, err := export.Systemd(pl)
		if err != nil {
			printErr(stderr, err)
			return exitLauncher
		}
		gaps, emit = g, func() error { _, err := io.WriteString(stdout, text); return err }
	}
	gaps.Print(stderr)
	if w := gaps.Weakening(); len(w) > 0 && !e.allowGaps {
		fmt.Fprintf(stderr, "sandbox: export %s: %d gap(s) weaken isolation; nothing written (--allow-gaps writes it anyway)\n", e.format, len(w))
		return exitLauncher
	}
	if err := emit(); err != nil {
		printErr(stderr, err)
		return exitLauncher
	}
	return 0
}

// exportPlan compiles a profile for export the way a launch would, for
// this caller: a root caller's sandbox maps to the same unprivileged host
// id, a rootless caller's to its own.
func exportPlan(name string, command []string) (*plan.Plan, error) {
	c := newCaller()
	p, err := profile.Load(name, c.env, c.src)
	if err != nil {
		return nil, err
	}
	if len(command) == 0 {
		command = []string{"/bin/sh"}
		if len(p.Programs) > 0 {
			command = []string{p.Programs[0]}
		}
	}
	return compilePlan(p, command, c.host)
}
