package docs

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "sandbox/"

// listedPackage is what TestArchitecture needs of `go list -json`.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	CgoFiles   []string
	Name       string
}

// goList lists every package of the module with its dependencies.
func goList(t *testing.T) map[string]listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json", "../...")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(out)
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	return pkgs
}

// allowedImports reads the dependency table of architecture.md: package ->
// the packages of ours it may import; nil means any.
func allowedImports(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([^`]+)` \\|(.*)\\|$")
	name := regexp.MustCompile("`([^`]+)`")
	allowed := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if strings.TrimSpace(m[2]) == "any" {
			allowed[m[1]] = nil
			continue
		}
		list := []string{}
		for _, n := range name.FindAllStringSubmatch(m[2], -1) {
			list = append(list, n[1])
		}
		allowed[m[1]] = list
	}
	if len(allowed) == 0 {
		t.Fatal("architecture.md has no dependency table")
	}
	return allowed
}

// exempt are packages outside the pipeline: tests, tools and generators.
func exempt(path string) bool {
	return path == "tests" || path == "docs" || path == "profiles" ||
		strings.HasPrefix(path, "tools/") || strings.Contains(path, "testutil") ||
		path == "internal/compiletest" || strings.HasSuffix(path, "/gensyscalls") ||
		path == "internal/srcpos" || path == "internal/hostport" ||
		path == "internal/instance" || path == "internal/nofollow" || path == "launcher/internal/pulse"
}

// TestArchitecture holds the tree to docs/architecture.md: each package
// imports only what its row of the table allows, only the runner has C in
// it, the language, the plan and the host view link no cgo, and the
// desktop and smoke-test packages serve only the command.
func TestArchitecture(t *testing.T) {
	pkgs := goList(t)
	allowed := allowedImports(t)
	for path, p := range pkgs {
		var ours []string
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) {
				ours = append(ours, strings.TrimPrefix(imp, module))
			}
		}
		may, listed := allowed[path]
		switch {
		case !listed && !exempt(path):
			t.Errorf("package %s is not in architecture.md's dependency table: add its row and its paragraph", path)
		case listed && may != nil:
			for _, imp := range ours {
				if !slices.Contains(may, imp) {
					t.Errorf("%s imports %s, which architecture.md does not allow", path, imp)
				}
			}
		}
		if len(p.CgoFiles) > 0 && path != "launcher" && !exempt(path) {
			t.Errorf("%s has cgo files (%v): only the launcher has C in it", path, p.CgoFiles)
		}
		for _, imp := range ours {
			if (imp == "internal/desktopentry" || imp == "internal/smoketest") && path != "cmd/sandbox" {
				t.Errorf("%s imports %s, which only cmd/sandbox may", path, imp)
			}
		}
	}
	for path := range allowed {
		if _, ok := pkgs[path]; !ok {
			t.Errorf("architecture.md lists %s, which is not a package", path)
		}
	}
	for _, pure := range []string{"profile", "plan", "hostview"} {
		deps := depsOf(t, pure)
		if slices.Contains(deps, "runtime/cgo") {
			t.Errorf("%s links cgo (runtime/cgo among its dependencies)", pure)
		}
		for _, d := range deps {
			if d == module+"cmd/sandbox" || d == module+"launcher" || d == module+"compile" {
				t.Errorf("%s depends on %s, a stage after it", pure, d)
			}
		}
	}
}

// depsOf is `go list -deps` of one package of ours.
func depsOf(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+path).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", path, err)
	}
	return strings.Fields(string(out))
}
