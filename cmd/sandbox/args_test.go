package main

import (
	"reflect"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		want    invocation
		wantErr bool
	}{
		{args: []string{"-p", "minimal", "ls", "-l"}, want: invocation{profile: "minimal", command: []string{"ls", "-l"}}},
		{args: []string{"--profile=minimal", "--", "--weird", "x"}, want: invocation{profile: "minimal", command: []string{"--weird", "x"}}},
		// A program named like a subcommand runs after "--".
		{args: []string{"--", "check", "a"}, want: invocation{command: []string{"check", "a"}}},
		{args: []string{"check", "a", "b"}, want: invocation{sub: "check", rest: []string{"a", "b"}}},
		// With -p the first word is the command, even if it is "list".
		{args: []string{"-p", "minimal", "list"}, want: invocation{profile: "minimal", command: []string{"list"}}},
		// Arguments after the command are never options (B12).
		{args: []string{"-p", "x", "sh", "-c", "echo $HOME; rm -rf /", "--help"}, want: invocation{profile: "x", command: []string{"sh", "-c", "echo $HOME; rm -rf /", "--help"}}},
		{args: []string{"firefox", "--private"}, want: invocation{command: []string{"firefox", "--private"}}},
		{args: []string{"-v", "-p", "agent", "pip"}, want: invocation{profile: "agent", verbose: true, command: []string{"pip"}}},
		{args: []string{"-p", "agent", "--verbose", "--", "-v"}, want: invocation{profile: "agent", verbose: true, command: []string{"-v"}}},
		{args: []string{"-p", "agent", "pip", "-v"}, want: invocation{profile: "agent", command: []string{"pip", "-v"}}},
		{args: []string{"--help"}, want: invocation{help: true}},
		{args: []string{"--version"}, want: invocation{version: true}},
		{args: []string{"-x"}, wantErr: true},
		{args: []string{"-p"}, wantErr: true},
		{args: []string{}, wantErr: true},
		{args: []string{"--"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseArgs(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseArgs(%q) = %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

// FuzzParseArgs checks that no command line makes the parser panic and
// that the command it finds is always a verbatim suffix of the arguments:
// nothing after the command is ever reinterpreted (B12).
func FuzzParseArgs(f *testing.F) {
	f.Add("-p", "minimal", "--", "ls")
	f.Add("check", "x", "y", "z")
	f.Add("--profile=a", "-", "--", "--")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		args := []string{a, b, c, d}
		inv, err := parseArgs(args)
		if err != nil || len(inv.command) == 0 {
			return
		}
		suffix := args[len(args)-len(inv.command):]
		if !reflect.DeepEqual(inv.command, suffix) {
			t.Fatalf("parseArgs(%q) command %q is not the verbatim tail %q", args, inv.command, suffix)
		}
	})
}
