package main

import (
	"fmt"
	"io"
	"strings"

	"sandbox/profile"
	"sandbox/review"
)

// cmdList prints every installed profile with its description and where it
// came from; a profile that does not load is listed with its error.
// `list --names` prints the names alone, one a line, for shell completion.
func cmdList(args []string, stdout, stderr io.Writer) int {
	namesOnly := len(args) == 1 && args[0] == "--names"
	withScore := len(args) == 1 && args[0] == "--score"
	if len(args) > 0 && !namesOnly && !withScore {
		fmt.Fprintf(stderr, "sandbox: list takes no arguments but --names or --score\n")
		return exitLauncher
	}
	c := newCaller()
	if namesOnly {
		for _, e := range profile.List(c.src) {
			fmt.Fprintln(stdout, e.Name)
		}
		return 0
	}
	// The long columns wrap to fit the terminal (textfit.go).
	tw := &textTable{wrap: []int{0, 1, 1, 2}}
	if withScore {
		tw.wrap = []int{0, 0, 0, 1}
		tw.add("NAME", "EXPOSURE", "GRADE", "HEAVIEST")
	} else {
		tw.add("NAME", "PROGRAMS", "DESCRIPTION", "FROM")
	}
	for _, e := range profile.List(c.src) {
		desc := e.Description
		if e.Err != nil {
			desc = "BROKEN: " + firstLine(e.Err.Error())
		}
		if withScore {
			tw.add(strings.Split(listScoreLine(e.Name, e.Err), "\t")...)
			continue
		}
		tw.add(e.Name, strings.Join(e.Programs, ","), desc, e.Place)
	}
	tw.write(stdout, outputWidth(stdout))
	return 0
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// listScoreLine is one row of list --score: the profile's exposure, its
// grade and its heaviest item.
func listScoreLine(name string, loadErr error) string {
	if loadErr != nil {
		return name + "\t-\t-\tBROKEN: " + firstLine(loadErr.Error())
	}
	pl, home, err := reviewPlan(name, []string{"/bin/true"})
	if err != nil {
		return name + "\t-\t-\tBROKEN: " + firstLine(err.Error())
	}
	sc := review.ScorePlan(pl, home)
	top := ""
	if len(sc.Items) > 0 {
		top = sc.Items[0].Key + ": " + sc.Items[0].Text
	}
	return fmt.Sprintf("%s\t%d\t%s\t%s", name, sc.Total, sc.Grade, top)
}
