package profile

import (
	"fmt"
	"regexp"
	"strings"

	"sandbox/internal/lazy"
)

// leadingZeroNumber finds the number in the TOML decoder's complaint
// about a leading zero (`Invalid integer "0700": ...`).
func leadingZeroNumber() *regexp.Regexp { return leadingZeroNumberValue.Get() }

var leadingZeroNumberValue = lazy.Value[*regexp.Regexp]{Make: func() *regexp.Regexp {
	return regexp.MustCompile(`"([+-]?[0-9_]+)"`)
}}

// leadingZeroMsg explains an integer TOML rejects for its leading zero: a
// mode (0700, as in C and chmod) is written 0o700 in TOML; any other
// number without the zeros.
func leadingZeroMsg(msg, key string) string {
	m := leadingZeroNumber().FindStringSubmatch(msg)
	if m == nil {
		return "invalid TOML: " + msg
	}
	if key == "mode" || strings.HasSuffix(key, ".mode") {
		if lit, ok := tomlOctal(m[1]); ok {
			return fmt.Sprintf("%s is not a TOML integer (no leading zeros); write modes in octal with 0o, such as %s", m[1], lit)
		}
	}
	if lit, ok := tomlInteger(m[1]); ok {
		return fmt.Sprintf("%s is not a TOML integer (no leading zeros); write %s", m[1], lit)
	}
	return "invalid TOML: " + msg
}

// mountHeader is a [[mount]] table header on a line of its own.
func mountHeader() *regexp.Regexp { return mountHeaderValue.Get() }

var mountHeaderValue = lazy.Value[*regexp.Regexp]{Make: func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^[ \t]*\[\[[ \t]*mount[ \t]*\]\]`)
}}

// indexMountKey numbers the key of a syntax error inside a [[mount]]
// entry the way every other error does ("mount.mode" becomes
// "mount[2].mode": the file's third entry, counted from 0), since the
// TOML decoder names only the table. The entries are counted by their
// headers before the error.
func indexMountKey(text string, offset int, key string) string {
	rest, ok := strings.CutPrefix(key, "mount.")
	if !ok || offset < 0 || offset > len(text) {
		return key
	}
	n := len(mountHeader().FindAllStringIndex(text[:offset], -1))
	if n == 0 {
		return key
	}
	return fmt.Sprintf("mount[%d].%s", n-1, rest)
}
