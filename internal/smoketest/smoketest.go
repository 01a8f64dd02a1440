package smoketest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sandbox/profile"
)

// exitSkipped is the status of a `sandbox test` run in which nothing
// failed but some test could not run because its program is not
// installed. 77 is the code automake's test drivers read as "skipped".
const exitSkipped = 77

// smokeOutcome is what one profile's smoke test came to.
type smokeOutcome int

const (
	smokePassed  smokeOutcome = iota
	smokeNone                 // the profile has no test and needs none
	smokeSkipped              // the program is not installed
	smokeFailed
	smokeBroken // the profile does not load or compile
)

// smokeKillGrace is how long a sandbox that ran out of time has between
// SIGTERM, which the launcher forwards to the payload, and SIGKILL.
const smokeKillGrace = 3 * time.Second

// smokeOutputLimit bounds the output kept from one test: enough for any
// expect_output a smoke test needs, small enough that a program printing
// forever cannot exhaust memory before its timeout.
const smokeOutputLimit = 4 << 20

// Run runs the smoke test of each profile: test.requires are looked up
// on the host, test.setup runs on the host, test.command runs in the
// profile's sandbox and must exit with test.expect_exit and print what
// test.expect_output matches, then test.check runs on the host. The
// sandbox command has checked the arguments: each names a profile.
//
// One line is printed per profile. The status is 0 when every test
// passed, 1 when one failed, 77 when none failed but one was skipped
// because its program is not installed (under CI=true that is a
// failure), and 125 when a profile does not load or compile.
func Run(args []string, o Options, stdout, stderr io.Writer) int {
	// A profile given by a relative path names a file from here, not
	// from the project directory below.
	args = append([]string(nil), args...)
	for i, a := range args {
		if strings.Contains(a, "/") || strings.HasSuffix(a, ".toml") {
			if abs, err := filepath.Abs(a); err == nil {
				args[i] = abs
			}
		}
	}
	// Tests run from a fresh, empty project directory, so that a
	// profile that binds ${CWD} (a build or an agent profile) works on
	// something disposable and never on whatever directory the caller
	// happens to be in.
	project, err := os.MkdirTemp("", "sandbox-test-project-")
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: test: %v\n", err)
		return exitLauncher
	}
	defer smokeRemove(project, stderr)
	if old, err := os.Getwd(); err == nil {
		defer os.Chdir(old)
	}
	if err := os.Chdir(project); err != nil {
		fmt.Fprintf(stderr, "sandbox: test: %v\n", err)
		return exitLauncher
	}
	c := o.Caller()
	home, err := smokeHome(&c)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: test: %v\n", err)
		return exitLauncher
	}
	defer smokeRemove(home, stderr)
	ci := os.Getenv("CI") == "true"
	worst := smokePassed
	for _, name := range args {
		if r := o.smokeTest(name, c, ci, stdout, stderr); r > worst {
			worst = r
		}
	}
	switch worst {
	case smokeBroken:
		return exitLauncher
	case smokeFailed:
		return 1
	case smokeSkipped:
		return exitSkipped
	}
	return 0
}

// smokeTest runs one profile's test and prints its line.
func (o Options) smokeTest(name string, c Caller, ci bool, stdout, stderr io.Writer) smokeOutcome {
	p, err := profile.Load(name, c.Env, c.Src)
	if err != nil {
		o.PrintErr(stderr, err)
		fmt.Fprintf(stdout, "FAIL %s: the profile does not load\n", name)
		return smokeBroken
	}
	t := p.Test
	if len(t.Command) == 0 {
		// A building block such as base or desktop runs no program of
		// its own. A profile that names programs promises to run them,
		// and a test is how that promise is kept.
		if len(p.Programs) > 0 {
			fmt.Fprintf(stdout, "FAIL %s: no smoke test: it declares programs (%s) but no test.command\n",
				name, strings.Join(p.Programs, ", "))
			return smokeFailed
		}
		fmt.Fprintf(stdout, "none %s: no smoke test\n", name)
		return smokeNone
	}
	for _, r := range t.Requires {
		if _, err := os.Stat(r); err != nil {
			if ci {
				fmt.Fprintf(stdout, "FAIL %s: %s not installed (skips are failures under CI=true)\n", name, r)
				return smokeFailed
			}
			fmt.Fprintf(stdout, "skip %s: %s not installed\n", name, r)
			return smokeSkipped
		}
	}
	timeout := time.Duration(t.Timeout) * time.Second
	start := time.Now()
	created := smokeWritableSources(p)
	if len(t.Setup) > 0 {
		if r := smokeRun(smokeCommand(c, t.Setup), timeout); !r.ok(0) {
			fmt.Fprintf(stdout, "FAIL %s: setup %s %s\n", name, smokeQuote(t.Setup), r.describe(0))
			return smokeFailed
		}
	}
	// The compile comes after setup, which may create a directory the
	// profile binds, and before the launch, so that a profile error is
	// reported as one (125) rather than as a launcher failure. It is as
	// lenient as the launch in Child.
	pl, err := o.Compile(p, t.Command, c.Host)
	if err != nil {
		o.PrintErr(stderr, err)
		fmt.Fprintf(stdout, "FAIL %s: the profile does not compile\n", name)
		return smokeBroken
	}
	if cwd, err := os.Getwd(); err == nil {
		if err := smokeGiveToSandbox(pl, []string{cwd, c.Host.Home}, created); err != nil {
			fmt.Fprintf(stdout, "FAIL %s: giving the test's directories to the sandbox's host id: %v\n", name, err)
			return smokeFailed
		}
	}
	if why := smokeSteps(name, c, t, timeout, smokeOutputOwner(pl)); why != "" {
		if from := smokeInheritedFrom(p); from != "" {
			why = "the test inherited from " + from + ": " + why
		}
		fmt.Fprintf(stdout, "FAIL %s: %s\n", name, why)
		return smokeFailed
	}
	fmt.Fprintf(stdout, "ok   %s  %.1fs%s\n", name, time.Since(start).Seconds(), smokeInheritedNote(p))
	return smokePassed
}

// smokeSteps runs the sandboxed command and check, and returns why the
// test failed, or "".
func smokeSteps(name string, c Caller, t profile.SmokeTest, timeout time.Duration, owner *[2]uint32) string {
	// The sandbox runs in a second launcher process (Child), which
	// can be signalled, and its sandbox found and killed, when the
	// timeout passes.
	argv := append([]string{name, "--"}, t.Command...)
	cmd := exec.Command("/proc/self/exe", argv...)
	cmd.Args[0] = ChildName
	cmd.Env = c.Host.Env
	r := smokeRunAs(cmd, timeout, owner)
	if !r.ok(t.ExpectExit) {
		return fmt.Sprintf("%s %s", smokeQuote(t.Command), r.describe(t.ExpectExit))
	}
	if t.ExpectOutput != "" {
		// The pattern was compiled when the profile loaded.
		re := regexp.MustCompile(t.ExpectOutput)
		if !re.Match(r.output) {
			return fmt.Sprintf("the output does not match %q%s", t.ExpectOutput, smokeTail(r.output))
		}
	}
	if len(t.Check) > 0 {
		if r := smokeRun(smokeCommand(c, t.Check), timeout); !r.ok(0) {
			return fmt.Sprintf("check %s %s%s", smokeQuote(t.Check), r.describe(0),
				smokeTail(r.output))
		}
	}
	return ""
}

// smokeCommand is a host command of a test (setup, check), run with the
// test's scratch home.
func smokeCommand(c Caller, argv []string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = c.Host.Env
	return cmd
}

// smokeResult is how one command of a test ended.
type smokeResult struct {
	code     int
	err      error // it could not be started, or waiting failed
	timedOut time.Duration
	output   []byte // stdout and stderr, interleaved as written
}

func (r smokeResult) ok(want int) bool {
	return r.err == nil && r.timedOut == 0 && r.code == want
}

func (r smokeResult) describe(want int) string {
	switch {
	case r.timedOut > 0:
		return fmt.Sprintf("did not finish within %s and was killed%s", r.timedOut, smokeTail(r.output))
	case r.err != nil:
		return fmt.Sprintf("could not run: %v", r.err)
	}
	return fmt.Sprintf("exited %d, want %d%s", r.code, want, smokeTail(r.output))
}

// smokeRun runs cmd with no input and its output captured. When timeout
// passes, it is asked to stop with SIGTERM, which a launcher forwards to
// its sandbox; what is still alive smokeKillGrace later is killed, the
// launcher's children (the sandbox's first process, whose death ends its
// pid namespace) first, so that a sandbox whose profile sets
// die_with_parent = false does not outlive the test.
func smokeRun(cmd *exec.Cmd, timeout time.Duration) smokeResult {
	return smokeRunAs(cmd, timeout, nil)
}

// smokeRunAs is smokeRun with an output pipe owned by the host ids in
// owner, when not nil: the payload of a root launch is an unprivileged id
// (checklist R1), and a program that opens /dev/stdout (mpv's log file)
// reopens the pipe, which its owner's permissions then allow.
func smokeRunAs(cmd *exec.Cmd, timeout time.Duration, owner *[2]uint32) smokeResult {
	out := &smokeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	var copied chan struct{}
	var pr, pw *os.File
	if owner != nil {
		var err error
		if pr, pw, err = os.Pipe(); err != nil {
			return smokeResult{err: err}
		}
		defer pr.Close()
		// Once the child has its copy, ours would keep the pipe open.
		defer pw.Close()
		if err := pw.Chown(int(owner[0]), int(owner[1])); err != nil {
			return smokeResult{err: fmt.Errorf("giving the output pipe to the sandbox's host id: %w", err)}
		}
		cmd.Stdout, cmd.Stderr = pw, pw
		copied = make(chan struct{})
		go func() {
			io.Copy(out, pr)
			close(copied)
		}()
	}
	// An orphan that keeps the output pipe open (a daemon started by a
	// sandbox without a pid namespace) must not hang the test.
	cmd.WaitDelay = smokeKillGrace
	// If `sandbox test` itself dies, the launcher is told to stop, and
	// it passes that on to its sandbox.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return smokeResult{err: err}
	}
	if pw != nil {
		pw.Close()
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if copied != nil {
			// As WaitDelay does for a pipe of exec's own.
			select {
			case <-copied:
			case <-time.After(smokeKillGrace):
				pr.Close()
				<-copied
			}
		}
		done <- err
	}()
	var err error
	var timedOut time.Duration
	select {
	case err = <-done:
	case <-time.After(timeout):
		timedOut = timeout
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err = <-done:
		case <-time.After(smokeKillGrace):
			for _, pid := range smokeChildren(cmd.Process.Pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			_ = cmd.Process.Kill()
			err = <-done
		}
	}
	r := smokeResult{timedOut: timedOut, output: out.Bytes(), code: -1}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		r.err = err
	}
	return r
}

// smokeChildren lists the processes whose parent is pid, from /proc.
func smokeChildren(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces and ")", so
		// the fields are counted after the last ")": state, then ppid.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	return kids
}

// smokeBuffer keeps the first smokeOutputLimit bytes written to it.
type smokeBuffer struct {
	bytes.Buffer
	dropped bool
}

func (b *smokeBuffer) Write(p []byte) (int, error) {
	if room := smokeOutputLimit - b.Len(); room < len(p) {
		b.dropped = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// smokeTailLines is how much of a failed test's output is shown.
const smokeTailLines = 15

// smokeTail returns the last lines of output, indented under the FAIL
// line, or "" when there was none.
func smokeTail(output []byte) string {
	text := strings.TrimRight(string(output), "\n")
	if strings.TrimSpace(text) == "" {
		return ", no output"
	}
	lines := strings.Split(text, "\n")
	if len(lines) > smokeTailLines {
		lines = lines[len(lines)-smokeTailLines:]
	}
	return ", output ends:\n    | " + strings.Join(lines, "\n    | ")
}

// smokeQuote shows an argv as one string for a message.
func smokeQuote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		// A script for sh -c is shown by its first line.
		if first, _, more := strings.Cut(strings.TrimLeft(a, "\n"), "\n"); more {
			a = first + " ..."
		}
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`") {
			a = strconv.Quote(a)
		}
		parts[i] = a
	}
	s := strings.Join(parts, " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return "`" + s + "`"
}
