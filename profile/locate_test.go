package profile

import (
	"testing"

	"github.com/BurntSushi/toml"
)

const locateText = `# a comment with key = "value" and [[mount]]
description = """
not.a = "key"
[[mount]]
"""
quoted."dot.ted" = 'lit'
arr = [
  "one", # comment ]
  [2, 3],
  { inner = 1, "q k" = 2 },
]

[[mount]]
type = "tmpfs"   # trailing
target = '''
/tmp'''

[ identity ]
uid_map = [
  { inside = 0, outside = 1000, count = 1 },
  {
    inside = 1,
    outside = 100000,
    count = 65536,
  },
]

[[mount]]
type = "dir"
"target" = "/x#not-comment"
esc = "a\"b"

[[a.b]]
c = 1
[[a.b]]
c = 2
[a.b.d]
e = 3
[x]
date = 1979-05-27 07:32:00
after = 1
`

// TestLocator pins positions in text that tries to fool a scanner:
// comments and headers inside strings, multi-line strings and arrays,
// quoted and dotted keys, inline tables over several lines (TOML 1.1),
// nested arrays of tables and a date with a space.
func TestLocator(t *testing.T) {
	var raw map[string]any
	if _, err := toml.Decode(locateText, &raw); err != nil {
		t.Fatalf("the test text must be valid TOML: %v", err)
	}
	l := locate(locateText)
	for path, want := range map[string][2]int{
		"description":                 {2, 1},
		"quoted":                      {6, 1},
		`quoted."dot.ted"`:            {6, 8},
		"arr":                         {7, 1},
		"arr[0]":                      {8, 3},
		"arr[1]":                      {9, 3},
		"arr[1][1]":                   {9, 7},
		"arr[2]":                      {10, 3},
		"arr[2].inner":                {10, 5},
		`arr[2]."q k"`:                {10, 16},
		"mount[0]":                    {13, 1},
		"mount[0].type":               {14, 1},
		"mount[0].target":             {15, 1},
		"identity":                    {18, 1},
		"identity.uid_map[0].count":   {20, 33},
		"identity.uid_map[1]":         {21, 3},
		"identity.uid_map[1].outside": {23, 5},
		"mount[1]":                    {28, 1},
		"mount[1].target":             {30, 1},
		"mount[1].esc":                {31, 1},
		"a.b[0].c":                    {34, 1},
		"a.b[1]":                      {35, 1},
		"a.b[1].c":                    {36, 1},
		"a.b[1].d.e":                  {38, 1},
		"x.after":                     {41, 1},
	} {
		line, col, ok := l.find(path)
		if _, exact := l.pos[path]; !ok || !exact || line != want[0] || col != want[1] {
			t.Errorf("%s at %d:%d (found %v), want %d:%d", path, line, col, ok, want[0], want[1])
		}
	}
	// An unknown path falls back to its closest known ancestor.
	if line, col, _ := l.find("mount[1].nothing[3]"); line != 28 || col != 1 {
		t.Errorf("fallback at %d:%d, want 28:1", line, col)
	}
	if got := l.valueText("mount[0].type"); got != `"tmpfs"` {
		t.Errorf("valueText = %q", got)
	}
}

func TestKeyPaths(t *testing.T) {
	for _, tc := range []struct{ parent, key, want string }{
		{"", "mount", "mount"},
		{"environment.set", "LC_ALL", "environment.set.LC_ALL"},
		{"merge.remove", "capabilities.keep", `merge.remove."capabilities.keep"`},
		{"x", "", `x.""`},
		{"x", "a\"b", `x."a\"b"`},
	} {
		got := joinKey(tc.parent, tc.key)
		if got != tc.want {
			t.Errorf("joinKey(%q, %q) = %q, want %q", tc.parent, tc.key, got, tc.want)
		}
		if p := parentPath(got); p != tc.parent {
			t.Errorf("parentPath(%q) = %q, want %q", got, p, tc.parent)
		}
	}
	if p := parentPath("mount[3]"); p != "mount" {
		t.Errorf("parentPath(mount[3]) = %q", p)
	}
}
