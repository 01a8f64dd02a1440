package launcher

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// hubScenarioEnv makes a re-executed test binary run a hub scenario
// instead of its tests.
const hubScenarioEnv = "SANDBOX_HUB_SCENARIO"

func init() {
	switch os.Getenv(hubScenarioEnv) {
	case "":
		return
	case "stray":
		// Signals that come with no Run in progress, after one ended:
		// each gets what it would have without the hub. SIGHUP,
		// ignored from the start (the shell's trap), stays ignored;
		// SIGTERM, caught again by the hub, then ends the program.
		os.Unsetenv(hubScenarioEnv)
		f := &runSignals{ch: make(chan os.Signal, 8)}
		runHubAttach(f)
		runHubDetach(f)
		hubWaitUnregistered(syscall.SIGHUP)
		os.Stdout.WriteString("alive after SIGHUP\n")
		<-runHubStart()
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(time.Minute)
		os.Exit(2)
	}
}

// hubWaitUnregistered sends s to this process and waits until the hub,
// which has no Run to give it to, let go of the signals.
func hubWaitUnregistered(s syscall.Signal) {
	_ = syscall.Kill(os.Getpid(), s)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		runHub.mu.Lock()
		done := runHub.ready == nil
		runHub.mu.Unlock()
		if done {
			return
		}
	}
	os.Stdout.WriteString("the hub kept the signals\n")
	os.Exit(1)
}

// Every Run in progress gets each signal.
func TestRunHubForwardsToEveryRun(t *testing.T) {
	a := &runSignals{ch: make(chan os.Signal, 8)}
	b := &runSignals{ch: make(chan os.Signal, 8)}
	runHubAttach(a)
	runHubAttach(b)
	defer runHubDetach(a)
	defer runHubDetach(b)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*runSignals{a, b} {
		select {
		case s := <-f.ch:
			if s != syscall.SIGUSR2 {
				t.Errorf("got %v, want SIGUSR2", s)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a Run in progress never got SIGUSR2")
		}
	}
}

// Once no Run is in progress, the signals are what they were without the
// hub: an ignored one stays ignored, another takes its default action.
func TestRunHubStraySignal(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `trap '' HUP; exec "$0"`, self)
	cmd.Env = append(os.Environ(), hubScenarioEnv+"=stray")
	out, err := cmd.Output()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM || string(out) != "alive after SIGHUP\n" {
		t.Fatalf("want death by SIGTERM after surviving SIGHUP, got %v, output %q", err, out)
	}
}
