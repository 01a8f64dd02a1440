package profile

import (
	"fmt"
	"regexp"
)

// maxTestTimeout bounds test.timeout: a smoke test that needs more than
// ten minutes is not a smoke test, and a typo such as 6000 should not
// hang a CI run for hours.
const maxTestTimeout = 600

// maxPattern bounds test.expect_output.
const maxPattern = 4096

func (d *fileDecoder) decodeSmokeTest(t map[string]any, p string) {
	// command, setup and check are argv: one scalar each, replaced whole
	// by a later layer. Arguments may hold newlines and tabs (a script
	// for sh -c), never other control characters.
	for _, key := range []string{"command", "setup", "check"} {
		v, kp, ok := d.child(t, p, key)
		if !ok {
			continue
		}
		if argv, ok := d.argv(v, kp); ok {
			d.setScalar(kp, argv)
		}
	}
	if v, kp, ok := d.child(t, p, "expect_exit"); ok {
		// 128+n is how a signal death is reported, so 255 covers it.
		if n, ok := d.intIn(v, kp, 0, 255); ok {
			d.setScalar(kp, int(n))
		}
	}
	if v, kp, ok := d.child(t, p, "timeout"); ok {
		if n, ok := d.intIn(v, kp, 1, maxTestTimeout); ok {
			d.setScalar(kp, int(n))
		}
	}
	if v, kp, ok := d.child(t, p, "expect_output"); ok {
		if s, ok := d.str(v, kp, multiline); ok {
			if msg := patternMessage(s); msg != "" {
				d.errorf(kp, "%s", msg)
			} else {
				d.setScalar(kp, s)
			}
		}
	}
	if v, kp, ok := d.child(t, p, "requires"); ok {
		vals, paths := d.stringList(v, kp, 0)
		for i, s := range vals {
			if c, ok := d.checkPath(s, paths[i]); ok {
				d.addEntry(kp, c, c, paths[i])
			}
		}
	}
}

// argv reads an array of strings as a command line. The whole command is
// dropped when one argument is bad, since running the others would run a
// different command.
func (d *fileDecoder) argv(v any, p string) ([]string, bool) {
	arr := v.([]any)
	vals, paths := d.stringList(v, p, multiline)
	if len(vals) != len(arr) {
		return nil, false
	}
	for i, s := range vals {
		if len(s) > maxEnvValue {
			d.errorf(paths[i], "argument is %d bytes; the limit is %d (128 KiB)", len(s), maxEnvValue)
			return nil, false
		}
	}
	if len(vals) > 0 && vals[0] == "" {
		d.errorf(paths[0], `the program is empty; write its name or path first, such as ["sh", "-c", "..."]`)
		return nil, false
	}
	return append([]string{}, vals...), true
}

// patternMessage checks that an expected output compiles as RE2, the
// syntax of Go's regexp package, which is what the test runner uses.
func patternMessage(s string) string {
	if len(s) > maxPattern {
		return fmt.Sprintf("expect_output is %d bytes; the limit is %d", len(s), maxPattern)
	}
	if _, err := regexp.Compile(s); err != nil {
		// The parser quotes the pattern, which may hold a newline.
		return escapeControls(fmt.Sprintf("not an RE2 regular expression: %v", err))
	}
	return ""
}
