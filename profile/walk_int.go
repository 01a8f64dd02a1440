package profile

import (
	"fmt"
	"strconv"
	"strings"
)

// octalKey says whether key is an integer key whose values are permission
// bits, which are written in octal (0o755).
func octalKey(key string) bool { return key == "mount[].mode" }

// keyShapeMismatch is shapeMismatch with the key's own advice: a mode
// written as a string ("0700") is told the octal literal TOML accepts.
func keyShapeMismatch(v any, doc *KeyDoc) string {
	if s, ok := v.(string); ok && octalKey(doc.Key) {
		if lit, ok := tomlOctal(s); ok {
			return fmt.Sprintf("must be an integer, not a string; write %s without quotes", lit)
		}
	}
	return shapeMismatch(v, doc.shape)
}

// tomlInteger is s, an integer written as a string, as a TOML integer
// literal. TOML has no leading zeros (0700 is not an integer there), so
// those are dropped: the digits were most likely meant as written.
func tomlInteger(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if _, err := strconv.ParseInt(t, 0, 64); err != nil {
		return "", false
	}
	sign := ""
	if t != "" && (t[0] == '+' || t[0] == '-') {
		sign, t = t[:1], t[1:]
	}
	if len(t) > 1 && t[0] == '0' && t[1] >= '0' && t[1] <= '9' {
		t = strings.TrimLeft(t, "0_")
		if t == "" {
			t = "0"
		}
	}
	return sign + t, true
}

// tomlOctal is s, permission bits written as a string ("0700", "755",
// "0o644", "0x1ff"), as a TOML octal literal. Plain digits 0-7 are taken
// as the octal digits they look like; a prefixed number keeps its value.
func tomlOctal(s string) (string, bool) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	if t == "" {
		return "", false
	}
	if strings.Trim(t, "01234567") == "" {
		if d := strings.TrimLeft(t, "0"); d != "" {
			return "0o" + d, true
		}
		return "0o0", true
	}
	lower := strings.ToLower(t)
	if strings.HasPrefix(lower, "0o") || strings.HasPrefix(lower, "0x") || strings.HasPrefix(lower, "0b") {
		if n, err := strconv.ParseUint(lower, 0, 64); err == nil {
			return fmt.Sprintf("0o%o", n), true
		}
	}
	return "", false
}
