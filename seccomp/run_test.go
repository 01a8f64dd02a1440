package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"sandbox/internal/testutil"
	"sandbox/profile"
)

// These tests load compiled filters into the kernel. The test binary
// re-executes itself as a loader (the environment variable below names the
// BPF file): it sets no_new_privs, loads the filter and executes the probe
// (internal/probe/probe.c, built with gcc at test time), which makes each
// call and prints what came back. The same probe also runs without a filter,
// so that every denial is shown to differ from what the kernel alone says:
// a test that passes with no filter at all proves nothing.

const seccompLoaderEnv = "SANDBOX_SECCOMP_TEST_BPF"

// Loader mode runs before any test: init in a _test.go file, so that the
// package needs no TestMain of its own.
func init() {
	if path := os.Getenv(seccompLoaderEnv); path != "" {
		seccompLoaderMain(path, os.Args[1:])
	}
}

// seccompLoaderMain loads the filter at path and executes argv, or with
// argv[0] == "selfcheck" makes a few calls itself and exits with their
// verdict. It never returns.
func seccompLoaderMain(path string, argv []string) {
	prog, err := os.ReadFile(path)
	if err == nil && (len(prog) == 0 || len(prog)%8 != 0) {
		err = fmt.Errorf("%d bytes is not a BPF program", len(prog))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "seccomp loader: %v\n", err)
		os.Exit(125)
	}
	filters := make([]unix.SockFilter, len(prog)/8)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&filters[0])), len(prog)), prog)
	fprog := unix.SockFprog{Len: uint16(len(filters)), Filter: &filters[0]}

	// no_new_privs and the filter belong to a thread; the exec below must
	// come from the same thread, and TSYNC puts the filter on every other
	// thread of the Go runtime too. The self-check makes its calls on
	// this thread alone: without TSYNC the runtime's other threads stay
	// unfiltered, so that an allow-list cannot kill the runtime under
	// load (sysmon's netpoll, a new thread, a fatal error's write) before
	// the answer.
	selfCheck := argv[0] == "selfcheck"
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "seccomp loader: no_new_privs: %v\n", err)
		os.Exit(125)
	}
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC)
	if selfCheck {
		flags = 0
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		flags, uintptr(unsafe.Pointer(&fprog))); e != 0 {
		fmt.Fprintf(os.Stderr, "seccomp loader: load the filter: %v\n", e)
		os.Exit(125)
	}
	if selfCheck {
		seccompSelfCheck()
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, seccompLoaderEnv+"=") {
			env = append(env, kv)
		}
	}
	err = unix.Exec(argv[0], argv, env)
	fmt.Fprintf(os.Stderr, "seccomp loader: exec %s: %v\n", argv[0], err)
	os.Exit(126)
}

// selfCheckBase is added to seccompSelfCheck's answer, so that no exit of
// the Go runtime's own (2 on a fatal error) reads as an answer.
const selfCheckBase = 64

// seccompSelfCheck reports through its exit status, one bit per wrong
// answer above selfCheckBase: stdout is the test's pipe, read only once
// the process is gone.
func seccompSelfCheck() {
	status := 0
	if _, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0); e != unix.EPERM {
		status |= 1 // not allowed: the default action
	}
	var c byte
	if _, _, e := unix.RawSyscall(unix.SYS_IOCTL, 0, 1<<32|unix.TIOCSTI, uintptr(unsafe.Pointer(&c))); e != unix.EPERM {
		status |= 2 // TIOCSTI stays denied
	}
	if _, _, e := unix.RawSyscall(unix.SYS_IOCTL, 0, unix.TCGETS, uintptr(unsafe.Pointer(&[64]byte{}))); e != unix.ENOTTY {
		status |= 4 // other ioctls reach the kernel: /dev/null is no tty
	}
	unix.RawSyscall(unix.SYS_EXIT_GROUP, uintptr(selfCheckBase+status), 0, 0)
}

// seccompRequire skips a test whose requirement is missing, saying why;
// under CI=true a missing requirement fails the test instead.
func seccompRequire(t *testing.T, ok bool, why string) {
	t.Helper()
	testutil.RequireOrSkip(t, ok, why)
}

// buildSeccompProbe compiles internal/probe/probe.c into dir: statically when libc.a is
// installed (the grandchild check then runs a static binary), else
// dynamically.
func buildSeccompProbe(t *testing.T, dir string) (path string, static bool) {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	seccompRequire(t, err == nil, "gcc is needed to build the seccomp probe (apt-get install gcc): "+fmt.Sprint(err))
	src, err := filepath.Abs(filepath.Join("internal", "probe", "probe.c"))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "probe")
	args := []string{"-O2", "-Wall", "-Werror", "-pthread", "-o", path, src}
	out, err := exec.Command(gcc, append([]string{"-static"}, args...)...).CombinedOutput()
	if err == nil {
		return path, true
	}
	t.Logf("static build failed (%v), building a dynamic probe:\n%s", err, out)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return path, false
}

// runSeccompProbe runs the probe with the given checks, under prog when it
// is not nil, in a new session with /dev/null as stdin (so no check can
// touch the terminal the tests run in), and returns check → answer.
func runSeccompProbe(t *testing.T, probe string, prog []byte, checks []string) map[string]string {
	t.Helper()
	var cmd *exec.Cmd
	if prog == nil {
		cmd = exec.Command(probe, checks...)
	} else {
		bpf := filepath.Join(t.TempDir(), "filter.bpf")
		if err := os.WriteFile(bpf, prog, 0o600); err != nil {
			t.Fatal(err)
		}
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(self, append([]string{probe}, checks...)...)
		cmd.Env = append(os.Environ(), seccompLoaderEnv+"="+bpf)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, stdout.String(), stderr.String())
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		name, answer, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("probe printed %q", line)
		}
		got[name] = answer
	}
	return got
}

// seccompExpect is what one probe check must answer. A value of "kernel"
// means "whatever the kernel says without a filter": the call must reach
// it.
type seccompExpect struct {
	check           string
	dflt, nested    string
	unfilteredEqual bool // the kernel alone gives the same answer (see S9)
}

func seccompExpectations() []seccompExpect {
	const k, eperm, enosys, killed = "kernel", "EPERM", "ENOSYS", "signal:SIGSYS"
	e := []seccompExpect{
		{check: "getpid", dflt: k, nested: k},
		{check: "ptrace", dflt: k, nested: k},
		{check: "kcmp", dflt: k, nested: k},
		{check: "fanotify_init", dflt: k, nested: k},
		{check: "personality_query", dflt: k, nested: k},
		{check: "personality_linux", dflt: k, nested: k},
		{check: "clone_sighand", dflt: k, nested: k},
		{check: "tiocgwinsz_pty", dflt: k, nested: k},
		{check: "pthread", dflt: k, nested: k},
		{check: "fork", dflt: k, nested: k},
		{check: "tiocsti_stdin", dflt: eperm, nested: eperm},
		{check: "tiocsti_pty", dflt: eperm, nested: eperm},
		{check: "tiocsti_hi_pty", dflt: eperm, nested: eperm},
		{check: "tioclinux_pty", dflt: eperm, nested: eperm},
		{check: "clone3", dflt: enosys, nested: enosys},
		{check: "i386_unshare", dflt: killed, nested: killed},
		{check: "i386_mount", dflt: killed, nested: killed},
		{check: "i386_ptrace", dflt: killed, nested: killed},
		{check: "i386_getpid", dflt: killed, nested: killed},
		{check: "x32_getpid", dflt: killed, nested: killed},
		{check: "x32_unshare", dflt: killed, nested: killed},
		{check: "nr1000", dflt: enosys, nested: enosys, unfilteredEqual: true},
		{check: "personality_linux32", dflt: eperm, nested: eperm},
		{check: "personality_hi", dflt: eperm, nested: eperm},
	}
	for _, n := range []string{"clone_newns", "clone_newcgroup", "clone_newuts", "clone_newipc", "clone_newuser",
		"clone_newpid", "clone_newnet", "unshare_user", "setns", "mount", "umount2", "pivot_root", "chroot"} {
		e = append(e, seccompExpect{check: n, dflt: eperm, nested: k})
	}
	for _, n := range []string{"fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "open_tree_attr", "move_mount", "mount_setattr"} {
		e = append(e, seccompExpect{check: n, dflt: enosys, nested: enosys})
	}
	for _, n := range []string{"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
		"io_uring_setup", "io_uring_enter", "io_uring_register", "init_module", "finit_module", "delete_module",
		"kexec_load", "kexec_file_load", "syslog", "modify_ldt", "settimeofday", "clock_settime", "clock_adjtime",
		"adjtimex", "acct", "swapon", "swapoff", "reboot", "quotactl", "quotactl_fd", "vhangup", "iopl", "ioperm",
		"open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl"} {
		e = append(e, seccompExpect{check: n, dflt: eperm, nested: eperm})
	}
	return e
}

// TestSeccompInKernel loads the default policy, with and without nested
// user namespaces, and checks every answer against the table above and
// against the unfiltered kernel (checklist S1-S9).
func TestSeccompInKernel(t *testing.T) {
	seccompRequire(t, os.Geteuid() == 0, "the in-kernel seccomp tests run as root, so that the kernel alone answers "+
		"the denied calls with EFAULT or EINVAL rather than the EPERM the filter gives")
	probe, static := buildSeccompProbe(t, t.TempDir())
	expect := seccompExpectations()
	if ok, answer := testutil.I386Syscalls(t); !ok {
		// Some machines fault on every int 0x80, filter or not: there
		// the i386 rule cannot be observed, only the BPF-level tests
		// in seccomp/seccomp_test.go check it.
		t.Logf("i386 checks left out: an unfiltered int 0x80 answered %s on this machine", answer)
		kept := expect[:0]
		for _, e := range expect {
			if !strings.HasPrefix(e.check, "i386_") {
				kept = append(kept, e)
			}
		}
		expect = kept
	}
	var checks []string
	for _, e := range expect {
		checks = append(checks, e.check)
	}
	base := runSeccompProbe(t, probe, nil, checks)
	if v, ok := base["i386_getpid"]; ok && v != "ok" {
		t.Fatalf("the shared int 0x80 probe said i386 calls work, but this probe's unfiltered i386 getpid answered %s", v)
	}
	seccompRequire(t, base["tiocsti_pty"] == "ok",
		"TIOCSTI is unavailable without a filter ("+base["tiocsti_pty"]+"), so S4 proves nothing: run as root")

	for _, nested := range []bool{false, true} {
		t.Run(fmt.Sprintf("nested=%v", nested), func(t *testing.T) {
			prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, nested)
			got := runSeccompProbe(t, probe, prog, checks)
			denied := 0
			for _, e := range expect {
				want := e.dflt
				if nested {
					want = e.nested
				}
				if want == "kernel" {
					want = base[e.check]
				} else {
					denied++
					if base[e.check] == want && !e.unfilteredEqual {
						t.Errorf("%s: the kernel alone answers %s too, so this check cannot tell the filter worked", e.check, want)
					}
				}
				if got[e.check] != want {
					t.Errorf("%s: got %q, want %q (without a filter: %q)", e.check, got[e.check], want, base[e.check])
				}
			}
			t.Logf("%d checks, %d denied by the filter, %d reaching the kernel", len(expect), denied, len(expect)-denied)
		})
	}

	// S8: a grandchild, exec'd anew, is still filtered.
	t.Run("grandchild", func(t *testing.T) {
		if !static {
			t.Log("libc.a is missing: the grandchild is a dynamic binary")
		}
		prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, false)
		got := runSeccompProbe(t, probe, prog, []string{"grandchild"})
		unfiltered := runSeccompProbe(t, probe, nil, []string{"grandchild"})
		want := map[string]string{
			"grandchild":               "ok",
			"grandchild_unshare_user":  "EPERM",
			"grandchild_mount":         "EPERM",
			"grandchild_tiocsti_stdin": "EPERM",
			"grandchild_getpid":        "ok",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: got %q, want %q", k, got[k], w)
			}
			if k != "grandchild" && k != "grandchild_getpid" && unfiltered[k] == w {
				t.Errorf("%s: the kernel alone answers %s too", k, w)
			}
		}
	})

	// S9: a number the table does not know gets ENOSYS. nr1000 above
	// cannot tell the filter from the kernel; here getpid, which the
	// kernel has, is taken out of the table for one compilation.
	t.Run("unknown number", func(t *testing.T) {
		known := map[string]int{}
		for name, nr := range seccompSyscalls() {
			if name != "getpid" {
				known[name] = nr
			}
		}
		st, err := compileSeccompKnowing(profile.Seccomp{Policy: profile.PolicyDefault}, false, known)
		if err != nil {
			t.Fatal(err)
		}
		got := runSeccompProbe(t, probe, st.Program, []string{"getpid", "ptrace"})
		if got["getpid"] != "ENOSYS" || got["ptrace"] != base["ptrace"] {
			t.Errorf("getpid missing from the table: got %v, want getpid ENOSYS and ptrace %s", got, base["ptrace"])
		}
	})

	// Profile rules replace built-in ones in the kernel too, except the
	// terminal guard, which an ioctl rule of "allow" keeps (B15).
	t.Run("profile rules", func(t *testing.T) {
		s := profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{
			scRule("clone", seccompAllow, 1),
			scRule("getpid", scErrno("EHWPOISON", int(unix.EHWPOISON)), 2),
			scRule("ioctl", seccompAllow, 3),
			scRule("keyctl", profile.Action{Kind: profile.ActKill}, 4),
			scRule("ptrace", seccompEPERM, 5),
		}}
		got := runSeccompProbe(t, probe, compileSeccompT(t, s, false),
			[]string{"clone_newuser", "getpid", "tiocsti_pty", "keyctl", "ptrace", "unshare_user"})
		want := map[string]string{
			"clone_newuser": base["clone_newuser"], "getpid": "EHWPOISON", "tiocsti_pty": "EPERM",
			"keyctl": "signal:SIGSYS", "ptrace": "EPERM", "unshare_user": "EPERM",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: got %q, want %q", k, got[k], w)
			}
		}
		s.AllowTerminalInjection = true
		got = runSeccompProbe(t, probe, compileSeccompT(t, s, false), []string{"tiocsti_pty"})
		if got["tiocsti_pty"] != base["tiocsti_pty"] {
			t.Errorf("with allow_terminal_injection: tiocsti_pty %q, want %q as without a filter", got["tiocsti_pty"], base["tiocsti_pty"])
		}
	})
}

// An allow-list filter loads and behaves in the kernel; the loader checks
// the answers itself because the filter leaves it no write.
func TestSeccompAllowListInKernel(t *testing.T) {
	// What the Go runtime may call on the filtered thread between the
	// load and exit_group (a preemption signal's return, a new thread
	// started from it), plus ioctl; getppid, which the runtime never
	// calls, is the denied probe. The runtime's other threads are not
	// filtered (seccompLoaderMain).
	var rules []profile.SyscallRule
	for i, n := range []string{"clock_gettime", "clone", "clone3", "exit", "exit_group", "futex", "getpid", "gettid",
		"ioctl", "madvise", "mmap", "mprotect", "munmap", "nanosleep", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
		"sched_getaffinity", "sched_yield", "sigaltstack", "tgkill", "write"} {
		rules = append(rules, scRule(n, seccompAllow, i+1))
	}
	s := profile.Seccomp{Policy: profile.PolicyAllowList, DefaultAction: seccompEPERM, Syscalls: rules}
	bpf := filepath.Join(t.TempDir(), "filter.bpf")
	if err := os.WriteFile(bpf, compileSeccompT(t, s, false), 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "selfcheck")
	cmd.Env = append(os.Environ(), seccompLoaderEnv+"="+bpf)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("selfcheck did not answer: %v\n%s", err, out)
	}
	code := ee.ExitCode()
	if code < selfCheckBase || code >= selfCheckBase+8 {
		t.Fatalf("selfcheck died before it answered: %v\n%s", err, out)
	}
	bits := []string{}
	for bit, what := range map[int]string{1: "getppid was not EPERM", 2: "TIOCSTI|1<<32 was not EPERM", 4: "TCGETS did not reach the kernel"} {
		if (code-selfCheckBase)&bit != 0 {
			bits = append(bits, what)
		}
	}
	if len(bits) > 0 {
		sort.Strings(bits)
		t.Fatalf("selfcheck: %v %v\n%s", err, bits, out)
	}
}
