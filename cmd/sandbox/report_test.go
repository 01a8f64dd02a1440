package main

import (
	"bytes"
	"reflect"
	"testing"

	"sandbox/plan"
)

func TestParseQuiet(t *testing.T) {
	for _, args := range [][]string{{"-q", "-p", "agent", "pip"}, {"--quiet", "-p", "agent", "pip"}} {
		got, err := parseArgs(args)
		want := invocation{profile: "agent", quiet: true, command: []string{"pip"}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseArgs(%q) = %+v, %v; want %+v", args, got, err, want)
		}
	}
	// After the command, -q is the command's.
	if got, _ := parseArgs([]string{"-p", "agent", "pip", "-q"}); got.quiet {
		t.Error("a -q after the command was taken as the launcher's")
	}
	// -q wins over -v, in either order.
	for _, args := range [][]string{{"-q", "-v", "ls"}, {"-v", "--quiet", "ls"}} {
		inv, err := parseArgs(args)
		if err != nil || inv.reporter(nil).level != quietLevel {
			t.Errorf("parseArgs(%q) = %+v, %v; want the quiet level", args, inv, err)
		}
	}
}

// TestReporterLevels checks the one rule of what a launch prints: a part
// of the desktop session that is not running only with -v, another
// missing part unless -q, notices unless -q.
func TestReporterLevels(t *testing.T) {
	ws := []plan.Warning{
		{Optional: true, Problem: &plan.Problem{Key: "desktop.x11", Msg: "$DISPLAY is not set"}},
		{Problem: &plan.Problem{Key: "network.backend", Msg: "pasta is not installed"}},
	}
	for _, tt := range []struct {
		level verbosity
		want  string
	}{
		{quietLevel, ""},
		{normalLevel, "sandbox: warning: network.backend: pasta is not installed (left out)\nsandbox: cwd\n"},
		{verboseLevel, "sandbox: note: desktop.x11: $DISPLAY is not set (left out)\n" +
			"sandbox: warning: network.backend: pasta is not installed (left out)\nsandbox: cwd\nsandbox: more\n"},
	} {
		var b bytes.Buffer
		r := reporter{w: &b, level: tt.level}
		r.planWarnings(ws, "")
		r.noticef("cwd")
		r.infof("more")
		if b.String() != tt.want {
			t.Errorf("level %d printed\n%q\nwant\n%q", tt.level, b.String(), tt.want)
		}
	}
}
