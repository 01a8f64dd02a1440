package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// hostReads are the calls that look at the machine: files, links,
// directories, the environment, $PATH and the host name.
var hostReads = map[string][]string{
	"os": {"Stat", "Lstat", "ReadFile", "Open", "OpenFile", "ReadDir", "Readlink", "DirFS",
		"Getenv", "LookupEnv", "Environ", "ExpandEnv", "Hostname", "Getwd", "Executable"},
	"exec":    {"LookPath", "Command"},
	"unix":    {"Stat", "Lstat", "Open", "Openat", "Openat2", "Readlink", "Readlinkat", "Uname", "Getdents", "Syscall", "RawSyscall"},
	"syscall": {"Stat", "Lstat", "Open", "Getenv", "Environ", "Uname", "Syscall", "RawSyscall"},
	"fs":      {"Stat", "ReadFile", "ReadDir"},
}

// recordingViews are the only files of the loader and the compiler that may
// look at the host: each look there records its path (or variable) for the
// plan cache first.
var recordingViews = map[string]bool{
	"../profile/hostfs.go": true,
}

// TestHostReadsRecorded fails on any look at the host made by the profile
// loader or the compiler other than through the recording views
// (hostview.Host, profile/hostfs.go): a cached plan is checked against
// what those recorded, so a read made anywhere else could change without
// the cache seeing it. The environment has its own test over every shipped
// profile (TestPlanEnvRecorded).
func TestHostReadsRecorded(t *testing.T) {
	for _, dir := range []string{"../profile", "../compile"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || recordingViews[f] {
				continue
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			// fs.Stat and friends on an fs.FS that is not the host's
			// (the embedded profiles) are fine; only os.DirFS makes
			// one of the host.
			ast.Inspect(af, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok || pkg.Obj != nil {
					return true
				}
				if pkg.Name == "fs" {
					return true
				}
				for _, name := range hostReads[pkg.Name] {
					if sel.Sel.Name == name {
						t.Errorf("%s: %s.%s looks at the host without recording it; go through hostview.Host (or profile/hostfs.go)", fset.Position(sel.Pos()), pkg.Name, name)
					}
				}
				return true
			})
		}
	}
}
