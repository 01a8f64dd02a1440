package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// B14: a profile nested deeper, or with more keys and values, than any
// profile needs is refused with a positioned error before the TOML
// decoder sees it; a 32 KiB bomb used to take seconds and gigabytes.

// nestingBombs are generated profiles of about size bytes: each nests one
// way as deep as its size allows. want is where the first key or value
// past the bound starts (line, column) and its path's beginning.
func nestingBombs(size int) []struct {
	name, text, key string
	line, col       int
} {
	n := size / 2
	return []struct {
		name, text, key string
		line, col       int
	}{
		// "a = {a = {a = ...}}": key 33 starts after 32 "a = {".
		{"inline tables", "description = \"x\"\na = " + strings.Repeat("{a = ", n/5) + "1" + strings.Repeat("}", n/5) + "\n",
			"a.a.a", 2, 1 + 4 + 32*5 - 4},
		// "[a.a.a...]": the 33rd segment.
		{"dotted headers", "description = \"x\"\n\n[" + strings.TrimSuffix(strings.Repeat("a.", n), ".") + "]\n",
			"a.a.a", 3, 2 + 32*2},
		// "a.a.a... = 1".
		{"dotted keys", strings.TrimSuffix(strings.Repeat("a.", n), ".") + " = 1\n", "a.a.a", 1, 1 + 32*2},
		// "a = [[[...]]]": the 32nd element is the 33rd level.
		{"arrays", "a = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n", "a[0][0]", 1, 5 + 32},
		// "[[a.a...]]": an array of tables as deep.
		{"arrays of tables", "[[" + strings.TrimSuffix(strings.Repeat("a.", n/2), ".") + "]]\n", "a.a", 1, 3 + 32*2},
	}
}

func TestNestingBombRefused(t *testing.T) {
	for _, size := range []int{32 << 10, 800 << 10} {
		for _, b := range nestingBombs(size) {
			t.Run(fmt.Sprintf("%s %dKiB", b.name, size>>10), func(t *testing.T) {
				if len(b.text) > maxFileSize {
					t.Fatalf("the bomb is %d bytes, over the size limit", len(b.text))
				}
				errs := loadBomb(t, b.text)
				e := errs[0]
				if e.File != "builtin:bomb.toml" || e.Line != b.line || e.Col != b.col || !strings.HasPrefix(e.Key, b.key) ||
					!strings.Contains(e.Msg, "nested more than 32 levels deep") {
					t.Fatalf("got %q, want builtin:bomb.toml:%d:%d: %s...: nested more than 32 levels deep", e.Error(), b.line, b.col, b.key)
				}
			})
		}
	}
}

// TestWideProfileRefused checks the other bound: a profile of nothing but
// keys, as many as 800 KiB holds, is refused at the key that passes it.
func TestWideProfileRefused(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 800<<10; i++ {
		fmt.Fprintf(&b, "k%d = 1\n", i)
	}
	errs := loadBomb(t, b.String())
	e := errs[0]
	want := fmt.Sprintf("k%d", maxWork)
	if e.Line != maxWork+1 || e.Col != 1 || e.Key != want || !strings.Contains(e.Msg, "too many keys and values") {
		t.Fatalf("got %q, want builtin:bomb.toml:%d:1: %s: too many keys and values...", e.Error(), maxWork+1, want)
	}
}

// loadBomb loads text as bomb.toml and returns its errors: exactly one.
func loadBomb(t *testing.T, text string) Errors {
	t.Helper()
	src := Source{Builtin: builtins(map[string]string{"bomb.toml": text})}
	_, err := Load("bomb", testEnv(), src)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("Load: %v, want one error", err)
	}
	return errs
}

// TestShippedProfilesWithinShape checks that the bounds leave room: every
// shipped profile's key structure is far inside them.
func TestShippedProfilesWithinShape(t *testing.T) {
	names, err := fs.Glob(shippedProfiles(t), "*.toml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no shipped profiles: %v", err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(shippedProfiles(t), name)
		if err != nil {
			t.Fatal(err)
		}
		l := locate(string(b))
		if l.deep != nil || l.work > maxWork/16 {
			t.Errorf("%s: work %d of %d (%v)", name, l.work, maxWork, l.deep)
		}
	}
}

// TestProgramScanSurvivesBombs checks the scan "sandbox CMD" makes of
// every installed profile for its programs: bombs on the search path are
// refused one by one, with their position, and the scan still finds the
// profile made for the program.
func TestProgramScanSurvivesBombs(t *testing.T) {
	dir := t.TempDir()
	for i, b := range nestingBombs(800 << 10) {
		writeFile(t, dir, fmt.Sprintf("bomb%d.toml", i), "programs = [\"bombed\"]\n"+b.text)
	}
	writeFile(t, dir, "tool.toml", "programs = [\"tool\"]\n")
	src := Source{Dirs: []string{dir}}
	if name, ok := FindByProgram("/usr/bin/tool", testEnv(), src); !ok || name != "tool" {
		t.Errorf("FindByProgram = %q, %v; want tool", name, ok)
	}
	for _, e := range List(src) {
		if strings.HasPrefix(e.Name, "bomb") && (e.Err == nil || !strings.Contains(e.Err.Error(), ": nested more than 32 levels deep")) {
			t.Errorf("%s: %v, want the nesting error", e.Name, e.Err)
		}
	}
}
