package profile

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The pieces of TOML syntax the locator needs: whitespace, comments,
// keys and strings. They only move a cursor; values are the decoder's.

// scanner is a cursor over the source.
type scanner struct {
	s string
	i int
}

func (sc *scanner) eof() bool { return sc.i >= len(sc.s) }

func (sc *scanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

func (sc *scanner) hasPrefix(p string) bool {
	return sc.i < len(sc.s) && strings.HasPrefix(sc.s[sc.i:], p)
}

// skipSpace skips blanks; with newlines also line ends and comments.
func (sc *scanner) skipSpace(newlines bool) {
	for !sc.eof() {
		switch c := sc.peek(); {
		case c == ' ' || c == '\t':
			sc.i++
		case newlines && (c == '\n' || c == '\r'):
			sc.i++
		case newlines && c == '#':
			sc.skipLine()
		default:
			return
		}
	}
}

// skipLine moves to the start of the next line.
func (sc *scanner) skipLine() {
	if sc.i >= len(sc.s) {
		sc.i = len(sc.s)
		return
	}
	if j := strings.IndexByte(sc.s[sc.i:], '\n'); j >= 0 {
		sc.i += j + 1
	} else {
		sc.i = len(sc.s)
	}
}

// parseDottedKey reads `a."b.c".'d'` and returns the decoded segments with
// the offset each starts at. It stops after maxNesting+1 segments: a key
// that long is refused whatever follows (B14).
func parseDottedKey(sc *scanner) ([]string, []int) {
	var keys []string
	var offs []int
	for !sc.eof() && len(keys) <= maxNesting {
		sc.skipSpace(false)
		start := sc.i
		var k string
		switch sc.peek() {
		case '"':
			raw := skipQuoted(sc, '"', true)
			k = unescapeBasic(raw)
		case '\'':
			k = skipQuoted(sc, '\'', false)
		default:
			for !sc.eof() && isBareKeyByte(sc.peek()) {
				sc.i++
			}
			k = sc.s[start:sc.i]
		}
		if sc.i == start {
			return keys, offs
		}
		keys = append(keys, k)
		offs = append(offs, start)
		sc.skipSpace(false)
		if sc.peek() != '.' {
			return keys, offs
		}
		sc.i++
	}
	return keys, offs
}

// isBareKeyByte accepts the TOML bare-key bytes and, leniently, any
// non-ASCII byte, so a newer TOML revision with wider bare keys still
// locates.
func isBareKeyByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c >= 0x80
}

// skipQuoted moves past a one-line string starting at the opening quote
// and returns its raw body.
func skipQuoted(sc *scanner, q byte, escapes bool) string {
	sc.i++
	start := sc.i
	for !sc.eof() {
		c := sc.peek()
		switch {
		case escapes && c == '\\':
			sc.i += 2
			continue
		case c == q:
			body := sc.s[start:sc.i]
			sc.i++
			return body
		case c == '\n':
			return sc.s[start:sc.i]
		}
		sc.i++
	}
	if start > len(sc.s) {
		start = len(sc.s)
	}
	sc.i = len(sc.s)
	return sc.s[start:]
}

// skipMultiline moves past a """ or ”' string. The closing delimiter may
// be followed by up to two more quotes that belong to the content.
func skipMultiline(sc *scanner, delim string, escapes bool) {
	sc.i += 3
	for !sc.eof() {
		if escapes && sc.peek() == '\\' {
			sc.i += 2
			continue
		}
		if sc.hasPrefix(delim) {
			sc.i += 3
			for n := 0; n < 2 && !sc.eof() && sc.peek() == delim[0]; n++ {
				sc.i++
			}
			return
		}
		sc.i++
	}
	sc.i = len(sc.s)
}

// unescapeBasic decodes the escapes of a TOML basic string (1.1 adds \e
// and \xHH). Invalid escapes are kept verbatim: the decoder has already
// rejected them.
func unescapeBasic(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case '"', '\\':
			b.WriteByte(c)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+1+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String()
}
