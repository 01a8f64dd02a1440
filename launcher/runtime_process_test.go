package launcher_test

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sandbox/launcher/internal/testutil"
)

var (
	caseSleep = defineCase("sleep", func(b *testutil.Builder, args []string) {
		b.DieWithParent = true
		b.Init = args[1] == "init"
		b.Argv = []string{"sleep", args[0]}
	})
	caseTrap = defineCase("trap", func(b *testutil.Builder, args []string) {
		b.Init = args[0] == "init"
		b.Argv = testutil.Shell(`trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done`)
	})
	casePID1NoHandler = defineCase("pid1-no-handler", func(b *testutil.Builder, args []string) {
		b.Init = args[0] == "init"
		b.Argv = testutil.Shell(`echo ready; exec sleep 1000`)
	})
	caseOrphans = defineCase("orphans", func(b *testutil.Builder, args []string) {
		b.Init = true
		// The orphan's parent exits first, so it is reparented to the
		// init: only the init can reap it, the shell cannot.
		b.Argv = testutil.Shell(`(sh -c 'touch /tmp/orphan-done' &)
			i=0; while [ ! -e /tmp/orphan-done ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
			i=0; while grep -qs '^State:.Z' /proc/[0-9]*/status && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
			ls /tmp; grep -ls '^State:.Z' /proc/[0-9]*/status; echo end`)
	})
)

// launcherMode is a launcher a process test starts: a re-executed test
// binary the test can kill or signal, as some user.
type launcherMode struct {
	name string
	cred func() *syscall.Credential
}

// launcherModes are root and an unprivileged user when the tests run as
// root, else the test's own user.
func launcherModes() []launcherMode {
	self := func() *syscall.Credential { return nil }
	if os.Geteuid() != 0 {
		return []launcherMode{{"self", self}}
	}
	return []launcherMode{{"root", self}, {"rootless", testutil.Nobody}}
}

// eventually polls cond for up to 10 seconds.
func eventually(cond func() bool) bool {
	for i := 0; i < 200; i++ {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// payloadPIDs returns the pids of `sleep MARKER` processes.
func payloadPIDs(marker string) []int {
	var out []int
	for _, pid := range testutil.Processes(marker) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.HasPrefix(string(b), "sleep\x00") {
			out = append(out, pid)
		}
	}
	return out
}

// L1: kill -9 the launcher, and the sandbox goes with it.
func TestRuntimeDiesWithTheLauncher(t *testing.T) {
	bin := testutil.PublicBinary(t)
	for _, m := range launcherModes() {
		for _, init := range []string{"", "init"} {
			t.Run(m.name+"-"+init, func(t *testing.T) {
				marker := fmt.Sprintf("%d.%d", 100000+rand.IntN(800000), rand.IntN(1000))
				cmd := testutil.Command(bin, "case", m.cred(), caseSleep, marker, init)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if !eventually(func() bool { return len(payloadPIDs(marker)) == 1 }) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatal("the payload did not start")
				}
				cmd.Process.Kill()
				cmd.Wait()
				if !eventually(func() bool { return len(payloadPIDs(marker)) == 0 }) {
					pids := payloadPIDs(marker)
					for _, p := range pids {
						syscall.Kill(p, syscall.SIGKILL)
					}
					t.Fatalf("the payload outlived the launcher: %v", pids)
				}
			})
		}
	}
}

// startReady starts a scenario and waits for the payload to print ready.
func startReady(t *testing.T, cmd *exec.Cmd) (*strings.Builder, func() testutil.Result) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("want ready, got %q, %v; stderr %s", line, err, stderr.String())
	}
	return &stderr, func() testutil.Result {
		rest, _ := io.ReadAll(r)
		err := cmd.Wait()
		res := testutil.Result{Stdout: string(rest), Stderr: stderr.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			res.Code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return res
	}
}

// L4, L5: SIGTERM to the launcher reaches the payload: a handler runs and
// its exit code comes back; a PID 1 without a handler still stops.
func TestRuntimeForwardsSignals(t *testing.T) {
	bin := testutil.PublicBinary(t)
	for _, m := range launcherModes() {
		for _, init := range []string{"", "init"} {
			t.Run(m.name+"-"+init, func(t *testing.T) {
				cmd := testutil.Command(bin, "case", m.cred(), caseTrap, init)
				_, wait := startReady(t, cmd)
				cmd.Process.Signal(syscall.SIGTERM)
				if r := wait(); r.Code != 42 {
					t.Errorf("trap: want the handler's 42, got %v", r)
				}

				cmd = testutil.Command(bin, "case", m.cred(), casePID1NoHandler, init)
				_, wait = startReady(t, cmd)
				cmd.Process.Signal(syscall.SIGTERM)
				if r := wait(); r.Code != 128+int(syscall.SIGTERM) {
					t.Errorf("no handler: want %d, got %v", 128+int(syscall.SIGTERM), r)
				}
			})
		}
	}
}

// L6: the init reaps orphans.
func TestRuntimeInitReapsOrphans(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseOrphans)
		if got := strings.Join(lines(r.Stdout), " "); r.Code != 0 || got != "orphan-done end" {
			t.Fatalf("want the orphan done and no zombie, got %v", r)
		}
	})
}

// L2: a launcher killed at any moment of setup leaves no process and no
// mount behind.
func TestRuntimeKilledDuringSetup(t *testing.T) {
	bin := testutil.PublicBinary(t)
	before := testutil.Mounts(t)
	marker := fmt.Sprintf("%d.%d", 100000+rand.IntN(800000), rand.IntN(1000))
	for i := 0; i < 60; i++ {
		modes := launcherModes()
		m := modes[i%len(modes)]
		cmd := testutil.Command(bin, "case", m.cred(), caseSleep, marker, []string{"", "init"}[i/2%2])
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.IntN(15000)) * time.Microsecond)
		cmd.Process.Kill()
		cmd.Wait()
	}
	if !eventually(func() bool { return len(payloadPIDs(marker)) == 0 }) {
		t.Errorf("payloads left: %v", payloadPIDs(marker))
	}
	if n := testutil.NewMounts(before, testutil.Mounts(t)); len(n) != 0 {
		t.Errorf("new mounts on the host: %v", n)
	}
}

var caseAlive = defineCase("alive", func(b *testutil.Builder, args []string) {
	b.DieWithParent = true
	b.Argv = testutil.Shell("sleep 0.5; echo alive")
})

// L3: the sandbox dies with the thread that cloned it (PR_SET_PDEATHSIG),
// so threads ending in the launcher while it runs must not take it along:
// goroutines here lock their threads and exit, which makes the Go runtime
// end those threads.
func TestRuntimeSurvivesThreadExits(t *testing.T) {
	p, err := buildCase(false, caseAlive, nil)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		r   testutil.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The caller's own thread, locked and ended after Run.
		runtime.LockOSThread()
		r, err := testutil.RunPlan(t, p)
		done <- result{r, err}
	}()
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			time.Sleep(time.Millisecond)
		}()
	}
	wg.Wait()
	res := <-done
	if res.err != nil || res.r.Code != 0 || strings.TrimSpace(res.r.Stdout) != "alive" {
		t.Fatalf("the sandbox did not survive the launcher's threads ending: %v %v", res.r, res.err)
	}
}
