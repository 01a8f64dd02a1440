package profile

import (
	"strconv"
	"strings"
)

// Key paths name a value in a file the way error messages show it:
// dotted keys, with "[i]" for array elements ("mount[2].target",
// "identity.uid_map[0].count", "seccomp.syscalls.ptrace"). A key segment
// that is not a TOML bare key is quoted, as in TOML itself, so the path
// can be pasted back into a file. The positional locator and the decoder
// both build paths with these two functions, so they always agree.

// joinKey appends one table key to a path.
func joinKey(parent, key string) string {
	seg := key
	if !isBareKey(key) {
		seg = strconv.Quote(key)
	}
	if parent == "" {
		return seg
	}
	return parent + "." + seg
}

// joinIndex appends an array index to a path.
func joinIndex(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// isBareKey reports whether TOML accepts key without quotes.
func isBareKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parentPath strips the last key or index from a path; "" at the top.
// It understands the quoting joinKey produces.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if strings.HasSuffix(p, `"`) {
		// Walk back over a quoted segment, honouring escaped quotes.
		for i := len(p) - 2; i >= 0; i-- {
			if p[i] == '"' && !escaped(p, i) {
				if i > 0 && p[i-1] == '.' {
					return p[:i-1]
				}
				return ""
			}
		}
		return ""
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// escaped reports whether the byte at i is preceded by an odd number of
// backslashes.
func escaped(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}
