package main

import (
	"slices"
	"testing"

	"sandbox/profile"
)

func TestParseLooseningFlags(t *testing.T) {
	inv, err := parseArgs([]string{"--bind", "/a:/b", "--ro-bind=/c", "-p", "x", "--net", "host", "--env=FOO=1", "--env", "BAR", "cmd", "--bind", "/z"})
	if err != nil {
		t.Fatal(err)
	}
	want := []profile.Flag{{Opt: "--bind", Value: "/a:/b"}, {Opt: "--ro-bind", Value: "/c"}, {Opt: "--net", Value: "host"}, {Opt: "--env", Value: "FOO=1"}, {Opt: "--env", Value: "BAR"}}
	if !slices.Equal(inv.flags, want) {
		t.Errorf("flags = %v, want %v", inv.flags, want)
	}
	// Everything from the command on is the command's.
	if !slices.Equal(inv.command, []string{"cmd", "--bind", "/z"}) || inv.profile != "x" {
		t.Errorf("command = %q, profile = %q", inv.command, inv.profile)
	}
	if _, err := parseArgs([]string{"--net"}); err == nil {
		t.Error("--net without a value was accepted")
	}
}
