package profile

import (
	"cmp"
	"fmt"
	"sandbox/internal/srcpos"
	"slices"
	"strings"
)

// Error is one problem in a profile. Line and Col are 1-based and zero for
// a problem with the file as a whole (it cannot be read, it is a FIFO, the
// extends chain is too deep). Key is the dotted key ("mount[2].target"),
// empty when the problem is not about one key. Msg says what is wrong and
// what to write instead.
type Error struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Key  string `json:"key"`
	Msg  string `json:"message"`
	// Situation is set when the caller's situation, not the file, caused
	// the problem (the directory sandbox was started from, for ${CWD}):
	// it says what that situation is, so that the CLI can tell the user
	// what to change when the file is a built-in one they cannot edit.
	Situation string `json:"-"`
	// Check names the rule of the language that found the problem
	// (checks.go), or is empty for a problem with one value.
	Check string `json:"-"`
}

// Error formats the problem as "file:line:col: key: message", the form
// editors and compilers use, so a terminal can jump to the line.
func (e *Error) Error() string { return srcpos.Format(e.File, e.Line, e.Col, e.Key, e.Msg) }

// Errors is every problem found while loading a profile. Load reports all
// of them at once so that a user fixes a file in one round.
type Errors []*Error

// Error joins the problems, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find an individual *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// maxErrors bounds the report: a 100,000-mount file with one mistake
// repeated must give a readable answer, not a megabyte of output (B7).
const maxErrors = 50

// sortErrors orders problems by file (in the order the files were first
// met, base layers first), then line and column, drops exact duplicates and
// bounds the list.
func sortErrors(es Errors, fileOrder []string) Errors {
	rank := map[string]int{}
	for i, f := range fileOrder {
		if _, ok := rank[f]; !ok {
			rank[f] = i
		}
	}
	fileRank := func(f string) int {
		if r, ok := rank[f]; ok {
			return r
		}
		return len(fileOrder)
	}
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(fileRank(a.File), fileRank(b.File)),
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Key, b.Key),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	es = slices.CompactFunc(es, func(a, b *Error) bool { return *a == *b })
	if len(es) > maxErrors {
		more := len(es) - maxErrors
		last := es[maxErrors-1]
		es = append(es[:maxErrors:maxErrors], &Error{
			File: last.File,
			Msg:  fmt.Sprintf("too many errors: %d more not shown; fix the ones above first", more),
		})
	}
	return es
}

// quote renders a user-supplied string for a message: Go quoting, so that
// control characters show as escapes and cannot rewrite the terminal
// (B8), shortened so that a 64 KiB path gives a one-line error (B7).
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q...(%d bytes)", s[:cut], len(s))
	}
	return fmt.Sprintf("%q", s)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// originString names a place for a message that refers to another value:
// "line 12" when it is in the same file, else "base.toml:12:1".
func originString(o Origin, from string) string {
	if o.File == from {
		return fmt.Sprintf("line %d", o.Line)
	}
	if o.Line == 0 {
		return o.File
	}
	return fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Col)
}
