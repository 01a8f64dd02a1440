package launcher

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelperFailures checks that a NAT helper or a D-Bus proxy that does
// not start is a setup error naming the profile line, with a hint; that
// the payload never runs; and that no private directory is left. The
// helpers are stood in for by /bin/false.
func TestHelperFailures(t *testing.T) {
	seccompRequire(t, os.Geteuid() == 0, "running a sandbox inside the test process needs root")
	bus := filepath.Join(t.TempDir(), "bus")
	if err := os.WriteFile(bus, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	host := Host{UID: 0, GID: 0, EUID: 0, User: "root", Home: "/root", Cwd: "/",
		Env:      []string{"PATH=/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + bus},
		LookPath: func(string) (string, error) { return "/bin/false", nil }}
	for _, tt := range []struct {
		name, text string
		kind, msg  string
		line       int
	}{
		{"pasta", "[network]\nmode = \"nat\"\nbackend = \"pasta\"\n", "network",
			"pasta could not set up the sandbox's network; it exited (exit status 1)", 3},
		{"slirp4netns", "[network]\nmode = \"nat\"\nbackend = \"slirp4netns\"\n", "network",
			"slirp4netns could not set up the sandbox's network; it exited (exit status 1)", 3},
		{"xdg-dbus-proxy", "[dbus.session]\ntalk = [\"org.example.A\"]\n", "dbus-proxy",
			"xdg-dbus-proxy did not start: check the bus address and the rules; it exited (exit status 1)", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := loadText(t, "extends = [\"minimal\"]\n"+tt.text)
			plan, err := Compile(p, []string{"/bin/sh", "-c", "echo RAN"}, host)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := filepath.Glob("/run/sandbox-helpers-*")
			out := filepath.Join(t.TempDir(), "out")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			code, err := Run(plan, RunOptions{Stdout: f, Stderr: f})
			if code != 125 || err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("exit %d, error %v; want 125 and %q", code, err, tt.msg)
			}
			var se *SetupError
			if !errors.As(err, &se) || se.Kind != tt.kind || se.Origin.Line != tt.line || se.Hint == "" {
				t.Errorf("error %#v; want a %s setup error from line %d with a hint", err, tt.kind, tt.line)
			}
			if b, _ := os.ReadFile(out); strings.Contains(string(b), "RAN") {
				t.Error("the payload ran although its helper failed")
			}
			if after, _ := filepath.Glob("/run/sandbox-helpers-*"); len(after) > len(before) {
				t.Errorf("private directories left: %v", after)
			}
		})
	}
}
