package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArgNotices runs commands whose arguments name host paths the
// sandbox does not show: the launch says so before it runs, once per path,
// with the flag that shows it, and says nothing once the path is visible.
// This is the page a browser would otherwise wait for in silence.
func TestArgNotices(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		// Reachable by the sandbox's host id in both modes.
		dir, err := os.MkdirTemp("", "sandbox-it-args-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		os.Chmod(dir, 0o755)
		page := filepath.Join(dir, "page.html")
		if err := os.WriteFile(page, []byte("the page\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		hidden := "sandbox: notice: " + page + ", named on the command line, is not visible in the sandbox"

		r := sandbox(t, m, "-p", "minimal", "--", "/bin/cat", page, "file://"+page)
		if r.code == 0 || strings.Count(r.stderr, hidden) != 1 || !strings.Contains(r.stderr, "--ro-bind "+page) {
			t.Errorf("a hidden file: want one notice naming --ro-bind %s and a failing cat: %s", page, r)
		}
		// The control: shown, it is read, and nothing is said.
		r = sandbox(t, m, "--ro-bind", dir, "-p", "minimal", "--", "/bin/sh", "-c", `cat "$1"`, "sh", page, "file://"+page)
		if r.code != 0 || r.stdout != "the page\n" || strings.Contains(r.stderr, "notice") {
			t.Errorf("a shown file: want it read without a notice: %s", r)
		}
		// An output in a directory whose writes the sandbox does not
		// keep.
		out := filepath.Join(dir, "shot.png")
		r = sandbox(t, m, "-p", "minimal", "--", "/bin/true", "--screenshot="+out)
		if !strings.Contains(r.stderr, "sandbox: notice: "+out+", named on the command line, would be written to") ||
			!strings.Contains(r.stderr, "--bind "+dir+" keeps it") {
			t.Errorf("an output that would be lost: %s", r)
		}
		// A profile that says this is intended.
		quiet := writeProfile(t, "q.toml", "extends = [\"minimal\"]\n[filesystem]\ncwd_notice = false\n")
		if r := sandbox(t, m, "-p", quiet, "--", "/bin/true", page); strings.Contains(r.stderr, "notice") {
			t.Errorf("cwd_notice = false still says: %s", r)
		}
		// A cached launch says it too, once.
		c := newCacheRun(t, m)
		for i, want := range []string{"stored", "hit"} {
			r := c.run(t, "-p", "minimal", "--", "/bin/true", page)
			if strings.Count(r.stderr, hidden) != 1 || !strings.Contains(r.stderr, "plan cache: "+want) {
				t.Errorf("cached launch %d: want the notice once and %q: %s", i+1, want, r)
			}
		}
		// The path's existence is an input of the plan: once the output
		// exists, the cached plan's notice would be stale, and the
		// launch goes the ordinary way and says what is true now.
		later := filepath.Join(dir, "later.txt")
		r = c.run(t, "-p", "minimal", "--", "/bin/true", later)
		if !strings.Contains(r.stderr, later+", named on the command line, would be written to") || !strings.Contains(r.stderr, "plan cache: stored") {
			t.Fatalf("before the file exists: %s", r)
		}
		if err := os.WriteFile(later, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r = c.run(t, "-p", "minimal", "--", "/bin/true", later)
		if strings.Contains(r.stderr, "plan cache: hit") || !strings.Contains(r.stderr, later+", named on the command line, is not visible") {
			t.Errorf("after the file exists: want a miss and the new notice: %s", r)
		}
	})
}
