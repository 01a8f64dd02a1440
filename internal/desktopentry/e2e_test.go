package desktopentry

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sandbox/internal/testutil"
)

// requireOrSkip skips a test whose requirement is missing, saying why;
// under CI=true a missing requirement is a failure instead.
func requireOrSkip(t testing.TB, ok bool, why string) {
	t.Helper()
	testutil.RequireOrSkip(t, ok, why)
}

// buildSandbox builds the real binary into a world-readable directory.
func buildSandbox(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "sandbox")
	out, err := exec.Command("go", "build", "-o", bin, "sandbox/cmd/sandbox").CombinedOutput()
	if err != nil {
		t.Fatalf("building sandbox: %v\n%s", err, out)
	}
	return bin
}

// probeEntry prints what tells a sandboxed run from a direct one: a
// variable the sandbox's cleared environment drops, and the PID namespace,
// which the sandbox makes new. The arguments after it are the files the
// menu passes for %F. It is written by hand, quoted as the specification
// says (\\$ is a literal dollar sign, \\" a literal double quote), so that
// the test also reads a real entry's quoting.
const probeEntry = `[Desktop Entry]
Type=Application
Name=Probe
DBusActivatable=true
Exec=/bin/sh -c "echo \\"[\\$SECRET_TOKEN]\\" \\$(readlink /proc/self/ns/pid) \\"\\$@\\"" probe %F
Actions=again;

[Desktop Action again]
Name=Again
Exec=/bin/sh -c "echo \\"[\\$SECRET_TOKEN]\\" \\$(readlink /proc/self/ns/pid) again"
`

// runAsMenu runs a command line the way a menu does: field codes already
// expanded, argv executed directly, in the user's environment, which here
// holds a secret.
func runAsMenu(t *testing.T, w *desktopWorld, argv []string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Join(w.root, "home"), "LANG=C.UTF-8",
		"XDG_CONFIG_HOME=" + filepath.Join(w.root, "config"), "SECRET_TOKEN=leaked"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("running %q: %v\nstdout:\n%s\nstderr:\n%s", argv, err, out.String(), errb.String())
	}
	return strings.TrimSpace(out.String())
}

// TestDesktopEntryStartsTheSandbox is the end-to-end check: it reads the
// Exec lines install wrote back as a menu would (the specification's
// unquoting, then field code expansion), runs them, and sees from the
// inside that the program ran sandboxed, where the system entry's own
// command, run the same way, did not. The D-Bus service file is read as
// dbus-daemon reads it and run the same way.
func TestDesktopEntryStartsTheSandbox(t *testing.T) {
	bin := buildSandbox(t) // before the world changes HOME, and with it Go's caches
	w := newDesktopWorld(t)
	if err := exec.Command(bin, "-p", "minimal", "--", "/bin/true").Run(); err != nil {
		requireOrSkip(t, false, "sandbox -p minimal cannot start here (user namespaces unavailable?): "+err.Error())
	}
	os.MkdirAll(filepath.Join(w.root, "home"), 0o755)
	const id = "org.example.Probe.desktop"
	sysPath := w.systemEntry(id, probeEntry)
	files := fieldCodeValues{files: []string{"/tmp/a file.txt", "two  spaces"}}

	mainArgv := func(path string) []string {
		argv, err := splitExec(mustGet(t, readKF(t, path), groupEntry, "Exec"))
		if err != nil {
			t.Fatal(err)
		}
		return expandFieldCodes(argv, files)
	}
	direct := runAsMenu(t, w, mainArgv(sysPath))
	if !strings.HasPrefix(direct, "[leaked] pid:[") || !strings.HasSuffix(direct, " /tmp/a file.txt two  spaces") {
		t.Fatalf("the probe itself does not work: the system entry printed %q", direct)
	}
	hostNS := strings.Fields(direct)[1]

	// Installed as a user installs it: by the real binary, whose own
	// command line the entries it writes must pass.
	if out, err := exec.Command(bin, "desktop", "install", "-p", "minimal", id).CombinedOutput(); err != nil {
		t.Fatalf("sandbox desktop install: %v\n%s", err, out)
	}
	userPath := w.userEntry(id)
	checkSandboxed := func(what, got, tail string) {
		t.Helper()
		fields := strings.Fields(got)
		switch {
		case !strings.HasPrefix(got, "[] pid:["):
			t.Errorf("%s: the environment reached the program, it did not run sandboxed: %q", what, got)
		case fields[1] == hostNS:
			t.Errorf("%s: the program ran in the host's PID namespace %s: %q", what, hostNS, got)
		case !strings.HasSuffix(got, tail):
			t.Errorf("%s: the arguments did not arrive intact: %q, want the suffix %q", what, got, tail)
		}
	}
	checkSandboxed("main Exec", runAsMenu(t, w, mainArgv(userPath)), " /tmp/a file.txt two  spaces")

	action, err := splitExec(mustGet(t, readKF(t, userPath), "Desktop Action again", "Exec"))
	if err != nil {
		t.Fatal(err)
	}
	checkSandboxed("action Exec", runAsMenu(t, w, expandFieldCodes(action, files)), " again")

	svc := readKF(t, w.userService("org.example.Probe"))
	svcArgv, err := splitServiceExec(mustGet(t, svc, groupDBus, "Exec"))
	if err != nil {
		t.Fatal(err)
	}
	// D-Bus passes no files: the field codes were dropped for it.
	checkSandboxed("D-Bus service Exec", runAsMenu(t, w, svcArgv), "]")
}
