package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// W4: a desktop entry is read by every GLib menu with GKeyFile, and what
// GLib reads as its Exec is what runs. `sandbox desktop` must read entries
// the same way, or an Exec it does not see survives install unsandboxed
// and audit says nothing. GLib itself (through python3-gi) is the judge
// here.

// glibExecs asks GLib what an entry runs: for the main group and each
// action, the Exec GLib reads, split as GLib splits it; and whether
// GDesktopAppInfo loads the entry at all.
const glibExecs = `
import json, sys, warnings
warnings.simplefilter("ignore")
from gi.repository import GLib, Gio
kf = GLib.KeyFile()
kf.load_from_file(sys.argv[1], GLib.KeyFileFlags.NONE)
try:
    loads = Gio.DesktopAppInfo.new_from_filename(sys.argv[1]) is not None
except TypeError:
    loads = False  # the constructor returned NULL
out = {"loads": loads, "exec": {}}
for g in kf.get_groups()[0]:
    if g == "Desktop Entry" or g.startswith("Desktop Action "):
        try:
            out["exec"][g] = list(GLib.shell_parse_argv(kf.get_string(g, "Exec"))[1])
        except GLib.Error:
            pass
print(json.dumps(out))
`

type glibEntry struct {
	Loads bool                `json:"loads"`
	Exec  map[string][]string `json:"exec"`
}

func readWithGLib(t *testing.T, path string) glibEntry {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "-c", glibExecs, path).Output()
	if err != nil {
		t.Fatalf("GLib reading %s: %v", path, err)
	}
	var e glibEntry
	if err := json.Unmarshal(out, &e); err != nil {
		t.Fatalf("GLib reading %s said %q: %v", path, out, err)
	}
	return e
}

// desktopHome is a user's data directories and a system one, with a
// profile for the program fakeapp, which exists so that GLib loads the
// entries that run it.
type desktopHome struct {
	root, system, data, fakeapp string
	env                         []string
}

func newDesktopHome(t *testing.T) *desktopHome {
	root := t.TempDir()
	h := &desktopHome{root: root, system: filepath.Join(root, "usr", "share"), data: filepath.Join(root, "home", ".local", "share"),
		fakeapp: filepath.Join(root, "bin", "fakeapp")}
	writeFile(t, filepath.Join(root, "config", "sandbox", "profiles", "fakeapp.toml"),
		"programs = [\"fakeapp\"]\nextends = [\"minimal\"]\n", 0o644)
	writeFile(t, h.fakeapp, "#!/bin/sh\necho fakeapp \"$@\"\n", 0o755)
	h.env = []string{"PATH=" + filepath.Dir(h.fakeapp) + ":/usr/bin:/bin", "HOME=" + filepath.Join(root, "home"),
		"XDG_DATA_HOME=" + h.data, "XDG_DATA_DIRS=" + h.system, "XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"LANG=C.UTF-8", "DBUS_SESSION_BUS_ADDRESS="}
	return h
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func (h *desktopHome) run(t *testing.T, args ...string) result {
	t.Helper()
	return sandboxCmd(t, asRoot, func(c *exec.Cmd) { c.Env = h.env }, append([]string{"desktop"}, args...)...)
}

// runsSandboxed checks that every command GLib finds in the entry at path
// runs the sandbox binary, with "--" before the program.
func runsSandboxed(t *testing.T, path string) {
	t.Helper()
	e := readWithGLib(t, path)
	if !e.Loads {
		t.Errorf("GLib does not load %s: it would start the system entry instead", path)
	}
	if len(e.Exec) == 0 {
		t.Errorf("GLib finds no Exec in %s", path)
	}
	for group, argv := range e.Exec {
		if len(argv) < 5 || argv[0] != sandboxBin || argv[1] != "-p" || argv[3] != "--" {
			t.Errorf("GLib runs [%s] of %s as %q: not through %s", group, path, argv, sandboxBin)
		}
	}
}

// TestW4DesktopEntryReadAsGLib plants the reproduction (a no-break space
// before "[x]=]", which GLib reads as a key and a naive parser as a group,
// then a second Exec) and checks that install refuses it, that audit flags
// an entry carrying it, and that an entry install does write runs only
// the sandbox in GLib's own reading, through CRLF line ends, a group
// written twice, translations and actions.
func TestW4DesktopEntryReadAsGLib(t *testing.T) {
	requireOrSkip(t, exec.Command("/usr/bin/python3", "-c", "from gi.repository import GLib, Gio").Run() == nil,
		"GLib judges these entries: install python3-gi and gir1.2-glib-2.0 (make deps)")
	h := newDesktopHome(t)
	const escape = "/bin/sh -c 'echo escaped'"
	w4 := "[Desktop Entry]\nType=Application\nName=W4\nExec=" + h.fakeapp + " %U\n\u00a0[x]=]\nExec=" + escape + "\n"
	sysW4 := filepath.Join(h.system, "applications", "w4.desktop")
	writeFile(t, sysW4, w4, 0o644)
	if got := readWithGLib(t, sysW4).Exec["Desktop Entry"]; strings.Join(got, " ") != "/bin/sh -c echo escaped" {
		t.Fatalf("the reproduction does not work: GLib reads its Exec as %q", got)
	}

	r := h.run(t, "install", "w4")
	if r.code != 125 || !strings.Contains(r.stderr, "sets Exec twice") {
		t.Errorf("install of the W4 entry: %s\nwant exit 125 and a refusal naming the second Exec", r)
	}
	userW4 := filepath.Join(h.data, "applications", "w4.desktop")
	if _, err := os.Lstat(userW4); err == nil {
		t.Errorf("the refused install wrote %s:\n%s", userW4, readFile(t, userW4))
	}

	// The entry as install wrote it before: the first Exec wrapped, the
	// second kept. GLib runs the second; audit must say so.
	old := "[Desktop Entry]\nX-Sandbox-Profile=fakeapp\nX-Sandbox-Original=" + sysW4 + "\nType=Application\nName=W4\n" +
		"Exec=" + sandboxBin + " -p fakeapp -- " + h.fakeapp + " %U\n\u00a0[x]=]\nExec=" + escape + "\n"
	writeFile(t, userW4, old, 0o644)
	if got := readWithGLib(t, userW4).Exec["Desktop Entry"]; got[0] != "/bin/sh" {
		t.Fatalf("GLib reads the old entry's Exec as %q", got)
	}
	r = h.run(t, "audit")
	if r.code != 1 || !strings.Contains(r.stdout, "w4.desktop: stale entry") || !strings.Contains(r.stdout, "sets Exec twice") {
		t.Errorf("audit with the old W4 entry: %s\nwant exit 1 and the entry flagged for its second Exec", r)
	}
	os.Remove(userW4)
	os.Remove(sysW4)

	// What install does write runs only the sandbox, as GLib reads it.
	tricky := "# comment\r\n[Desktop Entry]\r\nType=Application\r\nName=Tricky\r\nName[de]=Knifflig\r\nActions=one;two;\r\n" +
		"Exec=" + h.fakeapp + " --main %F\r\n\r\n[Desktop Action one]\r\nName=One\r\nExec=" + h.fakeapp + " --one\r\n" +
		"[Desktop Entry]\r\nComment=a group written twice is one group\r\n" +
		"[Desktop Action two]\r\nName=Two\r\nExec=env X=1 " + h.fakeapp + " \"--two words\""
	sysTricky := filepath.Join(h.system, "applications", "tricky.desktop")
	writeFile(t, sysTricky, tricky, 0o644)
	if r := h.run(t, "install", "tricky"); r.code != 0 {
		t.Fatalf("install of a well-formed entry: %s", r)
	}
	userTricky := filepath.Join(h.data, "applications", "tricky.desktop")
	runsSandboxed(t, userTricky)
	if e := readWithGLib(t, userTricky); len(e.Exec) != 3 {
		t.Errorf("GLib finds %d commands in the written entry, want 3: %v", len(e.Exec), e.Exec)
	}
	if r := h.run(t, "audit"); r.code != 0 {
		t.Errorf("audit after install: %s", r)
	}
}

// TestW4AuditSeesEntriesGLibSkips checks the other half of GLib's reading:
// an entry of the user's that GLib cannot load does not hide the system
// entry, GLib starts the system one instead, so audit flags it.
func TestW4AuditSeesEntriesGLibSkips(t *testing.T) {
	requireOrSkip(t, exec.Command("/usr/bin/python3", "-c", "from gi.repository import GLib, Gio").Run() == nil,
		"GLib judges these entries: install python3-gi and gir1.2-glib-2.0 (make deps)")
	h := newDesktopHome(t)
	for id, user := range map[string]string{
		// Hidden=true deletes an application only where GLib loads
		// the entry, which needs Type=Application.
		"hidden.desktop": "[Desktop Entry]\nHidden=true\n",
		// A line GLib cannot read makes it refuse the whole file.
		"broken.desktop": "[Desktop Entry]\nType=Application\nExec=" + sandboxBin + " -p fakeapp -- fakeapp\nnot a key\n",
	} {
		writeFile(t, filepath.Join(h.system, "applications", id), "[Desktop Entry]\nType=Application\nName=X\nExec="+h.fakeapp+"\n", 0o644)
		path := filepath.Join(h.data, "applications", id)
		writeFile(t, path, user, 0o644)
		if readWithGLibLoads(t, path) {
			t.Fatalf("GLib loads %s; the case proves nothing", id)
		}
	}
	r := h.run(t, "audit")
	for _, want := range []string{"hidden.desktop: GLib skips your entry", "broken.desktop: GLib cannot load your entry"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("audit does not say %q: %s", want, r)
		}
	}
}

// readWithGLibLoads reports whether GLib's GDesktopAppInfo loads path.
func readWithGLibLoads(t *testing.T, path string) bool {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "-W", "ignore", "-c",
		"import sys\nfrom gi.repository import Gio\ntry:\n    print(Gio.DesktopAppInfo.new_from_filename(sys.argv[1]) is not None)\nexcept TypeError:\n    print(False)  # the constructor returned NULL", path).Output()
	if err != nil {
		t.Fatalf("GLib reading %s: %v", path, err)
	}
	return strings.TrimSpace(string(out)) == "True"
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}
