package seccomp

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// docs/seccomp.md describes the deny-list row by row; it must name the same
// calls with the same answers as the policy the filter is built from.
func TestSeccompDocsMatchPolicy(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "docs", "seccomp.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(text)
	start := strings.Index(doc, "### The deny-list")
	end := strings.Index(doc, "### Unknown numbers")
	if start < 0 || end < start {
		t.Fatal("docs/seccomp.md lacks the \"### The deny-list\" and \"### Unknown numbers\" sections")
	}
	rows := map[string][2]string{} // sorted call list → answer, when
	callName := regexp.MustCompile("`([a-z0-9_]+)`")
	for _, line := range strings.Split(doc[start:end], "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 4 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue
		}
		var names []string
		for _, m := range callName.FindAllStringSubmatch(cells[0], -1) {
			names = append(names, m[1])
		}
		sort.Strings(names)
		rows[strings.Join(names, " ")] = [2]string{strings.Trim(strings.TrimSpace(cells[1]), "`"), strings.TrimSpace(cells[2])}
	}
	for _, r := range seccompBuiltinRules {
		names := append([]string(nil), r.Syscalls...)
		sort.Strings(names)
		key := strings.Join(names, " ")
		row, ok := rows[key]
		if !ok {
			t.Errorf("docs/seccomp.md has no deny-list row for exactly %s", key)
			continue
		}
		delete(rows, key)
		if want := seccompActionString(r.Action); row[0] != want {
			t.Errorf("docs/seccomp.md: %s: answer %q, the policy says %q", key, row[0], want)
		}
		if (row[1] == "always") != (r.When == nil) {
			t.Errorf("docs/seccomp.md: %s: when %q, but the policy's rule is conditional=%v", key, row[1], r.When != nil)
		}
	}
	for key := range rows {
		t.Errorf("docs/seccomp.md lists %s, which is no rule of the policy", key)
	}
	max := 0
	for _, nr := range seccompSyscalls() {
		if nr > max {
			max = nr
		}
	}
	for _, want := range []string{fmt.Sprintf("each of the %d known calls", len(seccompSyscalls())), fmt.Sprintf("anything above %d", max)} {
		if !strings.Contains(strings.Join(strings.Fields(doc), " "), want) {
			t.Errorf("docs/seccomp.md does not say %q", want)
		}
	}
}
