package main

import (
	"os/exec"
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
