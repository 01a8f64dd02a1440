package desktopentry

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Exec lines are where a menu entry can escape the sandbox, so they are
// read and written exactly as the Desktop Entry Specification (1.5,
// "The Exec key") says: first the string escapes (\s \n \t \r \\) are
// undone, then the command line is split at unquoted blanks, double
// quotes group an argument and, inside them, \" \` \$ and \\ stand for
// the character. Field codes such as %u and %F stay in the arguments
// untouched: the menu expands them when it launches the entry, after it
// has undone the quoting.

// execReserved are the characters that oblige an argument to be quoted.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// unescapeString undoes the escapes every string value of a desktop file
// may carry, as GLib does (glibString): an unknown escape is kept as
// written, so that the quoting level below still sees "\$" and "\"".
func unescapeString(v string) string {
	s, _ := glibString(v)
	return s
}

// escapeString is the inverse of unescapeString for a value we write: a
// backslash, a line break or a tab can never end the line or change its
// meaning.
func escapeString(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(v)
}

// splitExec parses an Exec value as found in a file, as a GLib menu
// does: the string escapes first, then g_shell_parse_argv (see
// shell.go). Field codes stay in the arguments; a menu expands
// them before it splits, which for a well-formed entry (a field code is a
// word of its own) comes to the same. An empty value is no command, as
// for GLib.
func splitExec(value string) ([]string, error) {
	s := unescapeString(value)
	if s == "" {
		return nil, nil
	}
	words, err := glibShellParse(s)
	if err != nil {
		return nil, err
	}
	argv := make([]string, len(words))
	for i, w := range words {
		argv[i] = w.word
	}
	return argv, nil
}

// joinExec is the Exec value for argv, quoted per the specification and
// string-escaped, ready to follow "Exec=".
func joinExec(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, execReserved) {
			parts[i] = a
			continue
		}
		var b strings.Builder
		b.WriteByte('"')
		for j := 0; j < len(a); j++ {
			if strings.IndexByte("\"`$\\", a[j]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(a[j])
		}
		b.WriteByte('"')
		parts[i] = b.String()
	}
	return escapeString(strings.Join(parts, " "))
}

// splitCommand splits s at unquoted blanks. Inside double quotes a
// backslash escapes only the characters escapable reports; single quotes
// take everything literally; outside quotes a backslash takes the next
// character literally.
func splitCommand(s string, escapable func(byte) bool) ([]string, error) {
	var (
		argv  []string
		cur   strings.Builder
		inArg bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inArg {
				argv = append(argv, cur.String())
				cur.Reset()
				inArg = false
			}
		case c == '"':
			inArg = true
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && escapable(s[j+1]) {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, fmt.Errorf("unterminated double quote in %q", s)
			}
			i = j
		case c == '\'':
			inArg = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '\\' && i+1 < len(s):
			inArg = true
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
			}
		default:
			inArg = true
			cur.WriteByte(c)
		}
	}
	if inArg {
		argv = append(argv, cur.String())
	}
	return argv, nil
}

// splitServiceExec parses the Exec of a D-Bus service file: string escapes
// first (dbus-daemon's reader undoes them), then shell-like words as
// dbus-daemon's own splitter reads them.
func splitServiceExec(value string) ([]string, error) {
	return splitCommand(unescapeString(value), func(c byte) bool { return strings.IndexByte("\"`$\\\n", c) >= 0 })
}

// joinServiceExec is an Exec value for a D-Bus service file. dbus-daemon
// splits it like a shell, so an argument with anything but plain
// characters goes in single quotes; the reader rejects a file with an
// escape it does not know, so every backslash is doubled.
func joinServiceExec(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			parts[i] = a
			continue
		}
		parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return escapeString(strings.Join(parts, " "))
}

// fieldCodeValues are what a launcher puts in place of the field codes.
type fieldCodeValues struct {
	files    []string // %f %F %u %U
	icon     string   // %i
	name     string   // %c
	location string   // %k
}

// expandFieldCodes does what a menu does to an Exec argument list before
// it runs it: %f and %u become the first file or vanish, %F and %U become
// every file as separate arguments, %i becomes "--icon ICON", %c and %k
// the name and location, the deprecated codes vanish, and %% is a literal
// percent sign.
func expandFieldCodes(argv []string, v fieldCodeValues) []string {
	var out []string
	for _, a := range argv {
		switch a {
		case "%F", "%U":
			out = append(out, v.files...)
			continue
		case "%f", "%u":
			if len(v.files) > 0 {
				out = append(out, v.files[0])
			}
			continue
		case "%i":
			if v.icon != "" {
				out = append(out, "--icon", v.icon)
			}
			continue
		case "%d", "%D", "%n", "%N", "%v", "%m":
			continue
		}
		var b strings.Builder
		for i := 0; i < len(a); i++ {
			if a[i] != '%' || i+1 == len(a) {
				b.WriteByte(a[i])
				continue
			}
			i++
			switch a[i] {
			case '%':
				b.WriteByte('%')
			case 'f', 'u', 'F', 'U':
				if len(v.files) > 0 {
					b.WriteString(v.files[0])
				}
			case 'c':
				b.WriteString(v.name)
			case 'k':
				b.WriteString(v.location)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// programOf is the program an Exec runs: its first word, after an `env`
// prefix that only sets variables.
func programOf(argv []string) string {
	i := 0
	if len(argv) > 1 && filepath.Base(argv[0]) == "env" {
	words:
		for i = 1; i < len(argv); i++ {
			switch a := argv[i]; {
			case a == "-u" || a == "--unset" || a == "-C" || a == "--chdir":
				i++ // the option's value
			case strings.HasPrefix(a, "-") || strings.Contains(a, "=") && !strings.HasPrefix(a, "/"):
			default:
				break words
			}
		}
	}
	if i >= len(argv) {
		return ""
	}
	return argv[i]
}
