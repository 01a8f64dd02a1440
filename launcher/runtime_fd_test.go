package launcher_test

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"sandbox/launcher/internal/testutil"
)

var caseFDs = defineCase("fds", func(b *testutil.Builder, args []string) {
	if len(args) > 0 && args[0] == "pass7" {
		b.PassFDs = []int{7}
	}
	b.Argv = []string{"ls", "/proc/self/fd"}
})

// extraFiles are fds 3 to 9 of a launcher: files, a directory and a
// socket, none of which the payload may see (D1).
func extraFiles(t *testing.T) []*os.File {
	t.Helper()
	var files []*os.File
	for _, p := range []string{"/etc/passwd", "/", "/etc/hostname", "/etc", "/etc/passwd", "/"} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files = append(files, f)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := os.NewFile(uintptr(fds[0]), "sock0"), os.NewFile(uintptr(fds[1]), "sock1")
	t.Cleanup(func() { s0.Close(); s1.Close() })
	return append(files, s0)
}

// D1, D2: the payload has 0-2 (ls's own directory fd aside) and the fds
// the plan passes, nothing else of the launcher.
func TestRuntimeLeaksNoFDs(t *testing.T) {
	bin := testutil.PublicBinary(t)
	for _, m := range launcherModes() {
		t.Run(m.name, func(t *testing.T) {
			cmd := testutil.Command(bin, "case", m.cred(), caseFDs)
			cmd.ExtraFiles = extraFiles(t)
			if r := testutil.Wait(t, cmd); r.Code != 0 || strings.Join(lines(r.Stdout), " ") != "0 1 2 3" {
				t.Errorf("want 0 1 2 3 (ls's own), got %v", r)
			}
			cmd = testutil.Command(bin, "case", m.cred(), caseFDs, "pass7")
			cmd.ExtraFiles = extraFiles(t)
			if r := testutil.Wait(t, cmd); r.Code != 0 || strings.Join(lines(r.Stdout), " ") != "0 1 2 3 7" {
				t.Errorf("want 0 1 2 3 7 with fd 7 passed, got %v", r)
			}
		})
	}
	// The test process itself has many fds open; none may pass either.
	t.Run("in-process", func(t *testing.T) {
		forEachMode(t, func(t *testing.T, m runtimeMode) {
			if r := runCase(t, m, caseFDs); r.Code != 0 || strings.Join(lines(r.Stdout), " ") != "0 1 2 3" {
				t.Errorf("want 0 1 2 3, got %v", r)
			}
		})
	})
}

// D3: many runs in one process leave its fd count where it was.
func TestRuntimeFDCountIsStable(t *testing.T) {
	p, err := buildCase(false, caseEcho, nil)
	if err != nil {
		t.Fatal(err)
	}
	testutil.RunPlan(t, p) // settle lazily opened runtime fds
	before := testutil.OpenFDs(t)
	for i := 0; i < 30; i++ {
		if r, err := testutil.RunPlan(t, p); err != nil || r.Code != 7 {
			t.Fatalf("run %d: %v %v", i, r, err)
		}
	}
	if after := testutil.OpenFDs(t); after != before {
		t.Fatalf("open fds went from %d to %d over 30 runs", before, after)
	}
}
