package main

import (
	"fmt"
	"os"

	"sandbox/compile"
	"sandbox/plan"
	"sandbox/profile"
)

// cwdNotice is the one line a launch prints before it runs when the
// directory the user started from is not what the payload works in: it is
// hidden, or a throw-away tmpfs, or read-only inside. Without it a `git
// clone` or a `curl -O` into a directory the sandbox does not keep exits 0
// and leaves nothing behind. It is "" when the payload works in the
// caller's own directory, writable, or when the profile says this is
// intended (filesystem.cwd_notice = false). It is read from the compiled
// plan, the same one the launch runs.
//
// Started from /, nothing is said: no one keeps files in the host's root,
// and a command line run from there (a service, a script with cd /) would
// get the line at every launch.
func cwdNotice(p *profile.Profile, pl *plan.Plan, caller string) string {
	if !p.Filesystem.CwdNotice || caller == "" || caller == "/" {
		return ""
	}
	v := compile.CwdOf(pl, caller, os.Stat)
	switch {
	case v.Same && v.Persistent:
		return ""
	case v.Same:
		return fmt.Sprintf("the command starts in %s, which is read-only in the sandbox: files cannot be written there", caller)
	case v.Inside == caller:
		return fmt.Sprintf("the command starts in %s, which in the sandbox is %s", caller, v.Describe())
	}
	at := compile.PathIn(pl, caller, os.Stat)
	status := "is not visible in the sandbox"
	if at.Exists {
		status = "is " + at.Describe() + " in the sandbox"
		if at.Kind == compile.CwdBind && !at.Writable {
			status = "is read-only in the sandbox"
		}
	}
	return fmt.Sprintf("%s %s; the command starts in %s, %s", caller, status, v.Inside, v.Describe())
}

// printCwdNotice prints the notice, the one place it is printed, so that
// an option that quiets the launcher's warnings quiets it too. It returns
// what it wrote, which the plan cache stores for a cached launch, started
// before any Go code, to write as well.
func printCwdNotice(rep reporter, line string) string {
	if line == "" {
		return ""
	}
	return rep.notice("notice: %s", line)
}
