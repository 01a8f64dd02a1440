package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"sandbox/internal/testutil"
)

// longestLine is the width of text's widest line.
func longestLine(text string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

func TestListFitsColumns(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("COLUMNS", "")
	var all bytes.Buffer
	cmdList(nil, &all, io.Discard)
	whole := all.String()
	for _, width := range []int{60, 80, 120} {
		t.Setenv("COLUMNS", fmt.Sprint(width))
		var out, errb bytes.Buffer
		if code := cmdList(nil, &out, &errb); code != 0 {
			t.Fatalf("list: exit %d: %s", code, errb.String())
		}
		if n := longestLine(out.String()); n > width {
			t.Errorf("COLUMNS=%d: a line of %d columns:\n%s", width, n, out.String())
		}
		// Wrapping moves text, never drops it.
		if glyphs(out.String()) != glyphs(whole) {
			t.Errorf("COLUMNS=%d: text was lost:\n%s", width, out.String())
		}
	}
	// A pipe without $COLUMNS gets whole lines, for scripts and grep.
	if !strings.Contains(whole, "Untrusted tools and coding agents: the current project only") {
		t.Errorf("without a width, a description was wrapped:\n%s", whole)
	}
}

// glyphs are text's characters but spaces, sorted: what a wrap must keep.
func glyphs(text string) string {
	r := []rune(strings.Join(strings.Fields(text), ""))
	slices.Sort(r)
	return string(r)
}

func TestExplainFitsColumns(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, name := range []string{"firefox", "agent", "minimal"} {
		for _, width := range []int{72, 100} {
			t.Setenv("COLUMNS", fmt.Sprint(width))
			var out, errb bytes.Buffer
			if code := cmdExplain([]string{name}, &out, &errb); code != 0 {
				t.Fatalf("explain %s: exit %d: %s", name, code, errb.String())
			}
			for _, l := range strings.Split(out.String(), "\n") {
				// Only a single word longer than the line may stick out.
				if utf8.RuneCountInString(l) > width && strings.Contains(strings.TrimSpace(l), " ") {
					t.Errorf("explain %s, COLUMNS=%d: %d columns: %q", name, width, utf8.RuneCountInString(l), l)
				}
			}
			t.Setenv("COLUMNS", "")
			var whole bytes.Buffer
			cmdExplain([]string{name}, &whole, io.Discard)
			if glyphs(whole.String()) != glyphs(out.String()) && !strings.Contains(out.String(), "  (") {
				t.Errorf("explain %s, COLUMNS=%d: wrapping changed the text", name, width)
			}
		}
	}
}

// TestListFitsTerminal runs list on a terminal of 64 columns: the
// terminal's size wins over $COLUMNS.
func TestListFitsTerminal(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("COLUMNS", "200")
	m, s := testutil.OpenPTY(t)
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 64}); err != nil {
		t.Fatal(err)
	}
	if w := outputWidth(s); w != 64 {
		t.Fatalf("outputWidth on a 64-column terminal = %d", w)
	}
	got := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, m) // ends with EIO once the slave is closed
		got <- b.String()
	}()
	if code := cmdList(nil, s, io.Discard); code != 0 {
		t.Fatalf("list: exit %d", code)
	}
	// A terminal that does not know its size is 80 wide.
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COLUMNS", "")
	if w := outputWidth(s); w != 80 {
		t.Errorf("outputWidth on a terminal of unknown size = %d, want 80", w)
	}
	s.Close()
	out := strings.ReplaceAll(<-got, "\r", "")
	if n := longestLine(out); n > 64 || !strings.Contains(out, "agent") {
		t.Errorf("a line of %d columns on a 64-column terminal:\n%s", n, out)
	}
}
