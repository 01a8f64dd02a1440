package launcher_test

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"sandbox/launcher"
	"sandbox/launcher/internal/testutil"
	"sandbox/plan"
)

// A runtime case is a sandbox a test describes once and runs in every mode:
// in the test process as root (with and without a user namespace) and in a
// copy of the test binary re-executed as an unprivileged user. Cases are
// registered by name so that the re-executed binary can build the same
// plan.
type runtimeCase func(b *testutil.Builder, args []string)

var runtimeCases = map[string]runtimeCase{}

// defineCase registers a case; use it in a package-level var so that every
// case exists before init runs a scenario.
func defineCase(name string, c runtimeCase) string {
	runtimeCases[name] = c
	return name
}

func init() {
	testutil.ScenarioMain(map[string]testutil.Scenario{
		// case NAME ARGS...: build the case as this user and run it
		// with the launcher's own stdio.
		"case": func(args []string) int {
			p, err := buildCase(false, args[0], args[1:])
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
			code, err := launcher.Run(p, launcher.RunOptions{})
			if err != nil {
				// As the command prints it (printErr).
				fmt.Fprintln(os.Stderr, "sandbox: "+err.Error())
				return 125
			}
			return code
		},
		"probe-remount": probeRemount,
	})
}

func buildCase(userns bool, name string, args []string) (*plan.Plan, error) {
	c := runtimeCases[name]
	if c == nil {
		return nil, fmt.Errorf("no runtime case %q", name)
	}
	b := testutil.New()
	if userns {
		b.UserNS = true
	}
	c(b, args)
	return b.Plan(), nil
}

// runtimeMode is how a case is run.
type runtimeMode struct {
	name     string
	rootless bool // re-executed as nobody
	userns   bool // in-process root with a user namespace
}

// hasUserNS reports whether the sandbox gets a user namespace.
func (m runtimeMode) hasUserNS() bool {
	return m.rootless || m.userns || os.Geteuid() != 0
}

var runtimeModes = []runtimeMode{
	{name: "root"},
	{name: "root-userns", userns: true},
	{name: "rootless", rootless: true},
}

// forEachMode runs f as a subtest in every mode. Run by an unprivileged
// user, the tests run rootless in the test process itself.
func forEachMode(t *testing.T, f func(t *testing.T, m runtimeMode)) {
	if os.Geteuid() != 0 {
		t.Run("rootless-self", func(t *testing.T) { f(t, runtimeMode{name: "rootless-self"}) })
		return
	}
	for _, m := range runtimeModes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// runCase runs the named case in mode m and returns what it printed. A
// setup error comes back as exit 125 with the error on stderr.
func runCase(t *testing.T, m runtimeMode, name string, args ...string) testutil.Result {
	t.Helper()
	if m.rootless {
		bin := testutil.PublicBinary(t)
		return testutil.Wait(t, testutil.Command(bin, "case", testutil.Nobody(), append([]string{name}, args...)...))
	}
	p, err := buildCase(m.userns, name, args)
	if err != nil {
		t.Fatal(err)
	}
	r, err := testutil.RunPlan(t, p)
	if err != nil {
		r.Code = 125
		r.Stderr += err.Error() + "\n"
	}
	return r
}

// probeRemount runs inside a sandbox: it tries to make a read-only mount
// writable and to unmount it, and prints what the kernel said.
func probeRemount(args []string) int {
	target := args[0]
	err := syscall.Mount("", target, "", syscall.MS_REMOUNT|syscall.MS_BIND, "")
	fmt.Printf("remount: %v\n", errText(err))
	err = syscall.Unmount(target, syscall.MNT_DETACH)
	fmt.Printf("umount: %v\n", errText(err))
	return 0
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// lines splits output into trimmed non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
