package desktopentry

import (
	"reflect"
	"strings"
	"testing"
)

// tricky holds arguments that exercise every quoting rule: reserved
// characters, the four characters escaped inside quotes, the string
// escapes, field codes and literal percent signs, and empty arguments.
var tricky = [][]string{
	{"/usr/bin/app", "%U"},
	{"/opt/My App/bin/app", "--name", "two words", "%F"},
	{"sh", "-c", `echo "$HOME" 'single' \back` + "`tick`", "sh"},
	{"app", "", "--empty-before"},
	{"app", "tab\there", "line\nbreak", "cr\rhere"},
	{"app", `\\`, `\s`, `"`, "$", "`", "'"},
	{"app", "100%%", "--url=%u", "%i", "%c", "%k"},
	{"app", "~", "a>b", "a<b", "a|b", "a&b", "a;b", "*", "?", "#x", "(", ")"},
	{"приложение", "ünïcödé"},
}

func TestExecQuotingRoundTrip(t *testing.T) {
	for _, argv := range tricky {
		value := joinExec(argv)
		if strings.ContainsAny(value, "\n\r") {
			t.Errorf("joinExec(%q) = %q spans lines", argv, value)
		}
		got, err := splitExec(value)
		if err != nil {
			t.Errorf("splitExec(joinExec(%q) = %q): %v", argv, value, err)
			continue
		}
		if !reflect.DeepEqual(got, argv) {
			t.Errorf("joinExec(%q) = %q reads back as %q", argv, value, got)
		}
	}
}

// TestSplitExecFollowsTheSpecification reads Exec values as real entries
// write them, with the results the Desktop Entry Specification gives.
func TestSplitExecFollowsTheSpecification(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{`firefox-esr %u`, []string{"firefox-esr", "%u"}},
		{`"/opt/My App/app" --flag %F`, []string{"/opt/My App/app", "--flag", "%F"}},
		// String escapes first: \\\\ is one backslash, \\$ a dollar sign.
		{`sh -c "echo \\\\ \\$HOME"`, []string{"sh", "-c", `echo \ $HOME`}},
		{`app "say \"hi\""`, []string{"app", `say "hi"`}},
		{`app\sname arg`, []string{"app", "name", "arg"}},
		// Beyond the specification, as GLib reads them.
		{`sh -c 'echo a  b'`, []string{"sh", "-c", "echo a  b"}},
		{`  app   spaced  `, []string{"app", "spaced"}},
	}
	for _, tt := range tests {
		got, err := splitExec(tt.value)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitExec(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
		}
	}
	for _, bad := range []string{`app "open`, `app 'open`} {
		if _, err := splitExec(bad); err == nil {
			t.Errorf("splitExec(%q) accepted an unterminated quote", bad)
		}
	}
}

// strictServiceUnescape is dbus-daemon's reader: it knows \s \t \n \r \\
// and rejects the whole file for any other escape.
func strictServiceUnescape(t *testing.T, v string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			b.WriteByte(v[i])
			continue
		}
		i++
		if i == len(v) {
			t.Fatalf("%q ends in a backslash: dbus-daemon rejects the file", v)
		}
		r, ok := map[byte]string{'s': " ", 't': "\t", 'n': "\n", 'r': "\r", '\\': `\`}[v[i]]
		if !ok {
			t.Fatalf("%q has the escape \\%c: dbus-daemon rejects the file", v, v[i])
		}
		b.WriteString(r)
	}
	return b.String()
}

func TestServiceExecRoundTrip(t *testing.T) {
	for _, argv := range tricky {
		value := joinServiceExec(argv)
		// What dbus-daemon does: its strict reader, then its shell-like
		// splitter.
		plain := strictServiceUnescape(t, value)
		got, err := splitCommand(plain, func(c byte) bool { return strings.IndexByte("\"`$\\\n", c) >= 0 })
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Errorf("joinServiceExec(%q) = %q reads back as %q, %v", argv, value, got, err)
		}
	}
}

func TestExpandFieldCodes(t *testing.T) {
	argv := []string{"app", "%U", "--one=%f", "%i", "100%%", "%c", "%k", "%d"}
	got := expandFieldCodes(argv, fieldCodeValues{files: []string{"a b", "c"}, icon: "app-icon", name: "App", location: "/x.desktop"})
	want := []string{"app", "a b", "c", "--one=a b", "--icon", "app-icon", "100%", "App", "/x.desktop"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("expandFieldCodes = %q, want %q", got, want)
	}
	if got := expandFieldCodes([]string{"app", "%u", "%i"}, fieldCodeValues{}); !reflect.DeepEqual(got, []string{"app"}) {
		t.Errorf("with no files and no icon, the codes vanish: got %q", got)
	}
}

func TestProgramOf(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"/usr/bin/firefox-esr", "%u"}, "/usr/bin/firefox-esr"},
		{[]string{"env", "GDK_BACKEND=x11", "-u", "FOO", "/usr/bin/app", "%F"}, "/usr/bin/app"},
		{[]string{"/usr/bin/env", "app"}, "app"},
		{[]string{"env"}, "env"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := programOf(tt.argv); got != tt.want {
			t.Errorf("programOf(%q) = %q, want %q", tt.argv, got, tt.want)
		}
	}
}

// FuzzExecRoundTrip checks that any argument list survives being written
// as an Exec value and read back, so that no argument can be split, merged
// or turned into something else on the way into a menu entry.
func FuzzExecRoundTrip(f *testing.F) {
	f.Add("/opt/My App/app", `a "b" $c`, "%U")
	f.Add(`\\`, "", "\t\n")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		argv := []string{a, b, c}
		got, err := splitExec(joinExec(argv))
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Fatalf("joinExec(%q) = %q reads back as %q, %v", argv, joinExec(argv), got, err)
		}
	})
}
