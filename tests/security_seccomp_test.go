package tests

import (
	"fmt"
	"os"
	"testing"

	"sandbox/internal/testutil"
)

// Seccomp rows of the security checklist, end to end: a static C program
// in a real sandbox of the minimal profile makes the calls. The filter
// itself is also tested at the BPF level in seccomp/*_test.go; S3
// in particular can only be seen there, since this kernel has no x32 ABI.

// capSysAdminTOML keeps CAP_SYS_ADMIN inside the sandbox's user namespace
// without loosening the filter: the kernel would then accept the mount and
// namespace calls, so only the filter stands in the way.
const capSysAdminTOML = "\n[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n"

// TestS1ConfiguredErrno checks that a denied call returns exactly the errno
// the profile configures, that "kill" kills, and that allowed calls reach
// the kernel.
func TestS1ConfiguredErrno(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		prof := attackProfile(t, `
[seccomp.syscalls]
mount = "EXDEV"
ptrace = "ENOTTY"
io_uring_setup = "kill"
`)
		allowed := []string{"nr=4", "nr=21", "nr=257", "nr=332"} // stat, access, openat, statx
		res := runProbes(t, m, prof, append([]string{"mount", "ptrace", "io_uring_setup"}, allowed...)...)
		if o := res["mount"]; o.errno != "EXDEV" {
			t.Errorf("%s, want the configured EXDEV", o)
		}
		if o := res["ptrace"]; o.errno != "ENOTTY" {
			t.Errorf("%s, want the configured ENOTTY", o)
		}
		if o := res["io_uring_setup"]; !o.killedBySeccomp() {
			t.Errorf("%s, want killed by SIGSYS", o)
		}
		for _, p := range allowed {
			if o := res[p]; !o.reachedKernel() {
				t.Errorf("an allowed call did not reach the kernel: %s", o)
			}
		}
	})
}

// TestS2I386ABIDenied makes i386 system calls with int 0x80: unshare (310),
// mount (21), ptrace (26). A filter that does not check the architecture
// reads them as harmless x86_64 calls and lets them through.
func TestS2I386ABIDenied(t *testing.T) {
	if ok, answer := testutil.I386Syscalls(t); !ok {
		testutil.SkipHostFact(t, "an unfiltered int 0x80 answered "+answer+", so no filter's i386 rule can be observed here")
	}
	bothModes(t, func(t *testing.T, m mode) {
		probes := []string{"int80_unshare", "int80_mount", "int80_ptrace"}
		expectDenied(t, runProbes(t, m, attackProfile(t, ""), probes...), probes...)
		expectDenied(t, runProbes(t, m, attackProfile(t, capSysAdminTOML), probes...), probes...)
	})
}

// TestS3X32ABINotAllowed makes a call with the x32 bit set. This kernel has
// no x32 ABI, so the kernel itself answers ENOSYS; the test guards against
// a filter that answers anything else, and the BPF-level test in
// seccomp/*_test.go checks the filter's own x32 rule.
func TestS3X32ABINotAllowed(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		o := runProbes(t, m, attackProfile(t, ""), "x32_unshare")["x32_unshare"]
		if o.ok() || !o.deniedByFilter() {
			t.Errorf("%s, want denied", o)
		}
	})
}

// TestS4TerminalIoctlsDenied calls TIOCSTI and TIOCLINUX on a bad
// descriptor, also with high bits set in the request (the kernel compares
// only the low 32 bits): the kernel would answer EBADF, the filter must
// answer first. TestT1NoTerminalInjection does it on a real terminal.
func TestS4TerminalIoctlsDenied(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		probes := []string{"tiocsti=-1", "tiocsti_hi=-1", "tioclinux=-1", "tioclinux_hi=-1"}
		expectDenied(t, runProbes(t, m, attackProfile(t, ""), probes...), probes...)
	})
}

// TestS5ThreadsWork checks that a threaded glibc program works while clone3
// answers ENOSYS (EPERM would break pthread_create's fallback to clone).
func TestS5ThreadsWork(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		res := runProbes(t, m, attackProfile(t, ""), "pthread", "clone3")
		if o := res["pthread"]; !o.ok() || o.detail["value"] != "42" {
			t.Errorf("threads do not work: %s", o)
		}
		if o := res["clone3"]; o.errno != "ENOSYS" {
			t.Errorf("%s, want ENOSYS", o)
		}
		// A real program: sort uses threads for large inputs.
		mustRun(t, m, "/bin/sh", "-c", "seq 200000 | sort --parallel=4 -S 1M -n > /dev/null")
	})
}

// namespaceCalls are the probes of S6.
var namespaceCalls = []string{"unshare_user", "unshare_mnt", "unshare_net", "clone_newuser", "clone_newns",
	"setns", "mount", "umount2", "pivot_root", "chroot"}

// TestS6NamespaceAndMountCallsDenied makes every namespace and mount call,
// with and without CAP_SYS_ADMIN inside.
func TestS6NamespaceAndMountCallsDenied(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		expectDenied(t, runProbes(t, m, attackProfile(t, ""), namespaceCalls...), namespaceCalls...)
		expectDenied(t, runProbes(t, m, attackProfile(t, capSysAdminTOML), namespaceCalls...), namespaceCalls...)
	})
}

// dangerousCalls are the probes of S7 whose bad arguments the kernel
// rejects without asking for a capability, so any mode tells a denial from
// the kernel's answer.
var dangerousCalls = []string{"keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd",
	"personality_set", "modify_ldt", "io_uring_setup", "io_uring_enter", "io_uring_register"}

// privilegedCalls need a capability of the host's user namespace before the
// kernel looks at their arguments; they are told apart from the kernel's
// EPERM only in a root sandbox without a user namespace that keeps those
// capabilities.
var privilegedCalls = []string{"bpf", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "syslog"}

// TestS7DangerousCallsDenied makes each dangerous call with harmless
// arguments; the personality query stays allowed.
func TestS7DangerousCallsDenied(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		probes := append(append([]string{"personality_query"}, dangerousCalls...), privilegedCalls...)
		res := runProbes(t, m, attackProfile(t, ""), probes...)
		expectDenied(t, res, dangerousCalls...)
		expectDenied(t, res, privilegedCalls...)
		if o := res["personality_query"]; !o.ok() {
			t.Errorf("querying the personality must stay allowed: %s", o)
		}
	})
	t.Run("root with host capabilities", func(t *testing.T) {
		requireOrSkip(t, os.Geteuid() == 0, "keeping host capabilities needs a root launcher")
		prof := attackProfile(t, `
[namespaces]
user = false

[identity]
host_root = true

[capabilities]
keep = ["CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_SYSLOG", "CAP_BPF", "CAP_PERFMON"]
`)
		probes := append(append([]string{}, dangerousCalls...), privilegedCalls...)
		expectDenied(t, runProbes(t, asRoot, prof, probes...), probes...)
	})
}

// TestS8StaticGrandchildStillFiltered execs a fresh copy of the static probe
// two generations below the payload and makes denied calls from there.
func TestS8StaticGrandchildStillFiltered(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		probes := []string{"unshare_user", "clone_newuser", "mount", "io_uring_setup", "tiocsti=-1", "keyctl"}
		if ok, answer := testutil.I386Syscalls(t); ok {
			probes = append(probes, "int80_unshare")
		} else {
			t.Logf("int80_unshare left out: an unfiltered int 0x80 answered %s on this machine", answer)
		}
		res := runProbes(t, m, attackProfile(t, ""), append([]string{"grandchild"}, probes...)...)
		for _, p := range probes {
			if _, ok := res[p]; !ok {
				t.Fatalf("the grandchild did not report %s: %v", p, res)
			}
		}
		expectDenied(t, res, probes...)
	})
}

// TestS9UnknownNumbersENOSYS calls numbers the filter does not know: in the
// gap x86_64 reserves, past the newest call, and far beyond. Each must get
// ENOSYS, neither allowed nor killed.
func TestS9UnknownNumbersENOSYS(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		var probes []string
		for _, nr := range []int{337, 380, 423, 472, 480, 500, 1000, 4095} {
			probes = append(probes, fmt.Sprintf("nr=%d", nr))
		}
		res := runProbes(t, m, attackProfile(t, ""), probes...)
		for _, p := range probes {
			if o := res[p]; o.errno != "ENOSYS" || o.sig != 0 {
				t.Errorf("%s, want ENOSYS", o)
			}
		}
	})
}
