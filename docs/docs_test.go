// Package docs holds the project's documentation. Its tests keep the
// profile reference and the man page in step with the keys the profile
// loader accepts: profile.Schema is the single list of keys, so a key added
// to the code without documentation, or documented but not accepted, fails
// here.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sandbox/profile"
	"sandbox/profiles"
)

const (
	referencePath = "profile-format.md"
	manPagePath   = "man/sandbox-profile.5"
)

// keyRow is one row of a key table in the reference.
type keyRow struct {
	key, typ, def string
	line          int
}

// keyTableHeader starts every key table in the reference.
var keyTableHeader = regexp.MustCompile(`^\|\s*key\s*\|\s*type\s*\|\s*default\s*\|\s*meaning\s*\|\s*$`)

// referenceRows returns the rows of every key table in the markdown text:
// a table starts with the key/type/default/meaning header and ends at the
// first line that is not a table row.
func referenceRows(t *testing.T, text string) []keyRow {
	t.Helper()
	var rows []keyRow
	inTable := false
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case keyTableHeader.MatchString(line):
			inTable = true
			continue
		case !strings.HasPrefix(line, "|"):
			inTable = false
			continue
		case !inTable || strings.HasPrefix(line, "|---"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			t.Errorf("%s:%d: a key table row needs 4 cells, has %d: %s", referencePath, i+1, len(cells), line)
			continue
		}
		key := strings.TrimSpace(cells[0])
		if !strings.HasPrefix(key, "`") || !strings.HasSuffix(key, "`") || len(key) < 3 {
			t.Errorf("%s:%d: the key cell must be one key in backquotes, not %q", referencePath, i+1, key)
			continue
		}
		rows = append(rows, keyRow{
			key:  strings.Trim(key, "`"),
			typ:  strings.TrimSpace(cells[1]),
			def:  defaultCell(cells[2]),
			line: i + 1,
		})
	}
	return rows
}

// defaultCell reads a default as the reference writes it: TOML values in
// backquotes, prose without, and "—" for "nothing is set".
func defaultCell(cell string) string {
	cell = strings.TrimSpace(cell)
	if cell == "—" {
		return ""
	}
	if len(cell) >= 2 && strings.HasPrefix(cell, "`") && strings.HasSuffix(cell, "`") {
		return cell[1 : len(cell)-1]
	}
	return cell
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the documentation: %v", err)
	}
	return string(b)
}

// TestReferenceDocumentsEverySchemaKey checks the reference key for key
// against the loader: every accepted key has exactly one row, with the
// loader's type and default, and every row names a key the loader accepts.
func TestReferenceDocumentsEverySchemaKey(t *testing.T) {
	rows := referenceRows(t, readFile(t, referencePath))
	if len(rows) == 0 {
		t.Fatalf("%s has no key tables (header %q)", referencePath, "| key | type | default | meaning |")
	}
	schema := map[string]profile.KeyDoc{}
	for _, d := range profile.Schema() {
		schema[d.Key] = d
	}
	seen := map[string]int{}
	for _, r := range rows {
		if first, dup := seen[r.key]; dup {
			t.Errorf("%s:%d: %s is documented twice (first at line %d)", referencePath, r.line, r.key, first)
			continue
		}
		seen[r.key] = r.line
		d, ok := schema[r.key]
		if !ok {
			t.Errorf("%s:%d: %s is documented but the loader does not accept it; remove the row or add the key to profile.Schema", referencePath, r.line, r.key)
			continue
		}
		if r.typ != d.Type {
			t.Errorf("%s:%d: %s: type column says %q, the loader says %q", referencePath, r.line, r.key, r.typ, d.Type)
		}
		if r.def != d.Default {
			t.Errorf("%s:%d: %s: default column says %q, the loader says %q", referencePath, r.line, r.key, r.def, d.Default)
		}
	}
	var missing []string
	for key := range schema {
		if _, ok := seen[key]; !ok {
			missing = append(missing, key)
		}
	}
	slices.Sort(missing)
	for _, key := range missing {
		t.Errorf("%s: the loader accepts %s but no key table documents it; add a row", referencePath, key)
	}
}

// roffEscapes are the escapes that may sit inside a key in the man page
// source: font changes and the zero-width break point.
var roffEscapes = strings.NewReplacer(`\fB`, "", `\fI`, "", `\fR`, "", `\fP`, "", `\&`, "", `\-`, "-")

// TestManPageDocumentsEverySchemaKey checks that sandbox-profile(5) names
// every key the loader accepts.
func TestManPageDocumentsEverySchemaKey(t *testing.T) {
	text := roffEscapes.Replace(readFile(t, manPagePath))
	for _, d := range profile.Schema() {
		if !containsKey(text, d.Key) {
			t.Errorf("%s does not document %s; add it where its section lists keys", manPagePath, d.Key)
		}
	}
}

// containsKey reports whether key occurs in text as a whole key: not as the
// tail of a longer dotted path ("uid" inside "identity.uid") nor as its
// head ("mount" at the start of "mount[].type" still counts only when
// something else than a key character follows).
func containsKey(text, key string) bool {
	isKeyChar := func(c byte) bool {
		return c == '.' || c == '_' || c == '[' || c == ']' || c == '<' || c == '>' ||
			c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for from := 0; ; {
		i := strings.Index(text[from:], key)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(key)
		before := start == 0 || !isKeyChar(text[start-1])
		// A sentence may end right after a key: "identity.uid." is the key.
		after := end == len(text) || !isKeyChar(text[end]) ||
			text[end] == '.' && (end+1 == len(text) || !isKeyChar(text[end+1]))
		if before && after {
			return true
		}
		from = start + 1
	}
}

// markdownLink matches [text](target) links.
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestRelativeLinksResolve checks that the documents' links to other files
// of the project point at files that exist.
func TestRelativeLinksResolve(t *testing.T) {
	for _, doc := range []string{"../README.md", referencePath} {
		for _, m := range markdownLink.FindAllStringSubmatch(readFile(t, doc), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if anchor, ok := strings.CutPrefix(target, "#"); ok {
				if !slices.Contains(headingAnchors(readFile(t, doc)), anchor) {
					t.Errorf("%s links to #%s, but no heading has that anchor", doc, anchor)
				}
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			path := filepath.Join(filepath.Dir(doc), target)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist: %v", doc, m[1], err)
			}
		}
	}
}

// tomlBlock is one ```toml code block of a document.
type tomlBlock struct {
	text string
	line int
}

// tomlBlocks returns the ```toml blocks of a markdown text.
func tomlBlocks(text string) []tomlBlock {
	var blocks []tomlBlock
	var cur *tomlBlock
	for i, line := range strings.Split(text, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```toml":
			cur = &tomlBlock{line: i + 2}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	return blocks
}

// TestTOMLExamplesLoad loads every TOML example of the README and the
// reference as a profile of its own: an example a user copies must be
// valid. Host paths are not checked (that is the launcher's part), so the
// examples may name directories this machine lacks.
func TestTOMLExamplesLoad(t *testing.T) {
	env := profile.Env{UID: 1000, GID: 1000, User: "user", Home: "/home/user", Cwd: "/home/user/src/project", Vars: map[string]string{}}
	// Only the built-in profiles: the caller's own must not change what
	// an example means.
	src := profile.Source{Builtin: profiles.FS}
	dir := t.TempDir()
	n := 0
	for _, doc := range []string{"../README.md", referencePath} {
		for _, b := range tomlBlocks(readFile(t, doc)) {
			n++
			file := filepath.Join(dir, fmt.Sprintf("example%d.toml", n))
			if err := os.WriteFile(file, []byte(b.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := profile.Load(file, env, src); err != nil {
				t.Errorf("%s:%d: this example does not load:\n%v", doc, b.line, err)
			}
		}
	}
	if n < 10 {
		t.Errorf("found only %d TOML examples; the reference has one per section", n)
	}
}

// headingAnchors returns the anchors markdown renderers give the headings
// of a document: lower case, spaces as "-", punctuation other than "-" and
// "_" dropped.
func headingAnchors(text string) []string {
	var anchors []string
	inCode := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		anchors = append(anchors, b.String())
	}
	return anchors
}

// TestContainsKey pins the whole-key matching the man page test relies on.
func TestContainsKey(t *testing.T) {
	cases := []struct {
		text, key string
		want      bool
	}{
		{".BR identity.uid \" (integer)\"", "identity.uid", true},
		{".BR identity.uid_map \" (array)\"", "identity.uid", false},
		{"see identity.uid.", "identity.uid", true},
		{"mount[].size (integer)", "mount[].size", true},
		{"mount[].size", "size", false},
		{"seccomp.syscalls.<syscall> (string)", "seccomp.syscalls", false},
		{"seccomp.syscalls.<syscall> (string)", "seccomp.syscalls.<syscall>", true},
		{"", "mount", false},
	}
	for _, c := range cases {
		if got := containsKey(c.text, c.key); got != c.want {
			t.Errorf("containsKey(%q, %q) = %v, want %v", c.text, c.key, got, c.want)
		}
	}
}
