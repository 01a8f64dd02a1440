package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sandbox/internal/smoketest"
)

// cmdTest is `sandbox test PROFILE...`: the arguments are checked here,
// and internal/smoketest runs each profile's smoke test.
func cmdTest(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "sandbox: test needs at least one profile name or path")
		return exitLauncher
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			fmt.Fprintf(stderr, "sandbox: test: unknown option %q\n", a)
			return exitLauncher
		}
	}
	return smoketest.Run(args, smokeOptions(), stdout, stderr)
}

// smokeOptions hands the smoke tests what every launch of this command
// uses: the caller's environment, the lenient compile, the persistent
// home and the way errors are printed.
func smokeOptions() smoketest.Options {
	return smoketest.Options{
		Caller: func() smoketest.Caller {
			c := newCaller()
			return smoketest.Caller{Env: c.env, Src: c.src, Host: c.host}
		},
		Compile:    compilePlan,
		EnsureHome: ensureHome,
		PrintErr:   printErr,
	}
}

// smokeChild runs a test's sandbox when `sandbox test` started this
// binary again under the name smoketest.ChildName. main asks first,
// before it parses anything, as runc does with `runc init`: only `sandbox
// test` starts the binary under this name.
func smokeChild() {
	if filepath.Base(os.Args[0]) == smoketest.ChildName {
		os.Exit(smoketest.Child(os.Args[1:], smokeOptions(), os.Stderr))
	}
}
