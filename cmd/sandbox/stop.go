package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sandbox/internal/instance"
)

// cmdStop ends a running sandbox: SIGTERM to it, and after the timeout
// SIGKILL to every process in it. It returns once none is left.
func cmdStop(args []string, stdout, stderr io.Writer) int {
	key, timeout, err := parseStopArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: stop: %v (usage: sandbox stop ID|NAME [--timeout SECONDS])\n", err)
		return exitLauncher
	}
	r, err := instance.Find(instanceDirs(), key)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: stop: %v\n", err)
		return exitLauncher
	}
	// The init relays SIGTERM to the payload; without an init the pid
	// is the payload itself.
	if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.EPERM) {
			fmt.Fprintf(stderr, "sandbox: stop: sandbox %s belongs to uid %d; only its user or root may stop it\n", r.ID, r.UID)
		} else {
			fmt.Fprintf(stderr, "sandbox: stop: sandbox %s: %v\n", r.ID, err)
		}
		return exitLauncher
	}
	fmt.Fprintf(stdout, "sent SIGTERM to sandbox %s (pid %d)\n", r.ID, r.PID)
	if stopWait(r, timeout) {
		fmt.Fprintf(stdout, "sandbox %s ended\n", r.ID)
		return 0
	}
	// Everything: the init's death alone ends a pid namespace, and a
	// sandbox without one is its process tree.
	pids := instance.Tree(r.PID)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	fmt.Fprintf(stdout, "sandbox %s still ran after %s: sent SIGKILL to %d process(es)\n", r.ID, timeout, len(pids))
	if !stopWait(r, 10*time.Second) {
		fmt.Fprintf(stderr, "sandbox: stop: sandbox %s still runs after SIGKILL\n", r.ID)
		return exitLauncher
	}
	fmt.Fprintf(stdout, "sandbox %s ended\n", r.ID)
	return 0
}

func parseStopArgs(args []string) (string, time.Duration, error) {
	key, timeout := "", 10*time.Second
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--timeout" || strings.HasPrefix(a, "--timeout="):
			v, ok := strings.CutPrefix(a, "--timeout=")
			if !ok {
				if i+1 >= len(args) {
					return "", 0, errors.New("--timeout needs a number of seconds")
				}
				i++
				v = args[i]
			}
			s, err := strconv.ParseFloat(v, 64)
			if err != nil || s < 0 {
				return "", 0, fmt.Errorf("--timeout %q: give a number of seconds", v)
			}
			timeout = time.Duration(s * float64(time.Second))
		case strings.HasPrefix(a, "-"):
			return "", 0, fmt.Errorf("unknown option %q", a)
		case key != "":
			return "", 0, fmt.Errorf("one sandbox at a time (got %q and %q)", key, a)
		default:
			key = a
		}
	}
	if key == "" {
		return "", 0, errors.New("which sandbox? give its id or name")
	}
	return key, timeout, nil
}

// stopWait waits until nothing of the sandbox is left: its first process
// is gone (or a zombie its launcher has yet to reap) and so are all its
// descendants.
func stopWait(r instance.Record, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !r.Alive() && len(liveTree(r)) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveTree is what is left of the sandbox's processes, zombies excluded.
func liveTree(r instance.Record) []int {
	st, ok := instance.Stat(r.PID)
	if !ok || st.Start != r.Start {
		return nil
	}
	var out []int
	for _, p := range instance.Tree(r.PID) {
		if s, ok := instance.Stat(p); ok && s.State != 'Z' {
			out = append(out, p)
		}
	}
	return out
}
