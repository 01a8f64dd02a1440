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

// flagUsage is the argument flag takes, for messages.
func flagUsage(flag string) string {
	switch flag {
	case "--bind":
		return "--bind SRC[:DEST]"
	case "--ro-bind":
		return "--ro-bind SRC[:DEST]"
	case "--net":
		return "--net none|host|nat|filtered"
	case "--env":
		return "--env NAME[=VALUE]"
	}
	return flag
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
