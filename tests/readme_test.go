package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README and the docs are what a new user follows line by line: these
// tests follow them too, as an unprivileged user with a home of their own.

// docProfile is one ```toml block of a document. Every such block is a
// complete profile (docs/docs_test.go loads each one); a fragment that is
// not a profile is written in another fence (```ini, or plain ```).
type docProfile struct {
	doc  string
	line int
	text string
}

var tomlFence = regexp.MustCompile("(?ms)^```toml\n(.*?)^```")

func docProfiles(t *testing.T) []docProfile {
	t.Helper()
	docs, _ := filepath.Glob("../docs/*.md")
	var out []docProfile
	for _, doc := range append([]string{"../README.md"}, docs...) {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tomlFence.FindAllSubmatchIndex(text, -1) {
			line := strings.Count(string(text[:m[2]]), "\n") + 1
			out = append(out, docProfile{doc: strings.TrimPrefix(doc, "../"), line: line, text: string(text[m[2]:m[3]])})
		}
	}
	return out
}

// TestReadmeExamplesCheck runs `sandbox check` on every complete profile of
// README.md and docs/*.md, from a project directory of a home that has the
// directories the examples name, as an unprivileged user.
func TestReadmeExamplesCheck(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "running as an unprivileged user needs the tests to run as root")
	w := newUserWorld(t)
	for _, d := range []string{"notes", "Downloads", "project", "src"} {
		os.MkdirAll(filepath.Join(w.home, d), 0o755)
	}
	examples := docProfiles(t)
	if len(examples) < 20 {
		t.Fatalf("found %d TOML examples in README.md and docs/*.md; the docs have more", len(examples))
	}
	for i, ex := range examples {
		w.write(t, fmt.Sprintf("examples/ex%d.toml", i), ex.text)
	}
	w.own(t)
	for i, ex := range examples {
		// Explicit id maps are for a launcher running as root, by
		// design: such an example is checked as root only.
		modes := []mode{asRoot, asRootless}
		if regexp.MustCompile(`(?m)^(uid|gid)_map\b|identity\.(uid|gid)_map`).MatchString(ex.text) {
			modes = modes[:1]
		}
		for _, m := range modes {
			r := w.in(t, m, filepath.Join(w.home, "project"), "check", filepath.Join(w.home, "examples", fmt.Sprintf("ex%d.toml", i)))
			if r.code != 0 {
				t.Errorf("%s:%d: sandbox check (%s) fails on this example: %s", ex.doc, ex.line, m.name, r)
			}
		}
	}
}

// TestReadmeFirstProfile follows "A first profile" as written: make ~/notes,
// save the profile as ~/.config/sandbox/profiles/notes.toml, check it,
// explain it, see that `vim` now maps to it, and edit a note with
// `sandbox vim todo.txt`, which must land in ~/notes on the host; then the
// "Start here" command.
func TestReadmeFirstProfile(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "running as an unprivileged user needs the tests to run as root")
	requireTool(t, "vim")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## A first profile")
	if start < 0 {
		t.Fatal(`README.md has no "## A first profile" section`)
	}
	section = section[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	for _, step := range []string{"mkdir -p ~/notes", "~/.config/sandbox/profiles/notes.toml", "sandbox check notes", "sandbox explain notes", "sandbox which vim", "sandbox vim todo.txt"} {
		if !strings.Contains(section, step) {
			t.Fatalf("the first-profile section no longer says %q; update this test with it", step)
		}
	}
	m := tomlFence.FindStringSubmatch(section)
	if m == nil {
		t.Fatal("the first-profile section has no ```toml block")
	}
	w := newUserWorld(t)
	if err := os.MkdirAll(filepath.Join(w.home, "notes"), 0o755); err != nil { // mkdir -p ~/notes
		t.Fatal(err)
	}
	w.write(t, ".config/sandbox/profiles/notes.toml", m[1])
	w.own(t)
	for _, args := range [][]string{{"check", "notes"}, {"explain", "notes"}} {
		if r := w.in(t, asRootless, w.home, args...); r.code != 0 {
			t.Fatalf("sandbox %v: %s", args, r)
		}
	}
	if r := w.in(t, asRootless, w.home, "which", "vim"); r.code != 0 || !strings.HasPrefix(r.stdout, "vim: profile notes (") {
		t.Fatalf("sandbox which vim does not pick the user's notes profile: %s", r)
	}
	// `sandbox vim todo.txt`, typing a line and :wq, done by ex commands.
	r := w.in(t, asRootless, w.home, "vim", "-n", "-e", "-s", "-c", "call setline(1, 'buy milk')", "-c", "wq", "todo.txt")
	if r.code != 0 {
		t.Fatalf("sandbox vim todo.txt: %s", r)
	}
	if strings.Contains(r.stderr, "notice") {
		t.Errorf("the profile sets cwd_notice = false, yet: %s", r.stderr)
	}
	got, err := os.ReadFile(filepath.Join(w.home, "notes", "todo.txt"))
	if err != nil || string(got) != "buy milk\n" {
		t.Fatalf("~/notes/todo.txt on the host: %q, %v; the note was lost", got, err)
	}
	// "Start here".
	r = w.in(t, asRootless, w.home, "-p", "minimal", "--", "/bin/sh", "-c", "id; ls /")
	if r.code != 0 || !strings.Contains(r.stdout, "uid=") || !strings.Contains(r.stdout, "usr") {
		t.Errorf("the Start here command: %s", r)
	}
}
