package seccomp

import (
	"fmt"
	"strings"

	"sandbox/profile"
)

// The built-in "default" policy: a deny-list on top of "every syscall in
// seccompSyscalls is allowed". docs/seccomp.md explains every rule; keep the
// two in step.

// Request numbers from <asm-generic/ioctls.h>.
const (
	seccompTIOCSTI   = 0x5412
	seccompTIOCLINUX = 0x541C
)

// seccompCloneNamespaceFlags are the CLONE_NEW* flags clone(2) accepts.
// CLONE_NEWTIME (0x80) is missing on purpose: for clone(2) that bit is part
// of the exit signal, and only unshare(2) and clone3(2) take it.
const seccompCloneNamespaceFlags = 0x00020000 | // CLONE_NEWNS
	0x02000000 | // CLONE_NEWCGROUP
	0x04000000 | // CLONE_NEWUTS
	0x08000000 | // CLONE_NEWIPC
	0x10000000 | // CLONE_NEWUSER
	0x20000000 | // CLONE_NEWPID
	0x40000000 // CLONE_NEWNET

// seccompArgMatch restricts a rule to some values of one argument. The
// kernel reads the arguments it covers as 32-bit values (ioctl's request is
// an unsigned int in the tty layer, personality's persona an unsigned int,
// clone's flags go through lower_32_bits), so only the low 32 bits are
// compared: a caller cannot slip past with bits set above them.
type seccompArgMatch struct {
	Arg  uint
	Mask uint32
	// Values are the masked values the match is about. With Outside
	// false the rule applies when the masked argument is one of them;
	// with Outside true when it is none of them.
	Values  []uint32
	Outside bool
	// Desc says the same in words, for the summary and the docs.
	Desc string
}

// matches reports whether the rule applies to an argument value.
func (m *seccompArgMatch) matches(v uint64) bool {
	in := false
	for _, x := range m.Values {
		if uint32(v)&m.Mask == x {
			in = true
		}
	}
	return in != m.Outside
}

// seccompBuiltinRule is one rule of the built-in policy. A call that a
// conditional rule (When != nil) does not match is allowed.
type seccompBuiltinRule struct {
	Syscalls []string
	Action   profile.Action
	When     *seccompArgMatch
	// NestedUserns marks rules that process.nested_user_namespaces
	// lifts: a payload building its own sandbox needs them.
	NestedUserns bool
	Why          string
}

var (
	seccompEPERM  = profile.Action{Kind: profile.ActErrno, Errno: 1, ErrnoName: "EPERM"}
	seccompENOSYS = profile.Action{Kind: profile.ActErrno, Errno: 38, ErrnoName: "ENOSYS"}
	seccompAllow  = profile.Action{Kind: profile.ActAllow}
)

// seccompBuiltinRules is the deny-list. Rules are checked by name; a name
// appears in at most one rule (a test keeps it so).
var seccompBuiltinRules = []seccompBuiltinRule{
	{
		Syscalls: []string{"ioctl"},
		Action:   seccompEPERM,
		When: &seccompArgMatch{Arg: 1, Mask: 0xffffffff, Values: []uint32{seccompTIOCSTI, seccompTIOCLINUX},
			Desc: "the request's low 32 bits are TIOCSTI (0x5412) or TIOCLINUX (0x541C)"},
		Why: "TIOCSTI pushes characters into the input of the terminal the sandbox shares with the caller: " +
			"they run in the caller's shell once the sandbox exits (bubblewrap CVE-2017-5226). " +
			"The tty layer only reads the low 32 bits of the request, so a filter comparing all 64 is bypassed " +
			"by setting a high bit (flatpak CVE-2019-10063). TIOCLINUX pastes the console selection the same way (CVE-2023-28100)",
	},
	{
		Syscalls: []string{"clone3"},
		Action:   seccompENOSYS,
		Why: "clone3 passes its flags in memory, which a filter cannot read, so it would bypass the namespace check on clone. " +
			"ENOSYS makes glibc fall back to clone; EPERM would make pthread_create fail",
	},
	{
		Syscalls: []string{"fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "open_tree_attr", "move_mount", "mount_setattr"},
		Action:   seccompENOSYS,
		Why: "the new mount API is a large parser surface reachable from a user namespace (CVE-2022-0185 is an fsconfig heap overflow). " +
			"ENOSYS makes libmount fall back to mount(2), which gets the same answer as any other mount",
	},
	{
		Syscalls:     []string{"clone"},
		Action:       seccompEPERM,
		When:         &seccompArgMatch{Arg: 0, Mask: seccompCloneNamespaceFlags, Values: []uint32{0}, Outside: true, Desc: "the flags hold any CLONE_NEW* flag"},
		NestedUserns: true,
		Why: "new namespaces, above all user namespaces, open kernel code that is otherwise root-only and the source of most " +
			"unprivileged privilege escalations. Threads and fork are unaffected",
	},
	{
		Syscalls:     []string{"unshare", "setns"},
		Action:       seccompEPERM,
		NestedUserns: true,
		Why:          "entering or creating namespaces: the same surface as clone with CLONE_NEW* flags",
	},
	{
		Syscalls:     []string{"mount", "umount2", "pivot_root", "chroot"},
		Action:       seccompEPERM,
		NestedUserns: true,
		Why: "the sandbox's mounts are locked, but building a new view needs a mount namespace of one's own; " +
			"these only make sense together with the namespace calls above",
	},
	{
		Syscalls: []string{"keyctl", "add_key", "request_key"},
		Action:   seccompEPERM,
		Why:      "kernel keyrings are not namespaced: the payload would reach the caller's session and user keyrings",
	},
	{
		Syscalls: []string{"bpf", "perf_event_open", "userfaultfd"},
		Action:   seccompEPERM,
		Why: "the eBPF verifier and perf are rich kernel attack surfaces that leak addresses; " +
			"userfaultfd lets an exploit stall the kernel mid-copy to win races",
	},
	{
		Syscalls: []string{"io_uring_setup", "io_uring_enter", "io_uring_register"},
		Action:   seccompEPERM,
		Why: "operations submitted through io_uring are not system calls, so this filter never sees them; " +
			"io_uring has also had a long run of privilege-escalation bugs",
	},
	{
		Syscalls: []string{"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"},
		Action:   seccompEPERM,
		Why:      "loading kernel code or a new kernel",
	},
	{
		Syscalls: []string{"syslog"},
		Action:   seccompEPERM,
		Why:      "the kernel log is the host's and leaks kernel addresses",
	},
	{
		Syscalls: []string{"personality"},
		Action:   seccompEPERM,
		When: &seccompArgMatch{Arg: 0, Mask: 0xffffffff, Values: []uint32{0, 0xffffffff}, Outside: true,
			Desc: "the persona is neither 0 (PER_LINUX) nor 0xffffffff (query)"},
		Why: "other personas turn off address-space randomisation (ADDR_NO_RANDOMIZE) or make data executable " +
			"(READ_IMPLIES_EXEC) for every program the payload runs next",
	},
	{
		Syscalls: []string{"modify_ldt"},
		Action:   seccompEPERM,
		Why:      "16-bit segments: only DOS and Windows emulators need them, and they have a history of kernel bugs (CVE-2015-5157)",
	},
	{
		Syscalls: []string{"settimeofday", "clock_settime", "clock_adjtime", "adjtimex"},
		Action:   seccompEPERM,
		Why: "the realtime clock is the host's (a time namespace only offsets the monotonic and boot clocks). " +
			"glibc's adjtimex goes through clock_adjtime, so read-only NTP queries fail too",
	},
	{
		Syscalls: []string{"acct", "swapon", "swapoff", "reboot", "quotactl", "quotactl_fd", "vhangup", "iopl", "ioperm"},
		Action:   seccompEPERM,
		Why:      "host administration and raw I/O port access",
	},
	{
		Syscalls: []string{"open_by_handle_at", "name_to_handle_at"},
		Action:   seccompEPERM,
		Why: "a file handle opens any inode of a filesystem, whatever the mount view shows " +
			"(the 2014 \"shocker\" container escape)",
	},
	{
		Syscalls: []string{"lookup_dcookie", "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl"},
		Action:   seccompEPERM,
		Why:      "obsolete interfaces no current program needs",
	},
}

// PolicyRule describes one rule of the built-in policy, for the
// documentation and `sandbox explain`.
type PolicyRule struct {
	// Syscalls the rule covers; empty for the architecture and
	// unknown-number rules.
	Syscalls []string `json:"syscalls"`
	// Action is "allow", "kill", "log", "trap" or an errno name.
	Action string `json:"action"`
	// When limits the rule to some argument values; "" means always.
	When string `json:"when,omitempty"`
	// NestedUserNamespaces is true when process.nested_user_namespaces
	// lifts the rule.
	NestedUserNamespaces bool   `json:"nested_user_namespaces,omitempty"`
	Why                  string `json:"why"`
}

// DefaultPolicy describes the built-in policy rules for docs and
// explain: the ABI check, the deny-list and the answer for unknown numbers.
func DefaultPolicy() []PolicyRule {
	out := []PolicyRule{{
		Action: "kill",
		When:   "the call uses the i386 (int 0x80, sysenter) or x32 (number | 0x40000000) ABI",
		Why: "the filter only knows x86_64 numbers: in the other ABIs the same numbers mean other calls " +
			"(i386 mount is 21), so they would slip past every rule. Killing the process makes the attempt visible",
	}}
	for _, r := range seccompBuiltinRules {
		pr := PolicyRule{
			Syscalls:             append([]string(nil), r.Syscalls...),
			Action:               seccompActionString(r.Action),
			NestedUserNamespaces: r.NestedUserns,
			Why:                  r.Why,
		}
		if r.When != nil {
			pr.When = r.When.Desc
		}
		out = append(out, pr)
	}
	return append(out, PolicyRule{
		Action: "ENOSYS",
		When:   "the number is not a known x86_64 syscall",
		Why: "a syscall added by a newer kernel stays unavailable until it has been reviewed; " +
			"ENOSYS is what an older kernel would say, so programs fall back",
	})
}

// seccompActionString renders an action the way a profile writes it.
func seccompActionString(a profile.Action) string {
	if a.Kind != profile.ActErrno {
		return string(a.Kind)
	}
	if a.ErrnoName != "" {
		return a.ErrnoName
	}
	return fmt.Sprintf("errno %d", a.Errno)
}

// seccompBuiltinFor returns the built-in rule for a syscall, nil if none
// applies. nestedUserns drops the rules it lifts.
func seccompBuiltinFor(name string, nestedUserns bool) *seccompBuiltinRule {
	for i := range seccompBuiltinRules {
		r := &seccompBuiltinRules[i]
		if r.NestedUserns && nestedUserns {
			continue
		}
		for _, s := range r.Syscalls {
			if s == name {
				return r
			}
		}
	}
	return nil
}

// describe is the summary line of a built-in rule.
func (r *seccompBuiltinRule) describe() string {
	s := strings.Join(r.Syscalls, ", ") + ": " + seccompActionString(r.Action)
	if r.When != nil {
		s += " when " + r.When.Desc
	}
	return s
}
