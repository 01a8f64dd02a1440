package desktopentry

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// desktopWorld is a fake desktop: a system data directory with entries and
// D-Bus service files, the user's data directory, a profile directory and
// a sandbox binary, all under one temporary directory and named by the
// XDG variables the code reads.
type desktopWorld struct {
	t        *testing.T
	root     string
	system   string // a system data directory (XDG_DATA_DIRS)
	dataHome string // XDG_DATA_HOME
	self     string // a stand-in for the sandbox binary
	bin      string // the binary written entries run: self, or one useBinary names
}

// fakeProfile has programs that the fake entries run.
const fakeProfile = `description = "test profile for fake applications"
programs = ["fakeapp", "fakeedit"]
extends = ["minimal"]
`

func newDesktopWorld(t *testing.T) *desktopWorld {
	root := t.TempDir()
	w := &desktopWorld{t: t, root: root, system: filepath.Join(root, "usr", "share"),
		dataHome: filepath.Join(root, "home", ".local", "share")}
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("XDG_DATA_HOME", w.dataHome)
	// A missing directory first: the search must go on past it.
	t.Setenv("XDG_DATA_DIRS", filepath.Join(root, "usr", "local", "share")+":"+w.system)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "config"))
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	w.write(filepath.Join(root, "config", "sandbox", "profiles", "fakeapp.toml"), fakeProfile)
	w.self = filepath.Join(root, "bin", "sandbox")
	w.write(w.self, "#!/bin/sh\nexit 0\n")
	os.Chmod(w.self, 0o755)
	w.useBinary(w.self)
	return w
}

// useBinary makes the entries run bin.
func (w *desktopWorld) useBinary(bin string) {
	w.bin = bin
}

func (w *desktopWorld) write(path, text string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *desktopWorld) systemEntry(id, text string) string {
	path := filepath.Join(w.system, "applications", id)
	w.write(path, text)
	return path
}

func (w *desktopWorld) systemService(name, exec string) string {
	path := filepath.Join(w.system, "dbus-1", "services", name+".service")
	w.write(path, "[D-BUS Service]\nName="+name+"\nExec="+exec+"\n")
	return path
}

func (w *desktopWorld) userEntry(id string) string {
	return filepath.Join(w.dataHome, "applications", id)
}

func (w *desktopWorld) userService(name string) string {
	return filepath.Join(w.dataHome, "dbus-1", "services", name+".service")
}

func (w *desktopWorld) mustSandbox(args ...string) string {
	w.t.Helper()
	code, out, errb := w.sandbox(args...)
	if code != 0 {
		w.t.Fatalf("sandbox %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errb)
	}
	return out
}

func mustParse(t *testing.T, path, text string) *keyFile {
	t.Helper()
	kf, err := parseKeyFile(path, text)
	if err != nil {
		t.Fatal(err)
	}
	return kf
}

func readKF(t *testing.T, path string) *keyFile {
	t.Helper()
	kf, err := readKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return kf
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// editorEntry has a program path with a space, arguments that need
// quoting, a field code, two actions, translations, comments and a vendor
// group: everything a rewrite must keep or convert.
const editorEntry = `# A comment the rewrite keeps.
[Desktop Entry]
Type=Application
Name=Fake Editor
Name[de]=Falscher Editor
TryExec=/opt/Fake Edit/bin/fakeedit
Exec="/opt/Fake Edit/bin/fakeedit" --title "My \\$HOME notes" %F
Icon=fakeedit
MimeType=text/plain;
Actions=new-window;private;

[Desktop Action new-window]
Name=New Window
Exec="/opt/Fake Edit/bin/fakeedit" --new-window %U

[Desktop Action private]
Name=Private
Exec=env FAKE_MODE=private "/opt/Fake Edit/bin/fakeedit" --private

[X-Vendor Extras]
Exec=not-a-command-line
`

// TestDesktopInstallRewritesEveryExec checks that every command line of
// the entry, the main one and each action's, runs the original argument
// list through sandbox, and that nothing else changes.
func TestDesktopInstallRewritesEveryExec(t *testing.T) {
	w := newDesktopWorld(t)
	sysPath := w.systemEntry("fakeedit.desktop", editorEntry)
	w.mustSandbox("desktop", "install", "fakeedit")

	kf := readKF(t, w.userEntry("fakeedit.desktop"))
	want := map[string][]string{
		groupEntry:                  {"/opt/Fake Edit/bin/fakeedit", "--title", "My $HOME notes", "%F"},
		"Desktop Action new-window": {"/opt/Fake Edit/bin/fakeedit", "--new-window", "%U"},
		"Desktop Action private":    {"env", "FAKE_MODE=private", "/opt/Fake Edit/bin/fakeedit", "--private"},
	}
	for group, orig := range want {
		v, ok := kf.get(group, "Exec")
		if !ok {
			t.Errorf("[%s] lost its Exec", group)
			continue
		}
		got, err := splitExec(v)
		if err != nil {
			t.Fatalf("[%s] Exec=%s does not parse: %v", group, v, err)
		}
		if wantArgv := append([]string{w.self, "-p", "fakeapp", "--"}, orig...); !reflect.DeepEqual(got, wantArgv) {
			t.Errorf("[%s] Exec reads as %q, want %q", group, got, wantArgv)
		}
	}
	if v, _ := kf.get("X-Vendor Extras", "Exec"); v != "not-a-command-line" {
		t.Errorf("a vendor group's key was rewritten: %q", v)
	}
	if got := kf.str(groupEntry, keyProfile); got != "fakeapp" {
		t.Errorf("%s = %q, want fakeapp", keyProfile, got)
	}
	if got := kf.str(groupEntry, keyOriginal); got != sysPath {
		t.Errorf("%s = %q, want %s", keyOriginal, got, sysPath)
	}
	// Every line that is not an Exec of the main group or an action is
	// kept, in order.
	var kept []string
	for _, l := range mustParse(t, "", editorEntry).lines {
		if !(baseKey(l.key) == "Exec" && (l.group == groupEntry || strings.HasPrefix(l.group, groupActionPfx))) {
			kept = append(kept, l.text)
		}
	}
	var gotKept []string
	for _, l := range kf.lines {
		if !strings.HasPrefix(l.text, "# Written by") && !strings.HasPrefix(l.text, "# sandbox profile") &&
			!strings.HasPrefix(l.text, "# and the original") && !strings.HasPrefix(l.key, "X-Sandbox-") &&
			!(baseKey(l.key) == "Exec" && (l.group == groupEntry || strings.HasPrefix(l.group, groupActionPfx))) {
			gotKept = append(gotKept, l.text)
		}
	}
	if !reflect.DeepEqual(gotKept, kept) {
		t.Errorf("the other lines changed:\n got %q\nwant %q", gotKept, kept)
	}
	if readText(t, sysPath) != editorEntry {
		t.Error("the system entry was modified")
	}
	if exists(w.userService("fakeedit")) {
		t.Error("a D-Bus service file was written for an entry that is not D-Bus activatable")
	}
}

// TestDesktopInstallDBusActivatable checks both ways a D-Bus activatable
// application starts: the menu entry no longer asks D-Bus, and D-Bus
// itself finds our service file, whose command goes through sandbox.
func TestDesktopInstallDBusActivatable(t *testing.T) {
	const id, name = "org.example.FakeApp.desktop", "org.example.FakeApp"
	entry := "[Desktop Entry]\nType=Application\nName=Fake\nDBusActivatable=true\nExec=/usr/bin/fakeapp %U\nActions=quiet;\n\n" +
		"[Desktop Action quiet]\nName=Quiet\n"
	tests := []struct {
		what, entry, serviceExec string
		wantService, wantMain    []string
	}{
		{"with a system service file", entry, "/usr/bin/fakeapp --gapplication-service",
			[]string{"/usr/bin/fakeapp", "--gapplication-service"}, []string{"/usr/bin/fakeapp", "%U"}},
		{"without one: the entry's command, field codes dropped", entry, "",
			[]string{"/usr/bin/fakeapp"}, []string{"/usr/bin/fakeapp", "%U"}},
		{"an entry with no Exec: the service's command for both", strings.Replace(entry, "Exec=/usr/bin/fakeapp %U\n", "", 1),
			"'/usr/bin/fakeapp' --gapplication-service",
			[]string{"/usr/bin/fakeapp", "--gapplication-service"}, []string{"/usr/bin/fakeapp", "--gapplication-service"}},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			w := newDesktopWorld(t)
			w.systemEntry(id, tt.entry)
			sysService := ""
			if tt.serviceExec != "" {
				sysService = w.systemService(name, tt.serviceExec)
			}
			code, _, errb := w.sandbox("desktop", "install", name)
			if code != 0 || !strings.Contains(errb, `the action "quiet" has no Exec`) {
				t.Fatalf("install: exit %d, stderr %q; want 0 and a note on the D-Bus-only action", code, errb)
			}
			kf := readKF(t, w.userEntry(id))
			if v, _ := kf.get(groupEntry, dbusActivatable); v != "false" {
				t.Errorf("DBusActivatable=%q, want false so the menu uses Exec", v)
			}
			main, _ := splitExec(mustGet(t, kf, groupEntry, "Exec"))
			if want := append([]string{w.self, "-p", "fakeapp", "--"}, tt.wantMain...); !reflect.DeepEqual(main, want) {
				t.Errorf("main Exec = %q, want %q", main, want)
			}
			svc := readKF(t, w.userService(name))
			if got := svc.str(groupDBus, "Name"); got != name {
				t.Errorf("service Name=%q, want %s", got, name)
			}
			argv, err := splitServiceExec(mustGet(t, svc, groupDBus, "Exec"))
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]string{w.self, "-p", "fakeapp", "--"}, tt.wantService...); !reflect.DeepEqual(argv, want) {
				t.Errorf("service Exec = %q, want %q", argv, want)
			}
			if !ours(svc) {
				t.Error("the service file has no marker")
			}
			if sysService != "" && svc.str(groupDBus, keyOriginal) != sysService {
				t.Errorf("service %s = %q, want %s", keyOriginal, svc.str(groupDBus, keyOriginal), sysService)
			}
			if code, out, _ := w.sandbox("desktop", "audit"); code != 0 {
				t.Errorf("audit after install: exit %d\n%s", code, out)
			}
		})
	}
}

func mustGet(t *testing.T, kf *keyFile, group, key string) string {
	t.Helper()
	v, ok := kf.get(group, key)
	if !ok {
		t.Fatalf("[%s] has no %s", group, key)
	}
	return v
}

// TestDesktopRemoveRestores checks that remove takes away exactly what
// install wrote, so the system entry and the system service show again.
func TestDesktopRemoveRestores(t *testing.T) {
	w := newDesktopWorld(t)
	const id, name = "org.example.FakeApp.desktop", "org.example.FakeApp"
	w.systemEntry(id, "[Desktop Entry]\nType=Application\nName=Fake\nDBusActivatable=true\nExec=fakeapp\n")
	w.systemService(name, "/usr/bin/fakeapp --gapplication-service")
	w.mustSandbox("desktop", "install", "fakeapp")
	if !exists(w.userEntry(id)) || !exists(w.userService(name)) {
		t.Fatal("install wrote neither the entry nor the service file")
	}
	w.mustSandbox("desktop", "remove", id)
	if exists(w.userEntry(id)) || exists(w.userService(name)) {
		t.Error("remove left a file behind")
	}
	if code, _, _ := w.sandbox("desktop", "remove", id); code != exitLauncher {
		t.Errorf("a second remove: exit %d, want %d (nothing to remove)", code, exitLauncher)
	}
	if code, _, _ := w.sandbox("desktop", "audit"); code != 1 {
		t.Errorf("audit after remove: exit %d, want 1", code)
	}
}

// TestDesktopUserEntryNeedsForce checks that an entry of the user's own
// is never overwritten silently, and that --force keeps it and remove puts
// it back.
func TestDesktopUserEntryNeedsForce(t *testing.T) {
	w := newDesktopWorld(t)
	w.systemEntry("fakeapp.desktop", "[Desktop Entry]\nType=Application\nName=Fake\nExec=/usr/bin/fakeapp %u\n")
	mine := "[Desktop Entry]\nType=Application\nName=My Fake\nExec=/usr/bin/fakeapp --my-option %u\n"
	w.write(w.userEntry("fakeapp.desktop"), mine)

	code, _, errb := w.sandbox("desktop", "install", "fakeapp")
	if code != exitLauncher || !strings.Contains(errb, "--force") {
		t.Fatalf("install over the user's entry: exit %d, stderr %q; want a refusal naming --force", code, errb)
	}
	if readText(t, w.userEntry("fakeapp.desktop")) != mine {
		t.Fatal("the refused install changed the user's entry")
	}
	if code, _, errb := w.sandbox("desktop", "remove", "fakeapp"); code != exitLauncher || !strings.Contains(errb, "left alone") {
		t.Errorf("remove of the user's own entry: exit %d, stderr %q; want a refusal", code, errb)
	}

	w.mustSandbox("desktop", "install", "--force", "fakeapp")
	kf := readKF(t, w.userEntry("fakeapp.desktop"))
	argv, _ := splitExec(mustGet(t, kf, groupEntry, "Exec"))
	// The user's own command line is the one wrapped.
	if want := []string{w.self, "-p", "fakeapp", "--", "/usr/bin/fakeapp", "--my-option", "%u"}; !reflect.DeepEqual(argv, want) {
		t.Errorf("Exec = %q, want %q", argv, want)
	}
	backup := w.userEntry("fakeapp.desktop") + backupSuffix
	if readText(t, backup) != mine {
		t.Error("the user's entry was not kept")
	}
	// A reinstall wraps the same original, not our own entry.
	w.mustSandbox("desktop", "install", "fakeapp")
	argv, _ = splitExec(mustGet(t, readKF(t, w.userEntry("fakeapp.desktop")), groupEntry, "Exec"))
	if argv[4] != "/usr/bin/fakeapp" || argv[3] != "--" {
		t.Errorf("reinstall wrapped twice: %q", argv)
	}

	w.mustSandbox("desktop", "remove", "fakeapp")
	if readText(t, w.userEntry("fakeapp.desktop")) != mine || exists(backup) {
		t.Error("remove did not put the user's entry back")
	}
}

func TestDesktopInstallErrors(t *testing.T) {
	w := newDesktopWorld(t)
	w.systemEntry("other.desktop", "[Desktop Entry]\nType=Application\nName=Other\nExec=/usr/bin/other\n")
	w.systemEntry("link.desktop", "[Desktop Entry]\nType=Link\nName=Web\nURL=https://example.org\n")
	w.systemEntry("one.desktop", "[Desktop Entry]\nType=Application\nName=A\nExec=fakeapp --a\n")
	w.systemEntry("two.desktop", "[Desktop Entry]\nType=Application\nName=B\nExec=fakeapp --b\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"other"}, `no profile declares "other"`},
		{[]string{"-p", "no-such-profile", "other"}, "no-such-profile"},
		{[]string{"link"}, "not an application"},
		{[]string{"fakeapp"}, "several desktop entries run fakeapp: one.desktop, two.desktop"},
		{[]string{"nothing-like-it"}, "no desktop entry is called nothing-like-it"},
	}
	for _, tt := range tests {
		code, _, errb := w.sandbox(append([]string{"desktop", "install"}, tt.args...)...)
		if code != exitLauncher || !strings.Contains(errb, tt.want) {
			t.Errorf("install %q: exit %d, stderr %q; want %d and %q", tt.args, code, errb, exitLauncher, tt.want)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(w.dataHome, "applications")); len(entries) != 0 {
		t.Errorf("failed installs wrote files: %v", entries)
	}
	// With -p, a program no profile lists can be wrapped.
	w.mustSandbox("desktop", "install", "-p", "minimal", "other.desktop")
}

// TestWrapEntryCannotBeInjected checks that a value we write (here a
// profile path and an original path holding line breaks) stays one line:
// it cannot add a key or a group, such as an Exec that runs unsandboxed.
func TestWrapEntryCannotBeInjected(t *testing.T) {
	w := newDesktopWorld(t)
	self := w.self
	src := mustParse(t, "x.desktop", "[Desktop Entry]\nType=Application\nExec=app %u\n")
	evil := "p\nExec=/bin/evil\n[Desktop Action x]\nExec=/bin/evil"
	out, err := w.cli().wrapEntry(src, "x.desktop", wrapper{self: self, profile: evil}, evil, nil)
	if err != nil {
		t.Fatal(err)
	}
	back := mustParse(t, "x.desktop", out.String())
	if got := back.groups(); !reflect.DeepEqual(got, []string{groupEntry}) {
		t.Errorf("groups %q, want only [%s]:\n%s", got, groupEntry, out)
	}
	if got := back.str(groupEntry, keyProfile); got != evil {
		t.Errorf("%s reads back as %q", keyProfile, got)
	}
	if n := len(execLines(back)); n != 1 {
		t.Errorf("the wrapped entry has %d Exec lines, want 1:\n%s", n, out)
	}
	if why := w.cli().unsandboxed(back); why != "" {
		t.Errorf("the wrapped entry %s:\n%s", why, out)
	}
	svc := mustParse(t, "", serviceFile("x.desktop", "org.example.X", []string{"app"}, wrapper{self: self, profile: evil}, evil).String())
	if n := len(execLines(svc)); n != 1 || svc.str(groupDBus, keyOriginal) != evil {
		t.Errorf("the service file has %d Exec lines and %s=%q:\n%s", n, keyOriginal, svc.str(groupDBus, keyOriginal), svc)
	}
}
