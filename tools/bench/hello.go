package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// helloSource is the program `sandbox --version` is compared with: it
// starts the Go runtime, prints a line and exits. With cgo it also links
// the C library and starts the runtime's cgo side, as the sandbox must
// (libseccomp-golang, and the C that runs before the runtime and after
// clone).
const helloSource = `package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
`

const helloCgoSource = `package main

// static int one(void) { return 1; }
import "C"
import "os"

func main() {
	if C.one() == 1 {
		os.Stdout.WriteString("hello\n")
	}
}
`

// helloWorlds builds both hello worlds in dir and returns the commands
// that run them: "go-hello" as plain `go build` makes it, and
// "go-hello-cgo" linked statically as the sandbox is (dynamically where
// the static C library is missing, as the sandbox's own build falls back).
// A hello world that cannot be built is left out with a note.
func helloWorlds(dir string) ([]command, []string) {
	var cmds []command
	var notes []string
	for _, h := range []struct {
		name, src, cgo string
		static         bool
	}{
		{"go-hello", helloSource, "0", false},
		{"go-hello-cgo", helloCgoSource, "1", true},
	} {
		bin, err := buildHello(filepath.Join(dir, h.name), h.src, h.cgo, h.static)
		if err != nil && h.static {
			bin, err = buildHello(filepath.Join(dir, h.name), h.src, h.cgo, false)
			if err == nil {
				notes = append(notes, h.name+" is linked dynamically: no static C library here")
			}
		}
		if err == nil {
			bin, err = installBuilt(bin)
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("skipping %s: %v", h.name, err))
			continue
		}
		cmds = append(cmds, command{name: h.name, argv: []string{bin}, reference: true})
	}
	return cmds, notes
}

// installBuilt installs a copy of the hello world bin next to it, to be
// timed as the sandbox binary is (installExecutable).
func installBuilt(bin string) (string, error) {
	dir := filepath.Join(filepath.Dir(bin), "installed")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	return installExecutable(bin, dir)
}

func buildHello(dir, src, cgo string, static bool) (string, error) {
	files := map[string][]byte{"main.go": []byte(src), "go.mod": []byte("module hello\n\ngo 1.22\n")}
	return goBuild(dir, files, helloBuild{cgo: cgo, static: static})
}

// helloBuild is how goBuild builds a hello world.
type helloBuild struct {
	cgo     string // CGO_ENABLED
	static  bool
	tags    string
	goflags string // GOFLAGS, empty to clear the caller's
}

// goBuild writes files into dir and builds them there into dir/hello,
// which it returns.
func goBuild(dir string, files map[string][]byte, b helloBuild) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(dir, "hello")
	args := []string{"build", "-trimpath", "-o", bin}
	if b.tags != "" {
		args = append(args, "-tags", b.tags)
	}
	if b.static {
		args = append(args, "-ldflags=-extldflags=-static")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo, "GOFLAGS="+b.goflags)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return bin, nil
}
