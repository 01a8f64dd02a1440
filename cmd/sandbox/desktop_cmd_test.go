package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"sandbox/internal/desktopentry"
)

// TestDesktopCommandLine checks what the desktop code is told of a
// sandbox command line, on the forms its own tests read with a stand-in
// (internal/desktopentry's testParseArgs): whether the line runs a
// program in a sandbox, and which.
func TestDesktopCommandLine(t *testing.T) {
	tests := []struct {
		args    []string
		want    desktopentry.CommandLine
		wantErr bool
	}{
		{[]string{"-p", "x", "--", "app", "%U"}, desktopentry.CommandLine{Command: []string{"app", "%U"}}, false},
		{[]string{"--profile=x", "app"}, desktopentry.CommandLine{Command: []string{"app"}}, false},
		{[]string{"-q", "--name", "n", "-p", "x", "--", "app"}, desktopentry.CommandLine{Command: []string{"app"}}, false},
		{[]string{"app", "-p", "x"}, desktopentry.CommandLine{Command: []string{"app", "-p", "x"}}, false},
		{[]string{"-p", "x"}, desktopentry.CommandLine{}, false},
		{[]string{"check", "x"}, desktopentry.CommandLine{NoLaunch: true}, false},
		{[]string{"--", "check"}, desktopentry.CommandLine{Command: []string{"check"}}, false},
		{[]string{"--help"}, desktopentry.CommandLine{NoLaunch: true}, false},
		{[]string{"--version"}, desktopentry.CommandLine{NoLaunch: true}, false},
		{[]string{"--bogus", "app"}, desktopentry.CommandLine{}, true},
		{[]string{"--"}, desktopentry.CommandLine{}, true},
		{nil, desktopentry.CommandLine{}, true},
	}
	for _, tt := range tests {
		got, err := desktopCommandLine(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: error %v, want an error: %v", tt.args, err, tt.wantErr)
			continue
		}
		if err == nil && (got.NoLaunch != tt.want.NoLaunch || !reflect.DeepEqual(got.Command, tt.want.Command) && len(got.Command)+len(tt.want.Command) > 0) {
			t.Errorf("%q: %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

// TestDesktopArguments checks the arguments `sandbox desktop` refuses
// before it reads any entry.
func TestDesktopArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "desktop needs install, remove or audit"},
		{[]string{"bogus"}, `unknown desktop subcommand "bogus"`},
		{[]string{"install", "--bogus", "other"}, `desktop install: unknown option "--bogus"`},
		{[]string{"install"}, "desktop install: name at least one application"},
		{[]string{"install", "-p"}, "desktop install: -p needs a profile name or path"},
		{[]string{"remove"}, "desktop remove: name at least one application"},
		{[]string{"audit", "x"}, "desktop audit takes no arguments"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(append([]string{"desktop"}, tt.args...), &out, &errb)
		if code != exitLauncher || !strings.Contains(errb.String(), "sandbox: "+tt.want) || out.Len() != 0 {
			t.Errorf("desktop %q: exit %d, stdout %q, stderr %q; want %d and %q", tt.args, code, out.String(), errb.String(), exitLauncher, tt.want)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"desktop", "--help"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "Usage:\n  sandbox desktop install") {
		t.Errorf("desktop --help: exit %d\n%s", code, out.String())
	}
}

// TestParseInstallArgs checks the options of `desktop install`.
func TestParseInstallArgs(t *testing.T) {
	got, err := parseInstallArgs([]string{"-f", "--profile=p", "a", "--", "-b"})
	want := desktopentry.InstallOptions{Profile: "p", Force: true, Apps: []string{"a", "-b"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
}
