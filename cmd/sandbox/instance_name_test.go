package main

import (
	"strings"
	"testing"
)

// TestValidName checks the --name rule: 1 to 64 letters, digits, '.',
// '_' or '-', starting with a letter or digit.
func TestValidName(t *testing.T) {
	for _, ok := range []string{"a", "Z9", "build-1", "my_box.2", "0", strings.Repeat("x", 64)} {
		if !validName(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "-a", ".a", "_a", "a b", "a/b", "ä", "a\n", strings.Repeat("x", 65), "a:b"} {
		if validName(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
