package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sandbox/internal/instance"
	"sandbox/launcher"
	"sandbox/profile"
)

// A persistent home is one application's state, and applications guard it
// with a lock (Firefox's .parentlock, Chromium's SingletonLock) that only
// processes in the same sandbox can look behind: a second sandbox on the
// same home would see a profile "in use" by a process it cannot reach,
// and Firefox then refuses to start ("already running, but is not
// responding"). So a launch whose home a running sandbox already has runs
// its command inside that sandbox, through the enter machinery, where the
// application's own remote (the new window in the running browser) works.

// runningWithHome returns the caller's running sandbox whose persistent
// home is dir: its record's command line, read back as ps does, loads to a
// profile with that home.
func runningWithHome(dir string, c caller) (instance.Record, bool) {
	euid := os.Geteuid()
	for _, r := range instance.List(instanceDirs()) {
		if r.UID != euid {
			continue
		}
		inv, err := parseArgs(r.Args)
		if err != nil || inv.sub != "" {
			continue
		}
		name := inv.profile
		if name == "" {
			if len(inv.command) == 0 {
				continue
			}
			found, ok := profile.FindByProgram(filepath.Base(inv.command[0]), c.env, c.src)
			if !ok {
				continue
			}
			name = found
		}
		p, err := profile.LoadWith(name, c.env, c.src, commandLine(inv.flags, c.env.Cwd))
		if err == nil && p.Filesystem.PersistentHome && p.Filesystem.HomeDir == dir {
			return r, true
		}
	}
	return instance.Record{}, false
}

// enterRunning runs command in the running sandbox r, which holds the
// persistent home dir, and says so in one line: the command gets that
// sandbox's rules, not the ones this command line asked for.
func enterRunning(r instance.Record, dir string, command []string, stderr io.Writer) int {
	who := r.ID
	if r.Name != "" {
		who = r.Name
	}
	fmt.Fprintf(stderr, "sandbox: the persistent home %s is in use by the running sandbox %s (pid %d): running %s inside it, under its rules ('sandbox stop %s' first to start a new one)\n",
		dir, who, r.PID, strings.Join(command, " "), who)
	code, err := enterRecord(r, command, stderr)
	if errors.Is(err, errRecordArgs) {
		fmt.Fprintf(stderr, "sandbox: the running sandbox %s cannot be entered: %v; stop it with 'sandbox stop %s'\n", who, err, who)
		return exitLauncher
	}
	if err != nil {
		if errors.Is(err, launcher.ErrGone) {
			fmt.Fprintf(stderr, "sandbox: the sandbox %s ended while %s was entering it; launch again\n", who, command[0])
			return exitLauncher
		}
		printErr(stderr, err)
		fmt.Fprintf(stderr, "sandbox: could not run %s in the running sandbox %s; stop it with 'sandbox stop %s' and launch again\n", command[0], who, who)
		return exitLauncher
	}
	return code
}
