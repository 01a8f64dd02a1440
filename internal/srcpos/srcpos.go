// Package srcpos formats a problem found at a place in a profile file. The
// profile language's errors and the plan's warnings print the same way,
// "file:line:col: key: message", the form editors and compilers use, so a
// terminal can jump to the line; this is the one place that says how.
package srcpos

import (
	"strconv"
	"strings"
)

// Format writes "file:line:col: key: message", leaving out the parts that
// are empty (no file, no line, no key).
func Format(file string, line, col int, key, msg string) string {
	var b strings.Builder
	if file != "" {
		b.WriteString(file)
		if line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(line))
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(col))
		}
		b.WriteString(": ")
	}
	if key != "" {
		b.WriteString(key)
		b.WriteString(": ")
	}
	b.WriteString(msg)
	return b.String()
}
