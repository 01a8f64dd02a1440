package tests

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The caller's process group and terminal (R3, R4): the launcher is
// started by a shell script, on a terminal and in a pipeline, as a user
// starts it.

// r3Script starts a sibling, as a script that runs other jobs does, and
// then a sandbox whose payload attacks its own process group; afterwards
// the script reports whether it and its sibling are alive, and their
// niceness and I/O priority before and after.
const r3Script = `sleep 1000 & sib=$!
state() { echo "nice $(cut -d' ' -f19 /proc/$1/stat) io $(ionice -p $1)"; }
echo "script before: $(state $$)"
echo "sibling before: $(state $sib)"
"$SANDBOX" -p "$PROF" -- /bin/sh -c 'trap "" TERM; exec /attack/probe killpg0 nice_pgrp ioprio_pgrp'
echo "launcher exit: $?"
echo "script after: $(state $$)"
kill -0 $sib && echo "sibling after: $(state $sib)"
kill $sib
`

// TestR3CallerProcessGroup: the payload's kill(0, SIGTERM),
// setpriority(PRIO_PGRP, 0, 19) and ioprio_set(IOPRIO_WHO_PGRP, 0, idle)
// succeed, and reach neither the script that started the sandbox nor its
// other child: the sandbox has a process group of its own in every
// profile, with and without an init, a pid namespace, a session of its own
// or a terminal.
func TestR3CallerProcessGroup(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		variants := []struct{ name, extra string }{
			{"init", ""},
			{"payload is PID 1", "\n[process]\ninit = false\n"},
			{"no pid namespace", "\n[namespaces]\npid = false\n[merge]\nremove = { mount = [\"/proc\"] }\n"},
			{"new session", "\n[process]\nnew_session = true\n"},
		}
		for _, lp := range launchPaths(t, m) {
			for i, v := range variants {
				if lp.runs > 1 && i > 0 {
					continue // the cached path: the first variant is enough
				}
				prof := attackProfile(t, v.extra)
				lp.prepare(t, prof)
				for _, onTTY := range []bool{true, false} {
					where := map[bool]string{true: "on a terminal", false: "in a pipeline"}[onTTY]
					for run := 1; run <= lp.runs; run++ {
						out := runCaller(t, m, callerEnv(t, m, prof, lp.env), onTTY, r3Script)
						lp.checkPath(t, run, out)
						checkR3(t, fmt.Sprintf("%s, %s, %s", lp.name, v.name, where), out)
					}
				}
			}
		}
	})
}

func checkR3(t *testing.T, what, out string) {
	t.Helper()
	for _, who := range []string{"script", "sibling"} {
		before, _ := lineWith(out, who+" before:")
		after, ok := lineWith(out, who+" after:")
		switch {
		case !ok:
			t.Errorf("%s: the %s did not survive the payload's kill(0, SIGTERM)\n%s", what, who, out)
			return
		case after != before || strings.Contains(after, "idle"):
			t.Errorf("%s: the payload changed the %s's priorities: %q, was %q\n%s", what, who, after, before, out)
		}
	}
	// Alive and untouched: because the attacks missed, not because
	// they never ran.
	res := parseProbes(t, out)
	for _, p := range []string{"killpg0", "nice_pgrp", "ioprio_pgrp"} {
		if !res[p].ok() {
			t.Errorf("%s: the attack %s did not run, so the test proves nothing: %s\n%s", what, p, res[p], out)
		}
	}
	if code, _ := lineWith(out, "launcher exit:"); code != "0" {
		t.Errorf("%s: launcher exit %q, want 0\n%s", what, code, out)
	}
}

// r4Script saves the terminal's modes, runs a payload that leaves it in
// exclusive and raw mode, and then opens /dev/tty again and compares.
const r4Script = `before=$(stty -g)
"$SANDBOX" -p "$PROF" -- /bin/sh -c "$PAYLOAD"
echo "launcher exit: $?"
"$ATTACK/probe" tiocgexcl=0
if (exec 3</dev/tty); then echo "reopened: yes"; else echo "reopened: no"; fi
after=$(stty -g)
if [ "$before" = "$after" ]; then echo "modes: same"; else echo "modes: $before became $after"; fi
`

// TestR4TerminalRestored: a payload sets TIOCEXCL and raw mode on the
// caller's terminal, and exits or is killed; once the sandbox ends, the
// terminal is in neither, the caller (rootless: without CAP_SYS_ADMIN,
// which exclusive mode does not stop) can open /dev/tty again and its
// modes are those it had.
func TestR4TerminalRestored(t *testing.T) {
	requireOrSkip(t, lookPath("script"), "util-linux script is needed to give the caller a terminal")
	bothModes(t, func(t *testing.T, m mode) {
		prof := attackProfile(t, "")
		for _, lp := range launchPaths(t, m) {
			lp.prepare(t, prof)
			for _, end := range []struct {
				name, payload, code string
			}{
				{"exits", "/attack/probe tiocexcl=0 rawtty=0", "0"},
				{"killed", "/attack/probe tiocexcl=0 rawtty=0; kill -KILL $$", "137"},
			} {
				what := lp.name + ", payload " + end.name
				for run := 1; run <= lp.runs; run++ {
					env := callerEnv(t, m, prof, append([]string{"PAYLOAD=" + end.payload}, lp.env...))
					out := runCaller(t, m, env, true, r4Script)
					lp.checkPath(t, run, out)
					checkR4(t, what, end.code, out)
				}
			}
		}
	})
}

func checkR4(t *testing.T, what, code, out string) {
	t.Helper()
	res := parseProbes(t, out)
	for _, p := range []string{"tiocexcl=0", "rawtty=0"} {
		if !res[p].ok() {
			t.Errorf("%s: the attack %s did not run, so the test proves nothing: %s\n%s", what, p, res[p], out)
			return
		}
	}
	if c, _ := lineWith(out, "launcher exit:"); c != code {
		t.Errorf("%s: launcher exit %q, want %s\n%s", what, c, code, out)
	}
	if g := res["tiocgexcl=0"]; !g.ok() || g.ret != "0" {
		t.Errorf("%s: the caller's terminal is left in exclusive mode: %s\n%s", what, g, out)
	}
	if r, _ := lineWith(out, "reopened:"); r != "yes" {
		t.Errorf("%s: the caller cannot open /dev/tty after the sandbox\n%s", what, out)
	}
	if mo, _ := lineWith(out, "modes:"); mo != "same" {
		t.Errorf("%s: the terminal's modes were not restored: %s\n%s", what, mo, out)
	}
}

// jobPayload counts the ^C it gets, ends with 7 on ^\ and otherwise runs
// until stopped; the marker finds its processes.
const jobPayload = `n=0; trap 'n=$((n+1)); echo INT-$n' INT; trap 'exit 7' QUIT; echo READY
while :; do sleep 0.1; done # jobctl-marker`

// TestR3JobControl types into an interactive bash on a pseudo-terminal, as
// a user does, with a sandbox in the foreground: a ^C arrives once, ^Z
// stops the sandbox and the launcher (bash reports the job stopped and
// prompts), fg gives the terminal back to it and ^\ ends it with its code.
// In a pipeline the terminal stays with the process that reads it: another
// one of the job, or the sandbox when it reads.
func TestR3JobControl(t *testing.T) {
	requireOrSkip(t, lookPath("bash"), "bash is the interactive shell of this test")
	bothModes(t, func(t *testing.T, m mode) {
		for _, lp := range launchPaths(t, m) {
			for run := 1; run <= lp.runs; run++ {
				out := jobControlSession(t, m, lp.env)
				lp.checkPath(t, run, out)
			}
		}
	})
}

// jobControlSession runs the session and returns everything bash and the
// sandbox wrote.
func jobControlSession(t *testing.T, m mode, extraEnv []string) string {
	t.Helper()
	p := openPTY(t)
	sh := newTermSession(t, p, m, append(callerEnv(t, m, "minimal", extraEnv), "PS1=PROMPT$ ", "PAYLOAD="+jobPayload),
		"/bin/bash", "--norc", "--noprofile", "-i")
	sh.expect("PROMPT$ ")
	sh.send(`"$SANDBOX" -p "$PROF" -- /bin/sh -c "$PAYLOAD"` + "\n")
	sh.expect("READY")
	sh.send("\x03")
	sh.expect("INT-1")
	time.Sleep(500 * time.Millisecond)
	if strings.Contains(sh.pending(), "INT-2") {
		t.Fatalf("one ^C arrived twice:\n%s", sh.all())
	}
	sh.send("\x1a")
	sh.expect("Stopped")
	sh.expect("PROMPT$ ")
	pids := hostPIDsWithMarker("jobctl-marker")
	if len(pids) < 2 {
		t.Fatalf("the launcher and the payload are not to be found: %v\n%s", pids, sh.all())
	}
	for _, pid := range pids {
		if st := procState(pid); st != "T" && st != "" {
			t.Errorf("after ^Z, process %d is in state %s, not stopped\n%s", pid, st, sh.all())
		}
	}
	sh.send("fg\n")
	time.Sleep(500 * time.Millisecond)
	sh.send("\x03")
	sh.expect("INT-2")
	sh.send("\x1c")
	sh.expect("PROMPT$ ")
	sh.send("echo rc=$?\n")
	sh.expect("rc=7")
	if strings.Contains(sh.all(), "INT-3") {
		t.Errorf("a ^C arrived twice:\n%s", sh.all())
	}

	// In a pipeline another process of the job may need the terminal:
	// the sandbox does not take it from it...
	// (The reader starts late: one already waiting would get the input
	// whoever holds the terminal.)
	sh.send(`"$SANDBOX" -p "$PROF" -- /bin/sh -c 'sleep 2; echo PIPE-OUT' | (sleep 0.5; read l </dev/tty; echo "reader got $l"; cat)` + "\n")
	time.Sleep(time.Second)
	sh.send("typed\n")
	sh.expect("reader got typed")
	sh.expect("PIPE-OUT")
	sh.expect("PROMPT$ ")
	// ...until it reads from the terminal itself.
	sh.send(`echo piped | "$SANDBOX" -p "$PROF" -- /bin/sh -c 'read l </dev/tty; echo "inner got $l"'` + "\n")
	time.Sleep(500 * time.Millisecond)
	sh.send("typed again\n")
	sh.expect("inner got typed again")
	sh.expect("PROMPT$ ")
	// A pager's modes are its own: the sandbox that never had the
	// terminal leaves them alone when it ends. (The pager sets them
	// once the launcher has noted the terminal's; what bash echoes of
	// the line must not read as the answer.)
	sh.send(`"$SANDBOX" -p "$PROF" -- /bin/sh -c 'sleep 1.5' | (exec </dev/tty; sleep 0.5; stty raw -echo; a=$(stty -g); sleep 2.5; b=$(stty -g); stty sane; r=kept; [ "$a" = "$b" ] || r=changed; echo "pager-$r-modes")` + "\n")
	sh.expect("pager-kept-modes") // pager-changed-modes: the sandbox changed them
	sh.expect("PROMPT$ ")
	if n := strings.Count(sh.all(), "Stopped"); n != 1 {
		t.Errorf("%d jobs stopped, want only the one ^Z stopped:\n%s", n, sh.all())
	}
	sh.send("exit\n")
	return sh.all()
}

// procState is the state letter of /proc/PID/stat, "" when it is gone.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}
