package desktopentry

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This is the grammar of GLib's GKeyFile (g_key_file_load_from_data and
// g_key_file_get_string, GLib 2.74), which decides what a menu runs:
//
//   - Lines end at "\n"; one "\r" right before it is dropped. A last line
//     without "\n" keeps a final "\r".
//   - Leading blanks are GLib's ASCII ones only (space, \t, \n, \f, \r): a
//     no-break space or any other Unicode space is an ordinary character.
//   - A line is, in this order: a comment ("#" first, or nothing but
//     blanks); a group ("[" NAME "]" and then only spaces or tabs); a key
//     ("KEY=VALUE" where KEY is not empty). Anything else makes GLib refuse
//     the whole file.
//   - A group name is not empty and holds no "[", "]" or control
//     character; a group written twice is one group.
//   - A key loses the blanks before "="; it is not empty, holds no "[" or
//     "]" except a locale suffix "[LOCALE]" at its very end (letters,
//     digits, "-", "_", ".", "@"), and has no space before that suffix.
//     An invalid key makes GLib refuse the whole file, and so does a key
//     before the first group. A key written twice counts once, with its
//     last value.
//   - The value loses the blanks after "="; trailing blanks stay.
//   - An "Encoding" key in the first group must be "UTF-8".
//
// We also refuse, with a reason, what GLib loads but we cannot read the
// same way with certainty: bytes that are not UTF-8 (the specification
// requires UTF-8, and GLib reads such values as missing), NUL bytes (GLib
// reads a line only up to one), and a locale suffix with characters
// beyond ASCII (whether GLib accepts them depends on its Unicode tables).

// glibSpace is what g_ascii_isspace accepts; "\v" is not among them.
const glibSpace = "\t\n\f\r "

// keyFileError says why a file cannot be read as GLib reads it.
type keyFileError struct {
	path string
	line int // 0 when the error is not about one line
	msg  string
	// glibRejects is true when GLib refuses to load the file too, so
	// that no menu shows or runs it; false when GLib might load it, but
	// we cannot be sure to read it the same way.
	glibRejects bool
}

func (e *keyFileError) Error() string {
	where := e.path
	if where == "" {
		where = "the file"
	}
	if e.line > 0 {
		where = fmt.Sprintf("%s:%d", where, e.line)
	}
	if e.glibRejects {
		return fmt.Sprintf("%s: %s (GLib refuses the whole file)", where, e.msg)
	}
	return fmt.Sprintf("%s: %s", where, e.msg)
}

// parseKeyFile reads text as GLib does, or says why it cannot.
func parseKeyFile(path, text string) (*keyFile, error) {
	kf := &keyFile{path: path}
	reject := func(line int, glib bool, format string, args ...any) (*keyFile, error) {
		return nil, &keyFileError{path: path, line: line, msg: fmt.Sprintf(format, args...), glibRejects: glib}
	}
	raw := strings.Split(text, "\n")
	if raw[len(raw)-1] == "" {
		raw = raw[:len(raw)-1] // the text ends with "\n", or is empty
	}
	group, start := "", ""
	for i, t := range raw {
		num := i + 1
		eol := "\n"
		switch {
		case i == len(raw)-1 && !strings.HasSuffix(text, "\n"):
			eol = ""
		case strings.HasSuffix(t, "\r"):
			t, eol = t[:len(t)-1], "\r\n"
		}
		if !utf8.ValidString(t) {
			return reject(num, false, "not UTF-8, which desktop entries must be")
		}
		if strings.IndexByte(t, 0) >= 0 {
			return reject(num, false, "a NUL byte, which GLib reads as the end of the line")
		}
		l := keyLine{text: t, eol: eol, num: num, group: group}
		rest := strings.TrimLeft(t, glibSpace)
		switch {
		case rest == "" || rest[0] == '#':
			// A comment or a blank line.
		case rest[0] == '[' && isGroupLine(rest):
			name := rest[1:strings.IndexByte(rest, ']')]
			if why := badGroupName(name); why != "" {
				return reject(num, true, "group name %q %s", name, why)
			}
			group = name
			if start == "" {
				start = name
			}
			l.group, l.header = group, true
		case strings.IndexByte(rest, '=') > 0:
			eq := strings.IndexByte(rest, '=')
			key := strings.TrimRight(rest[:eq], glibSpace)
			if group == "" {
				return reject(num, true, "key %q comes before the first group", key)
			}
			if why, glib := badKeyName(key); why != "" {
				return reject(num, glib, "key %q %s", key, why)
			}
			l.key, l.value = key, strings.TrimLeft(rest[eq+1:], glibSpace)
			if group == start && key == "Encoding" && !isUTF8Name(l.value) {
				return reject(num, true, "Encoding=%s: only UTF-8 is supported", l.value)
			}
		default:
			return reject(num, true, "%q is neither a comment, a group nor KEY=VALUE", t)
		}
		kf.lines = append(kf.lines, l)
	}
	return kf, nil
}

// isUTF8Name compares as g_ascii_strncasecmp does: ASCII letters only.
func isUTF8Name(v string) bool {
	return len(v) == 5 && strings.ToLower(v) == "utf-8" && utf8.RuneCountInString(v) == 5
}

// isGroupLine: "[", then up to the first "]", then only spaces and tabs.
func isGroupLine(rest string) bool {
	end := strings.IndexByte(rest, ']')
	return end > 0 && strings.Trim(rest[end+1:], " \t") == ""
}

// badGroupName says what makes a group name invalid to GLib, "" if
// nothing does.
func badGroupName(name string) string {
	if name == "" {
		return "is empty"
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '[' || c == ']' || c < 0x20 || c == 0x7f {
			return fmt.Sprintf("holds %q", c)
		}
	}
	return ""
}

// badKeyName says what makes key invalid: glib is true when GLib refuses
// it too, false when only we cannot tell (a locale beyond ASCII).
func badKeyName(key string) (why string, glib bool) {
	q := strings.IndexAny(key, "[]")
	switch {
	case q < 0:
		return "", false
	case q == 0:
		return "is empty before its locale", true
	case key[q] == ']':
		return `holds "]" outside a locale`, true
	case key[q-1] == ' ':
		return "has a space before its locale", true
	}
	for i := q + 1; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '@':
		case c == ']' && i == len(key)-1:
			return "", false
		case c >= 0x80:
			return "has a locale with characters beyond ASCII", false
		default:
			return fmt.Sprintf("has %q in its locale", c), true
		}
	}
	return "has an unterminated locale", true
}

// glibString undoes the string escapes of a value as GLib 2.74 does:
// \s \n \t \r \\ are the character; any other escape is kept as written
// and a backslash at the very end is dropped. strict is false for those
// two cases: GLib reports an error for them, and later versions return no
// value at all.
func glibString(v string) (s string, strict bool) {
	if !strings.Contains(v, `\`) {
		return v, true
	}
	strict = true
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			b.WriteByte(v[i])
			continue
		}
		i++
		if i == len(v) {
			strict = false
			break
		}
		switch v[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			strict = false
			b.WriteByte('\\')
			b.WriteByte(v[i])
		}
	}
	return b.String(), strict
}
