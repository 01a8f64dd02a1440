package desktopentry

import (
	"errors"
	"fmt"
	"strings"
)

// A menu built on GLib turns an Exec value into a program and its
// arguments with g_shell_parse_argv (GLib 2.74, glib/gshell.c), after it
// has undone the string escapes and expanded the field codes. Reading an
// Exec any other way could make us believe a line runs sandbox when GLib
// runs something else, so this is that function's grammar, quirks
// included:
//
//   - Words end at unquoted space, tab and newline; nothing else is blank.
//   - Outside quotes a backslash takes the next character literally, and a
//     backslash before a newline vanishes with it.
//   - Single quotes take everything literally. Inside double quotes a
//     backslash escapes only " \ ` $ and newline, and is kept before any
//     other character.
//   - "#" starts a comment only at the start of the text or right after a
//     space or a newline (not a tab); the comment swallows its newline.
//     A "#" that is the very last character is an error.
//   - Unterminated quotes, a trailing backslash and a text with no word
//     are errors.

// shellWordSpan is one word of a command line and where it ends.
type shellWordSpan struct {
	word string
	end  int // the offset just past the word's last character
}

// glibShellParse splits s as g_shell_parse_argv does.
func glibShellParse(s string) ([]shellWordSpan, error) {
	var (
		out   []shellWordSpan
		tok   strings.Builder
		inTok bool
		quote byte // 0, '\\', '#', '\'' or '"'
		odd   bool // an odd run of backslashes precedes this character
	)
	delimit := func(end int) error {
		if !inTok {
			return nil
		}
		w, err := glibShellUnquote(tok.String())
		if err != nil {
			return err
		}
		out = append(out, shellWordSpan{word: w, end: end})
		tok.Reset()
		inTok = false
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch quote {
		case '\\':
			if c != '\n' {
				tok.WriteByte('\\')
				tok.WriteByte(c)
				inTok = true
			}
			quote = 0
		case '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			quote = 0
			if i == len(s) {
				return finishShellParse(out, delimit(len(s)), quote)
			}
			c = s[i] // the newline, swallowed with the comment
		case '\'', '"':
			if c == quote && !(quote == '"' && odd) {
				quote = 0
			}
			tok.WriteByte(c)
			inTok = true
		default:
			switch c {
			case '\n', ' ', '\t':
				if err := delimit(i); err != nil {
					return nil, err
				}
			case '\'', '"':
				tok.WriteByte(c)
				inTok = true
				quote = c
			case '\\':
				quote = c
			case '#':
				if i == 0 || s[i-1] == ' ' || s[i-1] == '\n' {
					quote = c
				} else {
					tok.WriteByte(c)
					inTok = true
				}
			default:
				tok.WriteByte(c)
				inTok = true
			}
		}
		odd = c == '\\' && !odd
	}
	return finishShellParse(out, delimit(len(s)), quote)
}

func finishShellParse(out []shellWordSpan, err error, quote byte) ([]shellWordSpan, error) {
	switch {
	case err != nil:
		return nil, err
	case quote == '\\':
		return nil, errors.New("the text ends just after a backslash")
	case quote != 0:
		return nil, fmt.Errorf("the text ends before the matching %c", quote)
	case len(out) == 0:
		return nil, errors.New("the text is empty or only blanks")
	}
	return out, nil
}

// glibShellUnquote is g_shell_unquote: a backslash outside quotes takes
// the next character (a newline with it vanishes), and quoted parts are
// read as the grammar above says.
func glibShellUnquote(t string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		switch c := t[i]; c {
		case '\\':
			if i+1 < len(t) {
				i++
				if t[i] != '\n' {
					b.WriteByte(t[i])
				}
			}
		case '\'':
			end := strings.IndexByte(t[i+1:], '\'')
			if end < 0 {
				return "", errors.New("an unmatched single quote")
			}
			b.WriteString(t[i+1 : i+1+end])
			i += end + 1
		case '"':
			closed := false
			for i++; i < len(t); i++ {
				if t[i] == '"' {
					closed = true
					break
				}
				if t[i] == '\\' && i+1 < len(t) && strings.IndexByte("\"\\`$\n", t[i+1]) >= 0 {
					i++
				}
				b.WriteByte(t[i])
			}
			if !closed {
				return "", errors.New("an unmatched double quote")
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
