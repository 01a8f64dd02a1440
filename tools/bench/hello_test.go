package main

import (
	"os/exec"
	"strings"
	"testing"

	"sandbox/internal/testutil"
)

// The hello worlds `sandbox --version` is compared with must build and
// run wherever the benchmark does, or its start-up rows lose their
// reference without anyone noticing.
func TestHelloWorldsBuildAndRun(t *testing.T) {
	_, err := exec.LookPath("go")
	testutil.RequireOrSkip(t, err == nil, "no go command on PATH: the benchmark builds its hello worlds with it")
	cmds, notes := helloWorlds(t.TempDir())
	for _, n := range notes {
		t.Log(n)
	}
	got := map[string]bool{}
	for _, c := range cmds {
		out, err := exec.Command(c.argv[0], c.argv[1:]...).Output()
		if err != nil || string(out) != "hello\n" {
			t.Errorf("%s: %q, %v", c.name, out, err)
		}
		got[c.name] = true
	}
	for _, name := range []string{"go-hello", "go-hello-cgo"} {
		if !got[name] {
			t.Errorf("%s was not built", name)
		}
	}
}

// go-hello-imports must link what the sandbox imports from outside the
// module, the design card's dependencies among them, and nothing of the
// sandbox's own, or `--version` over it measures the wrong share. Built
// as a sandbox binary is, it must run, and its build must read back the
// way the benchmark reads the sandbox's.
func TestHelloImportsLinksTheSandboxImports(t *testing.T) {
	_, err := exec.LookPath("go")
	testutil.RequireOrSkip(t, err == nil, "no go command on PATH: the benchmark builds its hello worlds with it")
	imports, err := externalImports("../..", "sandbox", "./cmd/sandbox", "osusergo,netgo")
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, imp := range imports {
		has[imp] = true
		if imp == "C" || strings.HasPrefix(imp, "sandbox/") {
			t.Errorf("imports list %q, which the hello world must not link", imp)
		}
	}
	for _, want := range []string{
		"github.com/BurntSushi/toml",
		"github.com/moby/sys/capability",
		"github.com/seccomp/libseccomp-golang",
		"golang.org/x/sys/unix",
		"os/exec",
	} {
		if !has[want] {
			t.Errorf("imports lack %s: %v", want, imports)
		}
	}

	want := sandboxBuild{tags: "osusergo,netgo"}
	c, err := buildImportsHello(t.TempDir(), want)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(c.argv[0]).Output()
	if err != nil || string(out) != "hello\n" {
		t.Errorf("%s: %q, %v", c.name, out, err)
	}
	got, err := readSandboxBuild(c.argv[0])
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("build read back as %+v, want %+v", got, want)
	}
}
