package tests

import (
	"bytes"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// TestListAndExplainFitTheTerminal runs list and explain as the
// unprivileged user with their output on a 70-column terminal, and on a
// pipe with COLUMNS=90: no line is wider, and the words are all there.
// A pipe without COLUMNS gets whole lines.
func TestListAndExplainFitTheTerminal(t *testing.T) {
	requireOrSkip(t, unix.Geteuid() == 0, "running as the unprivileged user needs the tests to run as root")
	for _, args := range [][]string{{"list"}, {"explain", "firefox"}} {
		p := openPTY(t)
		if err := unix.IoctlSetWinsize(int(p.slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 70}); err != nil {
			t.Fatal(err)
		}
		got := make(chan string)
		go func() {
			var b bytes.Buffer
			io.Copy(&b, p.master) // until the slave's last holder closes it
			got <- b.String()
		}()
		r := sandboxCmd(t, asRootless, func(c *exec.Cmd) { c.Stdout = p.slave }, args...)
		p.slave.Close()
		out := strings.ReplaceAll(<-got, "\r", "")
		if r.code != 0 || !strings.Contains(out, "firefox") {
			t.Fatalf("%q on a terminal: %s\noutput:\n%s", args, r, out)
		}
		checkWidth(t, args, out, 70)

		piped := sandboxCmd(t, asRootless, func(c *exec.Cmd) { c.Env = append(c.Env, "COLUMNS=90") }, args...)
		checkWidth(t, args, piped.stdout, 90)
		whole := sandbox(t, asRootless, args...)
		if sameGlyphs(whole.stdout) != sameGlyphs(out) && args[0] == "list" {
			t.Errorf("%q: wrapping lost text", args)
		}
		if args[0] == "list" && !strings.Contains(whole.stdout, "Untrusted tools and coding agents: the current project only") {
			t.Errorf("list on a pipe without COLUMNS was wrapped:\n%s", whole.stdout)
		}
	}
}

func checkWidth(t *testing.T, args []string, out string, width int) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) > width && strings.Contains(strings.TrimSpace(l), " ") {
			t.Errorf("%q at %d columns: a line of %d: %q", args, width, utf8.RuneCountInString(l), l)
		}
	}
}

// sameGlyphs is text without its spaces, sorted: what wrapping keeps.
func sameGlyphs(text string) string {
	r := []rune(strings.Join(strings.Fields(text), ""))
	slices.Sort(r)
	return string(r)
}
