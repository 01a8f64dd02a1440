package testutil

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sandbox/launcher"
	"sandbox/plan"
)

// Mounts returns the test process's mounts as "mountpoint fstype source"
// lines, for comparing the host before and after a run.
func Mounts(t testing.TB) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		for i, x := range f {
			if x == "-" && i+2 < len(f) && len(f) > 4 {
				m[f[4]+" "+f[i+1]+" "+f[i+2]] = true
			}
		}
	}
	return m
}

// NewMounts returns the lines of after that are not in before.
func NewMounts(before, after map[string]bool) []string {
	var out []string
	for l := range after {
		if !before[l] {
			out = append(out, l)
		}
	}
	return out
}

// Processes returns the pids whose command line contains marker.
func Processes(marker string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// OpenFDs counts the test process's open fds.
func OpenFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents) - 1 // the directory's own fd
}

// RunPlan runs p in the test process with the payload's stdout and stderr
// captured.
func RunPlan(t testing.TB, p *plan.Plan) (Result, error) {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	code, runErr := launcher.Run(p, launcher.RunOptions{Stdin: devnull, Stdout: out, Stderr: errf})
	o, _ := os.ReadFile(out.Name())
	e, _ := os.ReadFile(errf.Name())
	return Result{Code: code, Stdout: string(o), Stderr: string(e)}, runErr
}
