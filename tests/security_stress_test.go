package tests

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process lifecycle rows and the stress rows of the security checklist:
// L2, L3, L5, and P3 with L6 sharing one stress run. L1 is TestDieWithParent,
// L4 TestSignalForwarding, L7 TestExitCodes; the plain L6 case is
// TestOrphansReaped.

// stressWorkers launch sandboxes side by side: concurrency is part of the
// stress, and it keeps the full CI counts within minutes.
const stressWorkers = 4

// stressPayload double-forks orphans, reports its privileges and exits 7;
// with check set it then waits for the orphans to be reaped and lists any
// zombie.
func stressPayload(check bool) string {
	s := `(sh -c 'exit 0' &); (true &); (sleep 0.01 &); cat /proc/self/status`
	if check {
		s += `; sleep 0.3; for f in /proc/[0-9]*/status; do grep -q '^State:.*Z' $f 2>/dev/null && echo ZOMBIE $f; done`
	}
	return s + `; exit 7`
}

// TestP3PrivilegesUnderGoThreads launches many sandboxes with GOMAXPROCS=16
// in the launcher's environment, several at a time, each payload leaving
// double-forked orphans behind: capabilities, NoNewPrivs and seccomp are
// right every time (they are per thread), the payload's exit status is
// never lost to a wait race, and no zombie remains (P3, L6).
func TestP3PrivilegesUnderGoThreads(t *testing.T) {
	n := stressCount(1000, 100, 30)
	bothModes(t, func(t *testing.T, m mode) {
		rt := newCacheRun(t, m).runtime
		start := time.Now()
		jobs := make(chan int)
		var mu sync.Mutex
		var failures []string
		fail := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			if len(failures) < 20 {
				failures = append(failures, fmt.Sprintf(format, args...))
			}
		}
		var wg sync.WaitGroup
		for w := 0; w < stressWorkers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					r, err := launch(m, stressEnv(i, rt, "GOMAXPROCS=16"), "-p", "minimal", "--", "/bin/sh", "-c", stressPayload(i%50 == 0))
					if err != nil {
						fail("run %d: %v", i, err)
						continue
					}
					if r.code != 7 {
						fail("run %d: exit %d, want the payload's 7\n%s", i, r.code, r)
						continue
					}
					for _, f := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
						if v := statusField(r.stdout, f); v != "0000000000000000" {
							fail("run %d: %s = %q", i, f, v)
						}
					}
					if v := statusField(r.stdout, "NoNewPrivs"); v != "1" {
						fail("run %d: NoNewPrivs = %q", i, v)
					}
					if v := statusField(r.stdout, "Seccomp"); v != "2" {
						fail("run %d: Seccomp = %q", i, v)
					}
					if strings.Contains(r.stdout, "ZOMBIE") {
						fail("run %d: zombies inside:\n%s", i, r.stdout)
					}
				}
			}()
		}
		for i := 0; i < n; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		t.Logf("%d launches, %d at a time, in %v", n, stressWorkers, time.Since(start).Round(time.Millisecond))
		for _, f := range failures {
			t.Error(f)
		}
	})
}

// TestL2KilledDuringSetup kills the launcher with SIGKILL at a random moment
// in its first 50 ms, many times: no process, mount or file may outlive it.
// It runs with every CPU busy: a loaded machine is where the launcher's
// threads take longest to die, which makes likelier the race of a sandbox
// whose setup ends while they do (init.c, sbx_init_watch_launcher); it
// is not a certain way to hit it.
func TestL2KilledDuringSetup(t *testing.T) {
	n := stressCount(200, 100, 50)
	bothModes(t, func(t *testing.T, m mode) {
		// A private TMPDIR, where the launcher makes any scratch
		// directory of its own: the shared /tmp also holds whatever
		// other programs on the machine write while the test runs.
		tmpdir := t.TempDir()
		if err := os.Chmod(tmpdir, 0o1777); err != nil {
			t.Fatal(err)
		}
		mounts := mountPoints(t)
		// Its own per run: a leftover of one run must not fail the
		// next (go test -count).
		marker := fmt.Sprintf("9%012d", time.Now().UnixNano()%1e12)
		rt := newCacheRun(t, m).runtime
		busyCPUs(t)
		start := time.Now()
		for i := 0; i < n; i++ {
			cmd := exec.Command(sandboxBin, "-p", "minimal", "--", "/bin/sh", "-c",
				fmt.Sprintf("sleep %s1 & sleep %s2", marker, marker))
			cmd.Dir = "/"
			cmd.Env = stressEnv(i, rt, "PATH=/usr/bin:/bin", "HOME=/nonexistent", "TMPDIR="+tmpdir)
			if m.rootless() {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rand.IntN(50_001)) * time.Microsecond)
			cmd.Process.Kill()
			cmd.Wait()
			waitGone(t, marker)
		}
		t.Logf("%d launches killed in %v", n, time.Since(start).Round(time.Millisecond))
		sameMounts(t, mounts)
		for _, name := range lastingNewEntries(t, tmpdir, map[string]bool{}) {
			t.Errorf("file left in TMPDIR: %s", name)
		}
		// A launcher killed while it stored its plan leaves at most a
		// temporary file, which the next store removes once stale.
		for _, e := range entries(rt) {
			if e != "sandbox" {
				t.Errorf("left in the runtime directory: %s", e)
			}
		}
	})
}

// stressEnv is env for launch i of a stress run: a login session's runtime
// directory rt, with the plan cache on for odd launches and off for even
// ones, so that both the cached and the compiled launch are stressed.
func stressEnv(i int, rt string, env ...string) []string {
	env = append(env, "XDG_RUNTIME_DIR="+rt)
	if i%2 == 0 {
		env = append(env, "SANDBOX_PLAN_CACHE=off")
	}
	return env
}

// TestL3PayloadSurvivesLauncherThreads keeps the launcher's Go runtime busy
// (GOMAXPROCS=16, a stream of forwarded signals) while the payload runs: a
// parent-death signal tied to a launcher thread that exits would kill the
// payload early (golang/go#27505).
func TestL3PayloadSurvivesLauncherThreads(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for i := 0; i < 5; i++ {
			cmd := exec.Command(sandboxBin, "-p", "minimal", "--", "/bin/sh", "-c", "trap '' WINCH; sleep 1.5; echo alive")
			cmd.Dir = "/"
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "GOMAXPROCS=16"}
			if m.rootless() {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
			}
			var out strings.Builder
			cmd.Stdout = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				for {
					select {
					case <-done:
						return
					case <-time.After(20 * time.Millisecond):
						cmd.Process.Signal(syscall.SIGWINCH)
					}
				}
			}()
			err := cmd.Wait()
			close(done)
			if cmd.ProcessState.ExitCode() != 0 || strings.TrimSpace(out.String()) != "alive" {
				t.Fatalf("run %d: the payload did not live to the end: %v, output %q", i, err, out.String())
			}
		}
	})
}

// TestL5PayloadAsPID1Stops sends SIGTERM to the launcher of a payload that
// has no handler, with and without the init: the kernel ignores default
// signals for a PID 1, so the launcher must still make it stop.
func TestL5PayloadAsPID1Stops(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range []struct{ name, extra string }{
			{"payload is PID 1", "\n[process]\ninit = false\n"},
			{"with the init", ""},
		} {
			prof := secProfile(t, "l5.toml", "extends = [\"minimal\"]\n"+c.extra)
			cmd, out := startSandbox(t, m, "-p", prof, "--", "/bin/sh", "-c", "echo ready; exec sleep 1000")
			if got := readLine(t, out); got != "ready" {
				t.Fatalf("%s: sandbox said %q", c.name, got)
			}
			// The exec after "ready" must have happened before the signal.
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("%s: SIGTERM did not stop a payload without a handler", c.name)
			}
			if code := cmd.ProcessState.ExitCode(); code != 128+15 && code != 128+9 {
				t.Errorf("%s: exit %d, want 143 (or 137 if the launcher had to kill)", c.name, code)
			}
		}
	})
}

// busyCPUs keeps every CPU busy until the test ends, with processes of
// their own: the scheduler then shares the CPUs between them and the
// launcher's threads as on a loaded machine.
func busyCPUs(t *testing.T) {
	for i := 0; i < runtime.NumCPU(); i++ {
		cmd := exec.Command("/bin/sh", "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
}
