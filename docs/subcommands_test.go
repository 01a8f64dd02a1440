package docs

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestManPageListsEverySubcommand reads the subcommand switch of
// cmd/sandbox/main.go and checks sandbox(1) has each in its synopsis and the
// README's usage block names it.
func TestManPageListsEverySubcommand(t *testing.T) {
	src, err := os.ReadFile("../cmd/sandbox/main.go")
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`(?s)\nfunc subcommand\(name string\).*?\n}\n`).Find(src)
	names := regexp.MustCompile(`(?m)^\tcase "([a-z]+)":`).FindAllSubmatch(table, -1)
	if len(names) < 5 {
		t.Fatalf("found %d subcommands in main.go; the table's shape changed", len(names))
	}
	man, err := os.ReadFile("man/sandbox.1")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range names {
		n := string(m[1])
		if n == "help" || n == "version" {
			continue // --help and --version
		}
		if !strings.Contains(string(man), ".B sandbox "+n) {
			t.Errorf("docs/man/sandbox.1: no \".B sandbox %s\" in the synopsis", n)
		}
		if !strings.Contains(string(readme), "sandbox "+n) {
			t.Errorf("README.md: the usage does not name \"sandbox %s\"", n)
		}
	}
}
