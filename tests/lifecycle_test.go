package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSandbox starts a sandbox that prints a line once the payload is
// ready, and returns the running command and the line reader.
func startSandbox(t *testing.T, m mode, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(sandboxBin, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
	if m.rootless() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(out)
}

// readLine reads one line or fails after 20 seconds.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	ch := make(chan string, 1)
	go func() { s, _ := r.ReadString('\n'); ch <- strings.TrimSpace(s) }()
	select {
	case s := <-ch:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("no output from the sandbox within 20 seconds")
		return ""
	}
}

// hostPIDsWithMarker lists host processes whose command line contains marker.
func hostPIDsWithMarker(marker string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitGone waits up to a few seconds for no process to carry marker.
func waitGone(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if len(hostPIDsWithMarker(marker)) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	var desc []string
	for _, pid := range hostPIDsWithMarker(marker) {
		desc = append(desc, describePID(pid))
	}
	t.Fatalf("processes still alive after the launcher died:\n%s", strings.Join(desc, "\n"))
}

// describePID says what a leftover process is: its command, state, parent
// and pid in each namespace, for a failure to be understood afterwards.
func describePID(pid int) string {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	cmd, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	st, _ := os.ReadFile(filepath.Join(dir, "status"))
	var keep []string
	for _, l := range strings.Split(string(st), "\n") {
		for _, k := range []string{"State:", "PPid:", "NSpid:", "Uid:", "SigCgt:", "SigBlk:"} {
			if strings.HasPrefix(l, k) {
				keep = append(keep, strings.Join(strings.Fields(l), " "))
			}
		}
	}
	return fmt.Sprintf("  %d %q %s", pid, strings.ReplaceAll(string(cmd), "\x00", " "), strings.Join(keep, "; "))
}

// TestDieWithParent kills the launcher with SIGKILL and checks that every
// process of the sandbox is gone (L1).
func TestDieWithParent(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		marker := "die-with-parent-" + m.name + strconv.Itoa(os.Getpid())
		cmd, out := startSandbox(t, m, "-p", "minimal", "--", "/bin/sh", "-c",
			"sleep 1000 & sleep 1001 & echo ready; exec sleep 1002 # "+marker)
		if got := readLine(t, out); got != "ready" {
			t.Fatalf("sandbox said %q", got)
		}
		// Mark children too: their cmdlines are "sleep 100x"; find by the
		// shell's marker and by the distinctive durations.
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		waitGone(t, marker)
		for _, d := range []string{"1000", "1001", "1002"} {
			waitGone(t, "sleep\x00"+d)
		}
	})
}

// TestSignalForwarding sends SIGTERM, SIGINT and SIGHUP to the launcher: the
// payload's handler runs and its exit code comes back (L4).
func TestSignalForwarding(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
			cmd, out := startSandbox(t, m, "-p", "minimal", "--", "/bin/sh", "-c",
				"trap 'exit 42' "+strconv.Itoa(int(sig))+"; echo ready; while :; do sleep 0.05; done")
			if got := readLine(t, out); got != "ready" {
				t.Fatalf("sandbox said %q", got)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 42 {
				t.Errorf("%v: launcher exited %d (%v), want the handler's 42", sig, code, err)
			}
		}
	})
}

// TestOrphansReaped double-forks inside and checks that no zombie remains
// while the payload still runs (L6).
func TestOrphansReaped(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		out := mustRun(t, m, "/bin/sh", "-c",
			"for i in 1 2 3 4 5; do (sh -c 'exit 0' &) ; done; sleep 0.5; grep -l '^State:.*Z' /proc/[0-9]*/status || echo none")
		if strings.TrimSpace(out) != "none" {
			t.Fatalf("zombies inside the sandbox: %s", out)
		}
	})
}

// mountTable returns the host's mount points.
func mountTable(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			m[f[4]] = true
		}
	}
	return m
}

func dirNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	m := map[string]bool{}
	for _, e := range ents {
		m[e.Name()] = true
	}
	return m
}

// TestNothingLeftBehind compares the host's mounts, /tmp and processes
// before and after runs that succeed, fail in setup and are killed (F8).
func TestNothingLeftBehind(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		mounts, tmp := mountTable(t), dirNames(t, "/tmp")
		mustRun(t, m, "/bin/true")
		bad := writeProfile(t, "missing.toml", "extends = [\"minimal\"]\n[[mount]]\ntype = \"proc\"\ntarget = \"/usr/proc-here\"\n")
		sandbox(t, m, "-p", bad, "--", "/bin/true")
		cmd, out := startSandbox(t, m, "-p", "minimal", "--", "/bin/sh", "-c", "echo ready; sleep 100")
		readLine(t, out)
		cmd.Process.Kill()
		cmd.Wait()
		time.Sleep(200 * time.Millisecond)
		for mp := range mountTable(t) {
			if !mounts[mp] {
				t.Errorf("mount left on the host: %s", mp)
			}
		}
		// Other test packages create and remove temp files meanwhile:
		// only an entry that stays counts.
		for _, name := range lastingNewEntries(t, "/tmp", tmp) {
			if !strings.HasPrefix(name, "sandbox-") {
				t.Errorf("file left in /tmp: %s", name)
			}
		}
	})
}
