package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sandbox/hostview"
	"sandbox/profile"
)

// printLoadErr prints why profile name did not load. A problem that the
// caller's situation caused (the directory sandbox was started from, for a
// profile that binds ${CWD}) inside a built-in profile becomes one line
// that says what the user can change: pointing at a line of a file they
// cannot edit would not help them. In a file of their own the usual
// file:line:col errors stay, since they can change either.
func printLoadErr(w io.Writer, name string, err error) {
	var errs profile.Errors
	if !errors.As(err, &errs) {
		printErr(w, err)
		return
	}
	situation := ""
	var rest profile.Errors
	for _, e := range errs {
		if e.Situation != "" && strings.HasPrefix(e.File, "builtin:") {
			if situation == "" {
				situation = e.Situation
			}
			continue
		}
		rest = append(rest, e)
	}
	if situation != "" {
		fmt.Fprintln(w, situationLine(name, situation))
	}
	if len(rest) > 0 {
		printErr(w, rest)
	}
}

// situationLine is the one line for a profile that works on the directory
// it is started from.
func situationLine(name, situation string) string {
	return fmt.Sprintf("sandbox: profile %s works on the directory you start it from, and %s: "+
		"cd to a project directory (such as ~/src/project) and run it there, "+
		"or pass -p with a profile that does not bind the current directory (such as -p minimal)", name, situation)
}

// situationOnly returns the caller's situation when it alone stops err: every
// problem is one the directory sandbox was started from caused.
func situationOnly(err error) string {
	var errs profile.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		return ""
	}
	for _, e := range errs {
		if e.Situation == "" {
			return ""
		}
	}
	return errs[0].Situation
}

// loadForCheck loads a profile for `sandbox check` (and for list --score
// and diff), which judge the profile, not the directory they happen to be
// run from: when only that directory stops a profile that binds ${CWD},
// the profile is loaded as if started from an empty project directory,
// and check says so in a warning on stderr (nil: nothing is said).
func loadForCheck(name string, c caller, stderr io.Writer) (*profile.Profile, hostview.Host, func(), error) {
	p, err := profile.Load(name, c.env, c.src)
	situation := situationOnly(err)
	if situation == "" {
		return p, c.host, func() {}, err
	}
	dir, derr := os.MkdirTemp("", "sandbox-check-project-")
	if derr != nil {
		return p, c.host, func() {}, err
	}
	if stderr != nil {
		fmt.Fprintf(stderr, "warning: %s: it works on the directory it is started from, and %s: a launch from here refuses; checked as if started from a project directory\n", name, situation)
	}
	env, host := c.env, c.host
	env.Cwd, host.Cwd = dir, dir
	p, err = profile.Load(name, env, c.src)
	return p, host, func() { os.Remove(dir) }, err
}
