package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// warningsHome is a home directory the sandbox's host id can use, in a
// directory every user can reach; the firefox profile binds its Downloads.
func warningsHome(t *testing.T) string {
	t.Helper()
	home := filepath.Join(sharedDir(t, 0o755), "home")
	if err := os.MkdirAll(filepath.Join(home, "Downloads"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{home, filepath.Join(home, "Downloads")} {
		if err := os.Chown(d, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// requireNATHelper skips unless the firefox profile's network helper is
// installed: without it the launch rightly warns.
func requireNATHelper(t *testing.T) {
	t.Helper()
	_, errP := exec.LookPath("pasta")
	_, errS := exec.LookPath("slirp4netns")
	requireOrSkip(t, errP == nil || errS == nil, "neither pasta nor slirp4netns is installed (make deps)")
}

// TestHeadlessDesktopRunIsQuiet runs the firefox profile as a user would
// on a console or over ssh, with a harmless command and no display, no
// sound server and no session bus: the launch says nothing, -v says what
// it left out, -q says nothing either. A display the caller names but
// that is not there is a real warning, which -q silences.
func TestHeadlessDesktopRunIsQuiet(t *testing.T) {
	requireNATHelper(t)
	bothModes(t, func(t *testing.T, m mode) {
		home := warningsHome(t)
		withEnv := func(env ...string) func(*exec.Cmd) {
			return func(c *exec.Cmd) {
				c.Env = append(c.Env, "HOME="+home)
				c.Env = append(c.Env, env...)
			}
		}
		run := func(env []string, args ...string) result {
			r := sandboxCmd(t, m, withEnv(env...), args...)
			if r.code != 0 {
				t.Fatalf("sandbox %q: %s", args, r)
			}
			return r
		}
		if r := run(nil, "-p", "firefox", "--", "/bin/true"); r.stderr != "" {
			t.Errorf("a headless run printed:\n%s", r.stderr)
		}
		r := run(nil, "-v", "-p", "firefox", "--", "/bin/true")
		for _, key := range []string{"desktop.wayland", "desktop.x11", "desktop.pulseaudio"} {
			if !strings.Contains(r.stderr, "sandbox: note: ") || !strings.Contains(r.stderr, key+": ") {
				t.Errorf("-v does not say what %s left out:\n%s", key, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "warning") || strings.Contains(r.stderr, "(left out) (left out)") {
			t.Errorf("-v on a headless run:\n%s", r.stderr)
		}
		if r := run(nil, "-q", "-p", "firefox", "--", "/bin/true"); r.stderr != "" {
			t.Errorf("-q printed:\n%s", r.stderr)
		}

		// :93 has no socket: the caller asked for a display that is
		// not there.
		gone := []string{"DISPLAY=:93"}
		r = run(gone, "-p", "firefox", "--", "/bin/true")
		if strings.Count(r.stderr, "sandbox: warning: ") != 1 || !strings.Contains(r.stderr, "desktop.x11: there is no X socket at /tmp/.X11-unix/X93") ||
			!strings.HasSuffix(r.stderr, "(left out)\n") {
			t.Errorf("a missing named display, want one warning:\n%s", r.stderr)
		}
		if r := run(gone, "-q", "-p", "firefox", "--", "/bin/true"); r.stderr != "" {
			t.Errorf("-q printed:\n%s", r.stderr)
		}
		// Errors are never silenced.
		if r := sandboxCmd(t, m, withEnv(), "-q", "-p", "no-such-profile", "--", "/bin/true"); r.code != 125 || r.stderr == "" {
			t.Errorf("-q with a missing profile: %s", r)
		}
	})
}

// TestExplainListsWhatALaunchLeavesOut checks that explain always shows
// what a headless launch leaves out, and says a launch still runs.
func TestExplainListsWhatALaunchLeavesOut(t *testing.T) {
	r := sandbox(t, asRootOrSelf(), "explain", "firefox")
	if r.code != 0 {
		t.Fatalf("explain: %s", r)
	}
	for _, want := range []string{"a launch leaves these parts out", "not running: builtin:firefox.toml:", "desktop.x11: $DISPLAY is not set"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "sandbox run") {
		t.Errorf("explain speaks of a `sandbox run` subcommand:\n%s", r.stdout)
	}
}

// asRootOrSelf is the mode explain runs in: it starts nothing, so the
// caller's own identity is enough.
func asRootOrSelf() mode {
	if os.Geteuid() == 0 {
		return asRoot
	}
	return mode{name: "self"}
}

// TestDesktopInstallAcceptsAHeadlessSession installs the firefox entry as
// an unprivileged user whose session has no sound server (a runtime
// directory without the PulseAudio socket) and no display: what a launch
// accepts, install accepts.
func TestDesktopInstallAcceptsAHeadlessSession(t *testing.T) {
	requireNATHelper(t)
	requireOrSkip(t, os.Geteuid() == 0, "installing as the unprivileged user needs the tests to run as root")
	root := sharedDir(t, 0o755)
	home := filepath.Join(root, "home")
	system := filepath.Join(root, "share")
	runtime := filepath.Join(root, "run")
	for _, d := range []string{filepath.Join(home, "Downloads"), filepath.Join(system, "applications"), runtime} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{home, filepath.Join(home, "Downloads"), runtime} {
		os.Chown(d, nobody, nobody)
	}
	entry := "[Desktop Entry]\nType=Application\nName=Firefox ESR\nExec=/usr/lib/firefox-esr/firefox-esr %u\n"
	if err := os.WriteFile(filepath.Join(system, "applications", "firefox-esr.desktop"), []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sandboxCmd(t, asRootless, func(c *exec.Cmd) {
		c.Env = append(c.Env, "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
			"XDG_DATA_DIRS="+system, "XDG_RUNTIME_DIR="+runtime, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	}, "desktop", "install", "-p", "firefox", "firefox-esr.desktop")
	if r.code != 0 {
		t.Fatalf("desktop install without a sound server: %s", r)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("install warned about the session's absent parts:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "applications", "firefox-esr.desktop")); err != nil {
		t.Errorf("no entry written: %v\n%s", err, r)
	}
}

// TestQuietLeavesOutTheEgressSummary checks that -q also silences the
// list of refused connections a filtered sandbox prints when it ends,
// while the same run without -q prints it.
func TestQuietLeavesOutTheEgressSummary(t *testing.T) {
	f := newEgressFixture(t, "")
	script := curlLine("control", fmt.Sprintf("http://good.test:%d/", f.httpPort)) +
		curlLine("sneaky", fmt.Sprintf("http://sneaky.test:%d/", f.httpPort))
	m := asRootOrSelf()
	if os.Geteuid() == 0 {
		m = asRootless
	}
	loud := sandbox(t, m, "-p", f.profile, "--", "sh", "-c", script)
	if !strings.Contains(loud.stdout, "control=hello-egress") || !strings.Contains(loud.stderr, "sandbox: egress: refused connections") {
		t.Fatalf("without -q, want the control request to work and the summary:\n%s", loud)
	}
	quiet := sandbox(t, m, "-q", "-p", f.profile, "--", "sh", "-c", script)
	if !strings.Contains(quiet.stdout, "control=hello-egress") || !strings.Contains(quiet.stdout, "sneaky=fail:") {
		t.Fatalf("with -q, the run differs:\n%s", quiet)
	}
	if quiet.stderr != "" {
		t.Errorf("-q printed:\n%s", quiet.stderr)
	}
}
