package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sandbox/profile"
)

// cmdList prints every installed profile with its description and where it
// came from; a profile that does not load is listed with its error.
// `list --names` prints the names alone, one a line, for shell completion.
func cmdList(args []string, stdout, stderr io.Writer) int {
	namesOnly := len(args) == 1 && args[0] == "--names"
	if len(args) > 0 && !namesOnly {
		fmt.Fprintf(stderr, "sandbox: list takes no arguments\n")
		return exitLauncher
	}
	c := newCaller()
	if namesOnly {
		for _, e := range profile.List(c.src) {
			fmt.Fprintln(stdout, e.Name)
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROGRAMS\tDESCRIPTION\tFROM")
	for _, e := range profile.List(c.src) {
		desc := e.Description
		if e.Err != nil {
			desc = "BROKEN: " + firstLine(e.Err.Error())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, strings.Join(e.Programs, ","), desc, e.Place)
	}
	tw.Flush()
	return 0
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
