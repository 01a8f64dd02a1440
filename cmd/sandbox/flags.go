package main

import (
	"strings"

	"sandbox/profile"
)

// The loosening flags change the profile for one run. They are a profile
// layer of their own, merged last (profile.CommandLine), so that every
// check a file's line gets applies to them too, and the files the host
// trusts stay read-only under a flag's writable bind as under a profile's.
// They are part of the command line, so the plan cache keys on them: a
// run with other flags never starts a plan compiled for these.

// flagUsage is the argument each flag takes, for messages.
var flagUsage = map[string]string{
	"--bind":    "--bind SRC[:DEST]",
	"--ro-bind": "--ro-bind SRC[:DEST]",
	"--net":     "--net none|host|nat|filtered",
	"--env":     "--env NAME[=VALUE]",
}

// isFlagAssign reports whether a is a loosening flag written --opt=value.
func isFlagAssign(a string) bool {
	k, _, ok := strings.Cut(a, "=")
	return ok && profile.IsFlag(k)
}

// commandLine is the layer the flags make, or nil without flags.
func commandLine(flags []profile.Flag, cwd string) *profile.CommandLine {
	if len(flags) == 0 {
		return nil
	}
	return &profile.CommandLine{Flags: flags, Cwd: cwd}
}
