package desktopentry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrapEntryRefusesAmbiguousEntries checks each entry that a GLib menu
// could run differently from what we would wrap: a second Exec, however
// hidden, and a first group other than [Desktop Entry].
func TestWrapEntryRefusesAmbiguousEntries(t *testing.T) {
	world := newDesktopWorld(t)
	w := wrapper{self: world.self, profile: "fakeapp"}
	tests := map[string]struct{ entry, want string }{
		"a no-break space before a group-like key": {"[Desktop Entry]\nType=Application\nExec=fakeapp\n\u00a0[x]=]\nExec=/bin/evil\n", "sets Exec twice (lines 3 and 5)"},
		"a second Exec":            {"[Desktop Entry]\nType=Application\nExec=fakeapp\nExec=/bin/evil\n", "sets Exec twice"},
		"a group written twice":    {"[Desktop Entry]\nExec=fakeapp\n[X]\n[Desktop Entry]\nExec=/bin/evil\n", "sets Exec twice"},
		"an action's second Exec":  {"[Desktop Entry]\nExec=fakeapp\n[Desktop Action a]\nExec=fakeapp\nExec=/bin/evil\n", "[Desktop Action a] sets Exec twice"},
		"a translated second Exec": {"[Desktop Entry]\nExec=fakeapp\nExec[de]=fakeapp\nExec[de]=/bin/evil\n", "sets Exec[de] twice"},
		"another first group":      {"[Other]\nExec=/bin/evil\n[Desktop Entry]\nExec=fakeapp\n", "starts with the group [Other]"},
	}
	for name, tt := range tests {
		src := mustParse(t, "x.desktop", tt.entry)
		if _, err := world.cli().wrapEntry(src, "x.desktop", w, "/orig", nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: wrapEntry error %v, want %q", name, err, tt.want)
		}
	}
}

// TestWrapEntryMergedGroup checks an entry whose [Desktop Entry] comes
// twice with one Exec: the markers are written once, and the result reads
// back sandboxed.
func TestWrapEntryMergedGroup(t *testing.T) {
	w := newDesktopWorld(t)
	self := w.self
	src := mustParse(t, "x.desktop", "[Desktop Entry]\nType=Application\n[Desktop Action a]\nExec=fakeapp --a\n[Desktop Entry]\nExec=fakeapp %u\nDBusActivatable=true\n")
	out, err := w.cli().wrapEntry(src, "x.desktop", wrapper{self: self, profile: "fakeapp"}, "/orig", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.keyLines(groupEntry, keyProfile)); n != 1 {
		t.Errorf("%d %s lines, want 1:\n%s", n, keyProfile, out)
	}
	if why := w.cli().unsandboxed(out); why != "" || out.boolean(groupEntry, dbusActivatable) {
		t.Errorf("the merged entry %s (DBusActivatable %v):\n%s", why, out.boolean(groupEntry, dbusActivatable), out)
	}
}

// TestWrapEntryKeepsLineEnds checks that a rewrite changes only the lines
// it must: a CRLF file keeps its CRs, and a last line without a newline
// stays so.
func TestWrapEntryKeepsLineEnds(t *testing.T) {
	w := newDesktopWorld(t)
	self := w.self
	src := mustParse(t, "x.desktop", "[Desktop Entry]\r\nType=Application\r\nExec=fakeapp\r\nName=last")
	out, err := w.cli().wrapEntry(src, "x.desktop", wrapper{self: self, profile: "fakeapp"}, "/orig", nil)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.Contains(text, "[Desktop Entry]\r\n") || !strings.Contains(text, "Type=Application\r\n") || !strings.HasSuffix(text, "\nName=last") {
		t.Errorf("line ends changed:\n%q", text)
	}
}

// TestExecFieldCodesOutsideTheProgram checks that a field code in the
// sandbox part of a command line is flagged, since a menu expands it
// before it splits the line, and that a percent sign in our own paths is
// written as "%%".
func TestExecFieldCodesOutsideTheProgram(t *testing.T) {
	w := newDesktopWorld(t)
	pctDir := filepath.Join(w.root, "100%u")
	pctSelf := filepath.Join(pctDir, "sandbox")
	w.write(pctSelf, "#!/bin/sh\n")
	os.Chmod(pctSelf, 0o755)
	w.useBinary(pctSelf)
	for value, want := range map[string]string{
		joinExec([]string{pctSelf, "-p", "x", "--", "app"}):                     "field code before the program",
		joinExec([]string{w.self, "-p", "%c", "--", "app"}):                     "field code before the program",
		wrapper{self: pctSelf, profile: "a%b"}.execValue([]string{"app", "%U"}): "",
		joinExec([]string{w.self, "-p", "x", "--", "app", "%U"}):                "not this sandbox binary",
	} {
		got := w.cli().execNotThroughSandbox(value)
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("Exec=%s: %q, want %q", value, got, want)
		}
	}
}

// TestNotThroughSandboxNeedsTheRealBinary checks that a program merely
// named sandbox proves nothing.
func TestNotThroughSandboxNeedsTheRealBinary(t *testing.T) {
	w := newDesktopWorld(t)
	fake := filepath.Join(w.root, "elsewhere", "sandbox")
	w.write(fake, "#!/bin/sh\nexec \"$@\"\n")
	os.Chmod(fake, 0o755)
	if why := w.cli().notThroughSandbox([]string{fake, "-p", "x", "--", "app"}, false); !strings.Contains(why, "not this sandbox binary") {
		t.Errorf("an impostor named sandbox: %q", why)
	}
	if why := w.cli().notThroughSandbox([]string{w.self, "-p", "x", "--", "app"}, false); why != "" {
		t.Errorf("the real binary: %q", why)
	}
	if why := w.cli().notThroughSandbox([]string{"sandbox", "-p", "x", "--", "app"}, true); !strings.Contains(why, "not an absolute path") {
		t.Errorf("a D-Bus service file naming sandbox without a path: %q", why)
	}
}
