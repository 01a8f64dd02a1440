package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
	"sandbox/review"
)

const diffUsage = "usage: sandbox diff A B [--json] [-- COMMAND...]\n"

// cmdDiff compares two profiles' compiled sandboxes. Exit status 1 means B
// loosens A, so that a distribution can run it on every profile change.
func cmdDiff(args []string, stdout, stderr io.Writer) int {
	var names, command []string
	asJSON := false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--json":
			asJSON = true
		case a == "--":
			command = args[i+1:]
			i = len(args)
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(stderr, "sandbox: diff: unknown option %q\n%s", a, diffUsage)
			return exitLauncher
		default:
			names = append(names, a)
		}
	}
	if len(names) != 2 {
		fmt.Fprintf(stderr, "sandbox: diff needs two profiles\n%s", diffUsage)
		return exitLauncher
	}
	if len(command) == 0 {
		// The same command for both: a plan's argv is not what a
		// review compares.
		command = []string{"/bin/true"}
	}
	var plans [2]*plan.Plan
	for i, n := range names {
		p, _, err := reviewPlan(n, command)
		if err != nil {
			printErr(stderr, err)
			return exitLauncher
		}
		plans[i] = p
	}
	changes, err := review.Diff(plans[0], plans[1])
	if err != nil {
		printErr(stderr, err)
		return exitLauncher
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			A       string          `json:"a"`
			B       string          `json:"b"`
			Loosens bool            `json:"loosens"`
			Changes []review.Change `json:"changes"`
		}{names[0], names[1], review.Loosens(changes), changes}); err != nil {
			fmt.Fprintf(stderr, "sandbox: diff: %v\n", err)
			return exitLauncher
		}
	} else {
		if len(changes) == 0 {
			fmt.Fprintf(stdout, "%s and %s compile to the same sandbox\n", names[0], names[1])
		}
		for _, c := range changes {
			at := ""
			if c.At.File != "" {
				at = "  (" + originString(profile.Origin(c.At)) + ")"
			}
			fmt.Fprintf(stdout, "%-10s %s: %s%s\n", strings.ToUpper(string(c.Direction)), c.Area, c.Text, at)
		}
	}
	if review.Loosens(changes) {
		return 1
	}
	return 0
}

// reviewPlan compiles a profile the way explain does: leniently, so what
// this machine lacks (a display, a bus) does not stop a review.
//
// A profile that binds ${CWD} is reviewed as if started from a project
// directory when the one it is run from would be refused: the review is
// of the profile.
func reviewPlan(name string, command []string) (*plan.Plan, string, error) {
	c := newCaller()
	p, host, done, err := loadForCheck(name, c, nil)
	defer done()
	if err != nil {
		return nil, "", err
	}
	pl, err := compilePlan(p, command, host)
	return pl, host.Home, err
}

// printScore writes a plan's exposure, heaviest item first.
func printScore(w io.Writer, s review.Score) {
	fmt.Fprintf(w, "Exposure %d, grade %s (A: little exposed ... F: much)\n", s.Total, s.Grade)
	for _, it := range s.Items {
		at := ""
		if it.At.File != "" {
			at = "  (" + originString(profile.Origin(it.At)) + ")"
		}
		fmt.Fprintf(w, "  %3d  %s: %s%s\n", it.Weight, it.Key, it.Text, at)
	}
}
