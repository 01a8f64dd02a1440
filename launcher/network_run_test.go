package launcher

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/internal/testutil"
	"strings"
	"testing"
)

// TestHelperFailures checks that a NAT helper or a D-Bus proxy that does
// not start is a setup error naming the profile line, with a hint; that
// the payload never runs; and that no private directory is left. The
// helpers are stood in for by /bin/false.
func TestHelperFailures(t *testing.T) {
	testutil.RequireOrSkip(t, os.Geteuid() == 0, "running a sandbox inside the test process needs root")
	rt := privateRuntime(t)
	bus := filepath.Join(t.TempDir(), "bus")
	if err := os.WriteFile(bus, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	host := hostview.Host{UID: 0, GID: 0, EUID: 0, User: "root", Home: "/root", Cwd: "/",
		Env:          []string{"PATH=/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + bus},
		LookPathFunc: func(string) (string, error) { return "/bin/false", nil }}
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
			p := compiletest.LoadText(t, "extends = [\"minimal\"]\n"+tt.text)
			pl, err := compile.Compile(p, []string{"/bin/sh", "-c", "echo RAN"}, host)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			code, err := Run(pl, RunOptions{Stdout: f, Stderr: f})
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
			if left := entries(t, rt); len(left) > 0 {
				t.Errorf("left in the runtime directory: %v", left)
			}
		})
	}
}

// TestHelpersLeaveNoFDs runs NAT sandboxes with each helper, many times in
// one process: the launcher's open fds must not grow (checklist D3).
func TestHelpersLeaveNoFDs(t *testing.T) {
	testutil.RequireOrSkip(t, os.Geteuid() == 0, "running a sandbox inside the test process needs root")
	rt := privateRuntime(t)
	for _, backend := range []string{"pasta", "slirp4netns"} {
		prog, err := exec.LookPath(backend)
		testutil.RequireOrSkip(t, err == nil, backend+" is not installed (make deps installs it)")
		host := hostview.Host{UID: 0, GID: 0, EUID: 0, User: "root", Home: "/root", Cwd: "/", Env: []string{"PATH=/usr/bin:/bin"},
			LookPathFunc: func(string) (string, error) { return prog, nil }}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		// A forward, so that slirp4netns's API socket and its private
		// directory come and go too.
		p := compiletest.LoadText(t, fmt.Sprintf("extends = [\"minimal\"]\n[network]\nmode = \"nat\"\nbackend = %q\nforward = [\"%d:80\"]\n", backend, port))
		pl, err := compile.Compile(p, []string{"/bin/true"}, host)
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			ents, err := os.ReadDir("/proc/self/fd")
			if err != nil {
				t.Fatal(err)
			}
			return len(ents)
		}
		run := func() {
			code, err := Run(pl, RunOptions{})
			if code != 0 || err != nil {
				t.Fatalf("%s: exit %d, %v", backend, code, err)
			}
		}
		run() // the first run opens what stays open for good (the spawner thread's)
		before := count()
		for i := 0; i < 10; i++ {
			run()
		}
		if after := count(); after != before {
			t.Errorf("%s: %d open fds before ten runs, %d after", backend, before, after)
		}
		if left := entries(t, rt); len(left) > 0 {
			t.Errorf("left in the runtime directory: %v", left)
		}
	}
}

// privateRuntime gives the test process an XDG_RUNTIME_DIR of its own,
// where the launcher makes its helpers' private directories.
func privateRuntime(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	return dir
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
