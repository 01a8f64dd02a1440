package compile

import (
	"reflect"
	"sandbox/internal/compiletest"
	"sandbox/plan"
	"strings"
	"testing"
)

// landlockStep compiles text on the golden host with the given ABI and
// returns its Landlock step, or nil.
func landlockStep(t *testing.T, text string, abi int) (*plan.Landlock, error) {
	t.Helper()
	h := compiletest.GoldenHost()
	h.LandlockABI = func() int { return abi }
	pl, err := Compile(compiletest.LoadText(t, text), []string{"/bin/true"}, h)
	if err != nil {
		return nil, err
	}
	for i, s := range pl.Steps {
		if ll, ok := s.(plan.Landlock); ok {
			// Right before seccomp: the last setup step of the
			// payload but the filter.
			if _, ok := pl.Steps[i+1].(plan.Seccomp); !ok {
				t.Errorf("the Landlock step is followed by %s, not seccomp", pl.Steps[i+1].Kind())
			}
			return &ll, nil
		}
	}
	return nil, nil
}

// TestLandlockFromView checks the ruleset the compiler derives: read
// beneath / (covering every read-only part), write beneath each writable
// mount once, none for what a remount-ro made read-only, and the
// profile's own rules kept and marked required.
func TestLandlockFromView(t *testing.T) {
	ll, err := landlockStep(t, `extends = ["minimal"]
[[mount]]
type = "tmpfs"
target = "/work"
[[mount]]
type = "tmpfs"
target = "/work/sub"
[[mount]]
type = "tmpfs"
target = "/frozen"
[[mount]]
type = "remount-ro"
target = "/frozen"
[landlock]
read_write = ["/work/sub"]
[network]
connect_ports = [443, 80]
`, 6)
	if err != nil || ll == nil {
		t.Fatalf("no Landlock step: %v", err)
	}
	var got []string
	for _, p := range ll.Paths {
		w := "r"
		if p.Write {
			w = "w"
		}
		if p.Required {
			w += "!"
		}
		got = append(got, p.Path+":"+w)
	}
	want := []string{"/:r", "/dev:w", "/proc:w", "/tmp:w", "/work:w", "/work/sub:w!"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules %v, want %v", got, want)
	}
	if len(ll.Ports) != 2 || ll.Ports[0].Port != 80 || ll.HandledNet == 0 {
		t.Errorf("port rules %+v, handled %#x", ll.Ports, ll.HandledNet)
	}
	if len(ll.Missing) != 0 {
		t.Errorf("ABI 6 misses %q", ll.Missing)
	}
}

// TestLandlockABIAndSwitches checks the best effort by ABI and the keys
// that turn it off or require it.
func TestLandlockABIAndSwitches(t *testing.T) {
	ll, err := landlockStep(t, "extends = [\"minimal\"]\n[network]\nbind_ports = [8080]\n", 3)
	if err != nil || ll == nil {
		t.Fatalf("ABI 3: %v", err)
	}
	missing := strings.Join(ll.Missing, "\n")
	for _, w := range []string{"ABI 4", "ABI 5", "ABI 6"} {
		if !strings.Contains(missing, w) || !strings.Contains(ll.Describe(), w) {
			t.Errorf("ABI 3: explain does not say what %s would add: %q", w, ll.Describe())
		}
	}
	if ll, _ := landlockStep(t, "extends = [\"minimal\"]\n[landlock]\nenabled = false\n", 6); ll != nil {
		t.Error("landlock.enabled = false still has a Landlock step")
	}
	if ll, _ := landlockStep(t, "extends = [\"minimal\"]\n[process]\nno_new_privs = false\n", 6); ll != nil {
		t.Error("without no_new_privs the step is there, and would fail after the capabilities went")
	}
	_, err = landlockStep(t, "extends = [\"minimal\"]\n[landlock]\nrequire = 5\n", 3)
	if err == nil || !strings.Contains(err.Error(), "p.toml:3:1: landlock.require: this kernel offers Landlock ABI 3, below the 5 the profile requires") {
		t.Errorf("require above the kernel's ABI: %v", err)
	}
}
