package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// go-hello-imports is the floor of the binary's start: a hello world that
// links every package the sandbox's own packages import from outside the
// module (the standard library's and the dependencies'), and so runs their
// initialisation, but none of the sandbox's code. `sandbox --version` over
// it is the share of start-up that is the sandbox's own; go-hello-imports
// over go-hello is what the imports cost before any of it runs.

// externalImports lists the packages outside module that the packages of
// module linked into pkg import, sorted. It asks go list in moduleDir, so
// the list follows the code rather than being kept by hand.
func externalImports(moduleDir, module, pkg string, tags string) ([]string, error) {
	args := []string{"list", "-deps", "-json=ImportPath,Imports,Module"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = moduleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	ours := map[string]bool{}
	var imports []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
			Module     *struct{ Path string }
		}
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		if p.Module == nil || p.Module.Path != module {
			continue
		}
		ours[p.ImportPath] = true
		imports = append(imports, p.Imports...)
	}
	set := map[string]bool{}
	for _, imp := range imports {
		// "C" is cgo, not a package; the hello world has its own.
		if imp == "C" || ours[imp] || strings.HasPrefix(imp, module+"/") {
			continue
		}
		set[imp] = true
	}
	list := make([]string, 0, len(set))
	for imp := range set {
		list = append(list, imp)
	}
	sort.Strings(list)
	return list, nil
}

// importsSource is a cgo hello world that blank-imports every package of
// imports.
func importsSource(imports []string) string {
	var b strings.Builder
	b.WriteString("package main\n\n// static int one(void) { return 1; }\nimport \"C\"\nimport (\n\t\"os\"\n\n")
	for _, imp := range imports {
		if imp != "os" {
			fmt.Fprintf(&b, "\t_ %q\n", imp)
		}
	}
	b.WriteString(")\n\nfunc main() {\n\tif C.one() == 1 {\n\t\tos.Stdout.WriteString(\"hello\\n\")\n\t}\n}\n")
	return b.String()
}

// sandboxBuild is how the sandbox binary was built, read from the binary
// itself so the floor is built the same way (the Makefile's choice of
// static or dynamic linking and build tags is not repeated here).
type sandboxBuild struct {
	tags   string
	static bool
}

func readSandboxBuild(bin string) (sandboxBuild, error) {
	var sb sandboxBuild
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return sb, fmt.Errorf("build information of %s: %w", bin, err)
	}
	for _, s := range info.Settings {
		if s.Key == "-tags" {
			sb.tags = s.Value
		}
	}
	f, err := elf.Open(bin)
	if err != nil {
		return sb, err
	}
	defer f.Close()
	sb.static = true
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			sb.static = false
		}
	}
	return sb, nil
}

// helloImports builds go-hello-imports in dir the way the sandbox binary
// bin was built, from the module in the current directory.
func helloImports(dir, bin string) (command, error) {
	sb, err := readSandboxBuild(bin)
	if err != nil {
		return command{}, err
	}
	return buildImportsHello(dir, sb)
}

func buildImportsHello(dir string, sb sandboxBuild) (command, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return command{}, fmt.Errorf("go env GOMOD: %w", err)
	}
	modFile := strings.TrimSpace(string(gomod))
	if modFile == "" || modFile == os.DevNull {
		return command{}, fmt.Errorf("not run from the sandbox's source tree (no go.mod)")
	}
	moduleDir := filepath.Dir(modFile)
	imports, err := externalImports(moduleDir, "sandbox", "./cmd/sandbox", sb.tags)
	if err != nil {
		return command{}, err
	}
	// The module's own requirements, renamed, so the dependencies resolve
	// to the versions the sandbox links, from the module cache.
	mod, err := os.ReadFile(modFile)
	if err != nil {
		return command{}, err
	}
	mod = bytes.Replace(mod, []byte("module sandbox\n"), []byte("module hello\n"), 1)
	sum, err := os.ReadFile(filepath.Join(moduleDir, "go.sum"))
	if err != nil {
		return command{}, err
	}
	files := map[string][]byte{"go.mod": mod, "go.sum": sum, "main.go": []byte(importsSource(imports))}
	out, err := goBuild(filepath.Join(dir, "go-hello-imports"), files,
		helloBuild{cgo: "1", static: sb.static, tags: sb.tags, goflags: "-mod=mod"})
	if err != nil {
		return command{}, err
	}
	if out, err = installBuilt(out); err != nil {
		return command{}, err
	}
	return command{name: "go-hello-imports", argv: []string{out}, reference: true}, nil
}
