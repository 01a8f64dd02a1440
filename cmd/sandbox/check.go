package main

import (
	"fmt"
	"io"

	"sandbox/launcher"
	"sandbox/profile"
)

// cmdCheck validates each profile: the language checks, then a compile
// (which checks host paths and builds the seccomp filter), so that a
// profile that passes check also launches.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "sandbox: check needs at least one profile name or path")
		return exitLauncher
	}
	c := newCaller()
	code := 0
	for _, name := range args {
		p, err := profile.Load(name, c.env, c.src)
		if err == nil {
			_, err = launcher.Compile(p, []string{"true"}, c.host)
		}
		if err != nil {
			printErr(stderr, err)
			code = exitLauncher
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", name)
	}
	return code
}
