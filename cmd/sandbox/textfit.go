package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"sandbox/internal/lazy"
)

// textTable is a table of columns separated by two spaces. A column with
// a wrap priority may be narrowed to fit a width, its text wrapped onto
// more lines of the same row: priority 1 first, priority 2 only when the
// first are as narrow as they go; 0 keeps its natural width. Nothing is
// cut: a table that cannot fit even with its wrapping columns at minWrap
// is printed wider than asked.
type textTable struct {
	indent string
	wrap   []int
	rows   [][]string
}

const (
	columnGap = 2
	minWrap   = 10
)

func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the table fitted to width (0: no limit).
func (t *textTable) write(w io.Writer, width int) {
	if len(t.rows) == 0 {
		return
	}
	n := len(t.rows[0])
	widths := make([]int, n)
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	if width > 0 {
		t.narrow(widths, width)
	}
	for _, r := range t.rows {
		cells := make([][]string, n)
		lines := 1
		for i, c := range r {
			if t.wrap[i] > 0 {
				cells[i] = wrapWords(c, widths[i])
			} else {
				cells[i] = []string{c}
			}
			lines = max(lines, len(cells[i]))
		}
		for l := 0; l < lines; l++ {
			var b strings.Builder
			b.WriteString(t.indent)
			for i := range cells {
				s := ""
				if l < len(cells[i]) {
					s = cells[i][l]
				}
				b.WriteString(s)
				if i < n-1 {
					b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s)+columnGap))
				}
			}
			fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		}
	}
}

// narrow takes columns off the widest wrapping column of the first
// priority, one at a time, until the table fits width or those columns are
// at minWrap; then off the second priority's.
func (t *textTable) narrow(widths []int, width int) {
	total := utf8.RuneCountInString(t.indent) + columnGap*(len(widths)-1)
	for _, w := range widths {
		total += w
	}
	for prio := 1; prio <= 2; prio++ {
		for total > width {
			widest := -1
			for i, w := range widths {
				if t.wrap[i] == prio && w > minWrap && (widest < 0 || w > widths[widest]) {
					widest = i
				}
			}
			if widest < 0 {
				break
			}
			widths[widest]--
			total--
		}
	}
}

// wrapWords breaks s into lines of at most width runes, after a space or
// a comma; a word longer than width is broken where it must be.
func wrapWords(s string, width int) []string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return []string{s}
	}
	var out []string
	for utf8.RuneCountInString(s) > width {
		r := []rune(s)
		cut := breakAt(r, width, func(prev, next rune) bool { return next == ' ' || prev == ',' || prev == ' ' })
		if cut <= 0 {
			// A path or a $PATH value: after a / or a :.
			cut = breakAt(r, width, func(prev, _ rune) bool { return prev == '/' || prev == ':' })
		}
		if cut <= 0 {
			cut = width
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		s = strings.TrimLeft(string(r[cut:]), " ")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// breakAt is the last place at or before width where ok allows a break
// between two runes, or -1.
func breakAt(r []rune, width int, ok func(prev, next rune) bool) int {
	for i := width; i > 0; i-- {
		if ok(r[i-1], r[i]) {
			return i
		}
	}
	return -1
}

// itemPrefix is the part of a line its continuation lines align under:
// the indentation, and a list marker ("12. ", "- ") if there is one.
// Compiled when explain first wraps a line, not at every start.
func itemPrefix() *regexp.Regexp { return itemPrefixValue.Get() }

var itemPrefixValue = lazy.Value[*regexp.Regexp]{Make: func() *regexp.Regexp { return regexp.MustCompile(`^ *(?:[0-9]+\. +|- +)?`) }}

// fitLines wraps every line of text longer than width (0: none) at word
// boundaries, continuing under the line's own text, so that explain's
// steps, loosenings and notes stay readable in a narrow terminal.
func fitLines(w io.Writer, text string, width int) {
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimSuffix(line, "\n")
		if width <= 0 || utf8.RuneCountInString(body) <= width {
			io.WriteString(w, line)
			continue
		}
		prefix := itemPrefix().FindString(body)
		hang := strings.Repeat(" ", utf8.RuneCountInString(prefix))
		if prefix == strings.Repeat(" ", len(prefix)) {
			hang += "  " // a plain line: continue a little further in
		}
		avail := width - utf8.RuneCountInString(hang)
		first := wrapWords(strings.TrimPrefix(body, prefix), width-utf8.RuneCountInString(prefix))
		fmt.Fprintln(w, prefix+first[0])
		rest := strings.Join(first[1:], " ")
		if avail < minWrap {
			avail = minWrap
		}
		for _, l := range wrapWords(rest, avail) {
			if l != "" {
				fmt.Fprintln(w, hang+l)
			}
		}
	}
}
