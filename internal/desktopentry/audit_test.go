package desktopentry

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sandbox/profile"
)

// TestDesktopAuditFindsEachBypass sets up one application per way the
// desktop can start a program with a profile outside its sandbox, checks
// that audit names each with its fix, and that running the fixes leaves
// audit clean.
func TestDesktopAuditFindsEachBypass(t *testing.T) {
	w := newDesktopWorld(t)
	app := func(name string) string {
		return "[Desktop Entry]\nType=Application\nName=" + name + "\nExec=/usr/bin/fakeapp --" + name + " %U\n"
	}
	// No entry of ours hides the system one.
	w.systemEntry("unwrapped.desktop", app("unwrapped"))
	// The user's own copy, not through sandbox.
	w.systemEntry("usercopy.desktop", app("usercopy"))
	w.write(w.userEntry("usercopy.desktop"), app("usercopy"))
	// Ours, then edited to run the program directly.
	w.systemEntry("edited.desktop", app("edited"))
	// Ours, but an action added by hand runs the program directly.
	w.systemEntry("action.desktop", app("action"))
	// Ours, but the sandbox binary it names is gone.
	w.systemEntry("moved.desktop", app("moved"))
	// D-Bus activatable: our menu entry is fine, the service file is missing.
	w.systemEntry("org.example.Bus.desktop", "[Desktop Entry]\nType=Application\nName=Bus\nDBusActivatable=true\nExec=fakeapp\n")
	w.systemService("org.example.Bus", "/usr/bin/fakeapp --gapplication-service")

	// Not findings: an application without a profile, a user entry that
	// hides an application by deleting it, a hand-written entry that
	// already runs sandbox, and a system entry that is hidden.
	w.systemEntry("noprofile.desktop", "[Desktop Entry]\nType=Application\nName=N\nExec=/usr/bin/unrelated\n")
	w.systemEntry("deleted.desktop", app("deleted"))
	w.write(w.userEntry("deleted.desktop"), "[Desktop Entry]\nType=Application\nHidden=true\n")
	w.systemEntry("handmade.desktop", app("handmade"))
	w.write(w.userEntry("handmade.desktop"), "[Desktop Entry]\nType=Application\nName=H\nExec=sandbox -p fakeapp -- fakeapp\n")
	t.Setenv("PATH", filepath.Dir(w.self)+":"+os.Getenv("PATH")) // where handmade finds sandbox
	w.systemEntry("hidden.desktop", app("hidden")+"Hidden=true\n")

	w.mustSandbox("desktop", "install", "edited", "action", "moved", "org.example.Bus")
	edit := func(id, old, new string) {
		path := w.userEntry(id)
		text := readText(t, path)
		if !strings.Contains(text, old) {
			t.Fatalf("%s has no %q:\n%s", path, old, text)
		}
		w.write(path, strings.Replace(text, old, new, 1))
	}
	edit("edited.desktop", w.self+" -p fakeapp -- ", "")
	edit("action.desktop", "Exec=", "Actions=direct;\nExec=")
	w.write(w.userEntry("action.desktop"), readText(t, w.userEntry("action.desktop"))+"\n[Desktop Action direct]\nName=Direct\nExec=/usr/bin/fakeapp --direct\n")
	edit("moved.desktop", w.self, w.root+"/gone/sandbox")
	if err := os.Remove(w.userService("org.example.Bus")); err != nil {
		t.Fatal(err)
	}

	code, out, errb := w.sandbox("desktop", "audit")
	if code != 1 {
		t.Fatalf("audit: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errb)
	}
	want := map[string]string{
		"unwrapped.desktop":       "fix: sandbox desktop install unwrapped.desktop",
		"usercopy.desktop":        "fix: sandbox desktop install --force usercopy.desktop",
		"edited.desktop":          "fix: sandbox desktop install -p fakeapp edited.desktop",
		"action.desktop":          "[Desktop Action direct] Exec runs /usr/bin/fakeapp directly",
		"moved.desktop":           "no longer an executable file",
		"org.example.Bus.desktop": "D-Bus activation of org.example.Bus starts it unsandboxed",
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Errorf("audit printed %d findings, want %d:\n%s", len(lines), len(want), out)
	}
	for id, part := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, id+": ") && strings.Contains(l, part) && strings.Contains(l, "; fix: sandbox desktop install") {
				found = true
			}
		}
		if !found {
			t.Errorf("audit does not report %s with %q:\n%s", id, part, out)
		}
	}

	// Each finding's own fix command clears it.
	for _, l := range lines {
		_, fix, ok := strings.Cut(l, "; fix: sandbox ")
		if !ok {
			t.Fatalf("a finding without a fix: %q", l)
		}
		w.mustSandbox(strings.Fields(fix)...)
	}
	code, out, _ = w.sandbox("desktop", "audit")
	if code != 0 || !strings.Contains(out, "8 applications with a profile") {
		t.Errorf("audit after the fixes: exit %d, want 0 and 8 applications checked\n%s", code, out)
	}
}

// TestDesktopAuditCleanSystem checks that audit passes when no application
// has a profile, and when every one is installed.
func TestDesktopAuditCleanSystem(t *testing.T) {
	w := newDesktopWorld(t)
	w.systemEntry("unrelated.desktop", "[Desktop Entry]\nType=Application\nName=U\nExec=/usr/bin/unrelated\n")
	if code, out, _ := w.sandbox("desktop", "audit"); code != 0 {
		t.Errorf("audit with no profiled application: exit %d\n%s", code, out)
	}
	w.systemEntry("fakeapp.desktop", "[Desktop Entry]\nType=Application\nName=F\nExec=fakeapp %f\n")
	if code, _, _ := w.sandbox("desktop", "audit"); code != 1 {
		t.Errorf("audit with an unwrapped application: exit %d, want 1", code)
	}
	w.mustSandbox("desktop", "install", "fakeapp")
	if code, out, _ := w.sandbox("desktop", "audit"); code != 0 {
		t.Errorf("audit after install: exit %d\n%s", code, out)
	}
}

// TestProgramIndexAgreesWithFindByProgram checks audit's one-pass index
// against the lookup a launch uses, for every program of every installed
// profile, including one that two profiles of one level list (neither is
// chosen) and one that a user profile takes from a built-in one.
func TestProgramIndexAgreesWithFindByProgram(t *testing.T) {
	w := newDesktopWorld(t)
	w.write(w.root+"/config/sandbox/profiles/aaa.toml", "programs = [\"fakeapp\", \"aaa\", \"vim\"]\nextends = [\"minimal\"]\n")
	c := w.options(io.Discard, io.Discard)
	entries := profile.List(c.Src)
	// audit's one-pass index, as audit.go builds it.
	claims := profile.IndexPrograms(entries, c.Src)
	index := map[string]string{}
	for _, prog := range claims.Programs() {
		if ch, err := claims.Resolve(prog); err == nil {
			index[prog] = ch.Name
		}
	}
	checked := 0
	for _, e := range entries {
		for _, prog := range e.Programs {
			want, _ := profile.FindByProgram(prog, c.Env, c.Src)
			if index[prog] != want {
				t.Errorf("program %s: index says %q, FindByProgram %q", prog, index[prog], want)
			}
			checked++
		}
	}
	if index["fakeapp"] != "" || index["vim"] != "aaa" || checked < 3 {
		t.Errorf("fakeapp maps to %q (want none: two user profiles list it), vim to %q (want the user's aaa), %d programs checked",
			index["fakeapp"], index["vim"], checked)
	}
}

// TestDesktopAuditNamesAClaimConflict: an application whose program two of
// the user's profiles list has no profile chosen (a launch and install
// refuse it); audit says so, naming both files, rather than skipping it.
func TestDesktopAuditNamesAClaimConflict(t *testing.T) {
	w := newDesktopWorld(t)
	w.write(w.root+"/config/sandbox/profiles/other.toml", "programs = [\"fakeapp\"]\nextends = [\"minimal\"]\n")
	w.systemEntry("clash.desktop", "[Desktop Entry]\nType=Application\nName=C\nExec=/usr/bin/fakeapp %U\n")
	code, out, _ := w.sandbox("desktop", "audit")
	if code != 1 || !strings.Contains(out, "clash.desktop: the menu starts /usr/bin/fakeapp unsandboxed, and no profile is chosen") ||
		!strings.Contains(out, "other.toml") || !strings.Contains(out, "fakeapp.toml") {
		t.Errorf("audit with two profiles claiming fakeapp: exit %d\n%s", code, out)
	}
	code, _, errb := w.sandbox("desktop", "install", "clash")
	if code == 0 || !strings.Contains(errb, "other.toml") {
		t.Errorf("install with two profiles claiming fakeapp: exit %d\n%s", code, errb)
	}
}
