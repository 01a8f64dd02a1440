package tests

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSecurityDocCoversEveryRow keeps docs/security.md honest: every row of
// the checklist has a line, every test it names exists in this package,
// and every source file it names exists, so the table cannot drift from
// the code as files are renamed.
func TestSecurityDocCoversEveryRow(t *testing.T) {
	b, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)

	rows := map[string]int{"I": 9, "F": 16, "P": 8, "S": 9, "T": 2, "L": 10, "D": 4, "B": 16, "R": 4, "H": 4, "W": 7, "E": 1, "K": 4, "N": 4}
	for class, n := range rows {
		for i := 1; i <= n; i++ {
			id := class + strconv.Itoa(i)
			if !regexp.MustCompile(`(?m)^\| ` + id + `\b`).MatchString(doc) {
				t.Errorf("docs/security.md has no row for %s", id)
			}
		}
	}

	tests := map[string]bool{}
	files, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for name, obj := range af.Scope.Objects {
			if obj.Kind.String() == "func" && strings.HasPrefix(name, "Test") {
				tests[name] = true
			}
		}
	}
	for _, m := range regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(doc, -1) {
		if !tests[m[1]] {
			t.Errorf("docs/security.md names %s, which is not a test in tests/", m[1])
		}
	}

	for _, m := range regexp.MustCompile("`([A-Za-z0-9_/.-]+\\.(?:go|c|toml))`").FindAllStringSubmatch(doc, -1) {
		name := m[1]
		candidates := []string{filepath.Join("..", name), filepath.Join("..", "launcher", name)}
		found := false
		for _, c := range candidates {
			if matches, _ := filepath.Glob(c); len(matches) > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("docs/security.md names %s, which does not exist (looked in the repository and launcher/)", name)
		}
	}
}
