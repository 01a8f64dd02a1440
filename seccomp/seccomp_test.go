package seccomp

import (
	"encoding/binary"
	"strings"
	"testing"

	"sandbox/profile"
)

// These tests compile filters and run the exported BPF in the test
// interpreter (seccomp/bpfsim_test.go); seccomp/run_test.go loads them into
// the kernel.

const (
	scNrRead        = 0
	scNrIoctl       = 16
	scNrClone       = 56
	scNrPtrace      = 101
	scNrPersonality = 135
	scNrMount       = 165
	scNrUnshare     = 272
	scNrClone3      = 435
	scNrFsopen      = 430

	// Terminal ioctls, as <asm-generic/ioctls.h> numbers them.
	scTIOCSTI   = 0x5412
	scTIOCLINUX = 0x541C

	// x86_64 thread creation flags as glibc's pthread_create passes them.
	scPthreadCloneFlags = 0x3d0f00
	scCloneNewUser      = 0x10000000
	scCloneNewNet       = 0x40000000
)

var (
	scWantAllow  = uint32(scSimRetAllow)
	scWantEPERM  = uint32(scSimRetErrno | 1)
	scWantENOSYS = uint32(scSimRetErrno | 38)
	scWantKill   = uint32(scSimRetKillProcess)
)

func compileSeccompT(t *testing.T, s profile.Seccomp, nested bool) []byte {
	t.Helper()
	st, err := Compile(s, nested)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if st == nil {
		t.Fatal("Compile returned no step for a policy that needs a filter")
	}
	return st.Program
}

type scSimCase struct {
	name string
	call scSimCall
	want uint32
}

func scCheckSim(t *testing.T, prog []byte, cases []scSimCase) {
	t.Helper()
	for _, c := range cases {
		got, _, err := scSimRun(prog, c.call)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: filter answers %s, want %s", c.name, scSimActionString(got), scSimActionString(c.want))
		}
	}
}

func scRule(name string, a profile.Action, line int) profile.SyscallRule {
	return profile.SyscallRule{Name: name, Action: a, At: profile.Origin{File: "/p/app.toml", Line: line, Col: 1}}
}

func scErrno(name string, n int) profile.Action {
	return profile.Action{Kind: profile.ActErrno, Errno: n, ErrnoName: name}
}

// The default policy, call by call: the cases the security checklist names.
func TestSeccompDefaultPolicyAnswers(t *testing.T) {
	prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, false)
	scCheckSim(t, prog, []scSimCase{
		{"read", scSimX86(scNrRead, 0, 0, 0), scWantAllow},
		{"ptrace stays allowed", scSimX86(scNrPtrace), scWantAllow},
		{"kcmp stays allowed", scSimX86(seccompSyscalls()["kcmp"]), scWantAllow},
		{"S4 ioctl TIOCSTI", scSimX86(scNrIoctl, 0, scTIOCSTI), scWantEPERM},
		{"S4 ioctl TIOCSTI|1<<32", scSimX86(scNrIoctl, 0, 1<<32|scTIOCSTI), scWantEPERM},
		{"S4 ioctl TIOCSTI with all high bits", scSimX86(scNrIoctl, 0, 0xffffffff00000000|scTIOCSTI), scWantEPERM},
		{"S4 ioctl TIOCLINUX", scSimX86(scNrIoctl, 0, scTIOCLINUX), scWantEPERM},
		{"ioctl TCGETS", scSimX86(scNrIoctl, 0, 0x5401), scWantAllow},
		{"ioctl TIOCGWINSZ", scSimX86(scNrIoctl, 0, 0x5413), scWantAllow},
		{"ioctl sign-extended TIOCGPTN", scSimX86(scNrIoctl, 0, 0xffffffff80045430), scWantAllow},
		{"S5 clone3", scSimX86(scNrClone3), scWantENOSYS},
		{"clone for fork", scSimX86(scNrClone, 17), scWantAllow},
		{"clone for pthread_create", scSimX86(scNrClone, scPthreadCloneFlags), scWantAllow},
		{"S6 clone CLONE_NEWUSER", scSimX86(scNrClone, scCloneNewUser|17), scWantEPERM},
		{"S6 clone CLONE_NEWNET with high bits", scSimX86(scNrClone, 1<<40|scCloneNewNet), scWantEPERM},
		{"clone with only high bits (the kernel ignores them)", scSimX86(scNrClone, 1<<40), scWantAllow},
		{"S6 unshare", scSimX86(scNrUnshare, scCloneNewUser), scWantEPERM},
		{"S6 unshare(0)", scSimX86(scNrUnshare, 0), scWantEPERM},
		{"S6 mount", scSimX86(scNrMount), scWantEPERM},
		{"fsopen", scSimX86(scNrFsopen), scWantENOSYS},
		{"S7 personality(PER_LINUX)", scSimX86(scNrPersonality, 0), scWantAllow},
		{"S7 personality query", scSimX86(scNrPersonality, 0xffffffff), scWantAllow},
		{"S7 personality(PER_LINUX32)", scSimX86(scNrPersonality, 8), scWantEPERM},
		{"S7 personality(ADDR_NO_RANDOMIZE)", scSimX86(scNrPersonality, 0x0040000), scWantEPERM},
		{"S7 personality(READ_IMPLIES_EXEC) with high bits", scSimX86(scNrPersonality, 1<<32|0x0400000), scWantEPERM},
		{"S9 number 1000", scSimX86(1000), scWantENOSYS},
		{"S9 unassigned number 400", scSimX86(400), scWantENOSYS},
		{"S9 number 0x3fffffff", scSimX86(0x3fffffff), scWantENOSYS},
		{"number -1 (a ptracer skipping a call)", scSimX86(-1), scWantENOSYS},
		{"S3 x32 getpid", scSimX86(0x40000000 | 39), scWantKill},
		{"S3 x32 mount", scSimX86(0x40000000 | scNrMount), scWantKill},
		{"S2 i386 mount (21)", scSimCall{Nr: 21, Arch: scSimArchI386}, scWantKill},
		{"S2 i386 unshare (310)", scSimCall{Nr: 310, Arch: scSimArchI386}, scWantKill},
		{"unknown arch", scSimCall{Nr: 0, Arch: 0xdeadbeef}, scWantKill},
	})
}

// Every known syscall gets what the policy table says, checked against the
// table rather than a copy of it.
func TestSeccompDefaultPolicyCoversTable(t *testing.T) {
	for _, nested := range []bool{false, true} {
		prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, nested)
		for name, nr := range seccompSyscalls() {
			br := seccompBuiltinFor(name, nested)
			args := [][6]uint64{{}, {1, 2, 3}, {scCloneNewUser, scTIOCSTI}, {8, 0}}
			for _, a := range args {
				want := scWantAllow
				if br != nil && (br.When == nil || br.When.matches(a[br.When.Arg])) {
					want = scSimWant(br.Action)
				}
				got, _, err := scSimRun(prog, scSimCall{Nr: int32(nr), Arch: scSimArchX86_64, Args: a})
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("nested=%v %s%v: filter answers %s, want %s", nested, name, a, scSimActionString(got), scSimActionString(want))
				}
			}
		}
	}
}

// S3: the kernel here has no x32 ABI, so the check is read from the BPF
// itself: the program must compare the architecture first and send x32
// numbers of every known syscall to the kill action.
func TestSeccompX32InExportedBPF(t *testing.T) {
	prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, false)
	ins := func(i int) (code uint16, k uint32) {
		return binary.LittleEndian.Uint16(prog[i*8:]), binary.LittleEndian.Uint32(prog[i*8+4:])
	}
	if code, k := ins(0); code != 0x20 || k != 4 {
		t.Fatalf("instruction 0 is %#x k=%d, want a load of seccomp_data.arch (ld [4])", code, k)
	}
	if code, k := ins(1); code != 0x15 || k != scSimArchX86_64 {
		t.Fatalf("instruction 1 is %#x k=%#x, want jeq AUDIT_ARCH_X86_64", code, k)
	}
	x32Check := false
	for i := 0; i < len(prog)/8; i++ {
		if code, k := ins(i); code == 0x35 && k == 0x40000000 {
			x32Check = true
		}
	}
	if !x32Check {
		t.Error("no jge #0x40000000 (the x32 syscall bit) in the program")
	}
	for name, nr := range seccompSyscalls() {
		got, _, err := scSimRun(prog, scSimX86(0x40000000|nr))
		if err != nil {
			t.Fatal(err)
		}
		if got != scWantKill {
			t.Errorf("x32 %s: filter answers %s, want KILL_PROCESS", name, scSimActionString(got))
		}
	}
	if got, _, _ := scSimRun(prog, scSimX86(0x40000000|512)); got != scWantKill {
		t.Errorf("x32-only number 512: filter answers %s, want KILL_PROCESS", scSimActionString(got))
	}
}

func TestSeccompNestedUserNamespaces(t *testing.T) {
	prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, true)
	scCheckSim(t, prog, []scSimCase{
		{"unshare(CLONE_NEWUSER)", scSimX86(scNrUnshare, scCloneNewUser), scWantAllow},
		{"setns", scSimX86(seccompSyscalls()["setns"]), scWantAllow},
		{"clone with all namespace flags", scSimX86(scNrClone, seccompCloneNamespaceFlags|17), scWantAllow},
		{"mount", scSimX86(scNrMount), scWantAllow},
		{"pivot_root", scSimX86(seccompSyscalls()["pivot_root"]), scWantAllow},
		{"chroot", scSimX86(seccompSyscalls()["chroot"]), scWantAllow},
		{"fsopen still ENOSYS", scSimX86(scNrFsopen), scWantENOSYS},
		{"clone3 still ENOSYS", scSimX86(scNrClone3), scWantENOSYS},
		{"keyctl still EPERM", scSimX86(seccompSyscalls()["keyctl"]), scWantEPERM},
		{"TIOCSTI still EPERM", scSimX86(scNrIoctl, 0, scTIOCSTI), scWantEPERM},
	})
}

func TestSeccompProfileOverrides(t *testing.T) {
	s := profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{
		scRule("clone", seccompAllow, 3),
		scRule("fsopen", seccompAllow, 4),
		scRule("getpid", seccompENOSYS, 5),
		scRule("ioctl", seccompAllow, 6),
		scRule("keyctl", profile.Action{Kind: profile.ActTrap}, 7),
		scRule("mount", profile.Action{Kind: profile.ActKill}, 8),
		scRule("personality", scErrno("EINVAL", 22), 9),
		scRule("ptrace", seccompEPERM, 10),
		scRule("unshare", profile.Action{Kind: profile.ActLog}, 11),
	}}
	st, err := Compile(s, false)
	if err != nil {
		t.Fatal(err)
	}
	scCheckSim(t, st.Program, []scSimCase{
		{"allow clone lifts the namespace check", scSimX86(scNrClone, scCloneNewUser), scWantAllow},
		{"allow fsopen", scSimX86(scNrFsopen), scWantAllow},
		{"getpid = ENOSYS", scSimX86(39), scWantENOSYS},
		{"allow ioctl keeps the terminal guard", scSimX86(scNrIoctl, 0, scTIOCSTI), scWantEPERM},
		{"allow ioctl allows other requests", scSimX86(scNrIoctl, 0, 0x5413), scWantAllow},
		{"keyctl = trap", scSimX86(seccompSyscalls()["keyctl"]), scSimRetTrap},
		{"mount = kill", scSimX86(scNrMount), scWantKill},
		{"personality = EINVAL for every persona", scSimX86(scNrPersonality, 0), scSimRetErrno | 22},
		{"ptrace = EPERM", scSimX86(scNrPtrace), scWantEPERM},
		{"unshare = log", scSimX86(scNrUnshare, scCloneNewUser), scSimRetLog},
		{"untouched rule: setns", scSimX86(seccompSyscalls()["setns"]), scWantEPERM},
		{"untouched call: read", scSimX86(scNrRead), scWantAllow},
	})
	sum := strings.Join(st.Summary, "\n")
	for _, want := range []string{
		"ptrace: EPERM (/p/app.toml:10:1)",
		"ioctl: allow (/p/app.toml:6:1); TIOCSTI and TIOCLINUX still get EPERM",
		"setns: EPERM",
		"unknown numbers get ENOSYS",
		"BPF instructions",
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	if strings.Contains(sum, "unshare, setns") {
		t.Errorf("summary still lists unshare under the built-in rule the profile replaced:\n%s", sum)
	}
}

// TestSeccompTerminalGuard is B15: an ioctl rule of "allow" or "log",
// under either filtering policy, keeps TIOCSTI and TIOCLINUX refused, with
// or without high bits set; only seccomp.allow_terminal_injection lifts
// the guard, and the summary says so.
func TestSeccompTerminalGuard(t *testing.T) {
	logAct := profile.Action{Kind: profile.ActLog}
	for _, tc := range []struct {
		name   string
		s      profile.Seccomp
		tty    uint32 // what TIOCSTI and TIOCLINUX get
		other  uint32 // what another request gets
		inSumm string
	}{
		{"default, no rule", profile.Seccomp{Policy: profile.PolicyDefault}, scWantEPERM, scWantAllow, "TIOCSTI (0x5412) or TIOCLINUX"},
		{"default, ioctl allow", profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{scRule("ioctl", seccompAllow, 3)}},
			scWantEPERM, scWantAllow, "still get EPERM"},
		{"default, ioctl log", profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{scRule("ioctl", logAct, 3)}},
			scWantEPERM, scSimRetLog, "still get EPERM"},
		{"allow-list, ioctl log", profile.Seccomp{Policy: profile.PolicyAllowList, Syscalls: []profile.SyscallRule{scRule("ioctl", logAct, 3)}},
			scWantEPERM, scSimRetLog, "TIOCSTI (0x5412) or TIOCLINUX"},
		{"default, the key", profile.Seccomp{Policy: profile.PolicyDefault, AllowTerminalInjection: true},
			scWantAllow, scWantAllow, "the terminal guard is off"},
		{"default, ioctl log and the key", profile.Seccomp{Policy: profile.PolicyDefault, AllowTerminalInjection: true,
			Syscalls: []profile.SyscallRule{scRule("ioctl", logAct, 3)}}, scSimRetLog, scSimRetLog, "the terminal guard is off"},
		{"allow-list, ioctl allow and the key", profile.Seccomp{Policy: profile.PolicyAllowList, AllowTerminalInjection: true,
			Syscalls: []profile.SyscallRule{scRule("ioctl", seccompAllow, 3)}}, scWantAllow, scWantAllow, "the terminal guard is off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Compile(tc.s, false)
			if err != nil {
				t.Fatal(err)
			}
			scCheckSim(t, st.Program, []scSimCase{
				{"TIOCSTI", scSimX86(scNrIoctl, 0, scTIOCSTI), tc.tty},
				{"TIOCSTI | 1<<32", scSimX86(scNrIoctl, 0, scTIOCSTI|1<<32), tc.tty},
				{"TIOCLINUX", scSimX86(scNrIoctl, 0, 0x541c), tc.tty},
				{"TIOCOUTQ", scSimX86(scNrIoctl, 0, 0x5411), tc.other},
			})
			if sum := strings.Join(st.Summary, "\n"); !strings.Contains(sum, tc.inSumm) {
				t.Errorf("summary lacks %q:\n%s", tc.inSumm, sum)
			}
		})
	}
}

func TestSeccompAllowList(t *testing.T) {
	base := []profile.SyscallRule{
		scRule("exit_group", seccompAllow, 2),
		scRule("ioctl", seccompAllow, 3),
		scRule("ptrace", scErrno("EACCES", 13), 4),
		scRule("read", seccompAllow, 5),
	}
	for _, tc := range []struct {
		name  string
		def   profile.Action
		rules []profile.SyscallRule
		cases []scSimCase
	}{{
		name:  "default ENOSYS",
		rules: base,
		cases: []scSimCase{
			{"read", scSimX86(scNrRead), scWantAllow},
			{"openat", scSimX86(257), scWantENOSYS},
			{"ptrace", scSimX86(scNrPtrace), scSimRetErrno | 13},
			{"ioctl TCGETS", scSimX86(scNrIoctl, 0, 0x5401), scWantAllow},
			{"ioctl TIOCSTI", scSimX86(scNrIoctl, 0, scTIOCSTI), scWantEPERM},
			{"ioctl TIOCSTI|1<<32", scSimX86(scNrIoctl, 0, 1<<32|scTIOCSTI), scWantEPERM},
			{"clone3", scSimX86(scNrClone3), scWantENOSYS},
			{"number 1000", scSimX86(1000), scWantENOSYS},
			{"i386", scSimCall{Nr: 3, Arch: scSimArchI386}, scWantKill},
			{"x32 read", scSimX86(0x40000000), scWantKill},
		},
	}, {
		name:  "default kill, a rule equal to the default",
		def:   profile.Action{Kind: profile.ActKill},
		rules: append([]profile.SyscallRule{scRule("getpid", profile.Action{Kind: profile.ActKill}, 1)}, base...),
		cases: []scSimCase{
			{"openat", scSimX86(257), scWantKill},
			{"getpid", scSimX86(39), scWantKill},
			{"read", scSimX86(scNrRead), scWantAllow},
			{"ioctl TIOCLINUX", scSimX86(scNrIoctl, 0, scTIOCLINUX), scWantEPERM},
		},
	}, {
		name:  "ioctl logged keeps the TIOCSTI rule",
		def:   seccompEPERM,
		rules: []profile.SyscallRule{scRule("ioctl", profile.Action{Kind: profile.ActLog}, 1)},
		cases: []scSimCase{
			{"ioctl TCGETS", scSimX86(scNrIoctl, 0, 0x5401), scSimRetLog},
			{"ioctl TIOCSTI", scSimX86(scNrIoctl, 0, scTIOCSTI), scWantEPERM},
			{"read", scSimX86(scNrRead), scWantEPERM},
		},
	}, {
		name:  "ioctl not allowed",
		rules: []profile.SyscallRule{scRule("read", seccompAllow, 1)},
		cases: []scSimCase{
			{"ioctl TCGETS", scSimX86(scNrIoctl, 0, 0x5401), scWantENOSYS},
		},
	}, {
		name:  "unlisted calls allowed: ioctl is, TIOCSTI is not",
		def:   seccompAllow,
		rules: []profile.SyscallRule{scRule("ptrace", seccompEPERM, 1)},
		cases: []scSimCase{
			{"openat", scSimX86(257), scWantAllow},
			{"ptrace", scSimX86(scNrPtrace), scWantEPERM},
			{"ioctl TIOCSTI", scSimX86(scNrIoctl, 0, scTIOCSTI), scWantEPERM},
			{"ioctl TCGETS", scSimX86(scNrIoctl, 0, 0x5401), scWantAllow},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyAllowList, DefaultAction: tc.def, Syscalls: tc.rules}, false)
			scCheckSim(t, prog, tc.cases)
		})
	}
}

// The policy table is consistent: names are real, each in one rule, and
// DefaultPolicy describes every rule plus the ABI and unknown-number
// rules.
func TestSeccompBuiltinRulesConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range seccompBuiltinRules {
		if r.Why == "" {
			t.Errorf("rule %v has no reason", r.Syscalls)
		}
		for _, n := range r.Syscalls {
			if _, ok := seccompSyscalls()[n]; !ok {
				t.Errorf("built-in rule names %q, not in the x86_64 table", n)
			}
			if seen[n] {
				t.Errorf("%q is in two built-in rules", n)
			}
			seen[n] = true
		}
	}
	pol := DefaultPolicy()
	if len(pol) != len(seccompBuiltinRules)+2 {
		t.Fatalf("DefaultPolicy has %d rules, want %d", len(pol), len(seccompBuiltinRules)+2)
	}
	if pol[0].Action != "kill" || pol[len(pol)-1].Action != "ENOSYS" {
		t.Errorf("first and last rules are %q and %q, want the ABI kill and the unknown-number ENOSYS", pol[0].Action, pol[len(pol)-1].Action)
	}
	for i, r := range seccompBuiltinRules {
		p := pol[i+1]
		if strings.Join(p.Syscalls, ",") != strings.Join(r.Syscalls, ",") || p.NestedUserNamespaces != r.NestedUserns || (r.When != nil) != (p.When != "") {
			t.Errorf("DefaultPolicy()[%d] = %+v does not describe %v", i+1, p, r.Syscalls)
		}
	}
}

// The filter's size and the cost of a call, for the record and within the
// kernel's limit.
func TestSeccompFilterSize(t *testing.T) {
	for _, nested := range []bool{false, true} {
		prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, nested)
		n := len(prog) / 8
		if n > seccompMaxInstructions {
			t.Fatalf("%d instructions, the kernel takes %d", n, seccompMaxInstructions)
		}
		longest, longestName, total := 0, "", 0
		for name, nr := range seccompSyscalls() {
			_, steps, err := scSimRun(prog, scSimX86(nr, 0, 0x5401))
			if err != nil {
				t.Fatal(err)
			}
			total += steps
			if steps > longest {
				longest, longestName = steps, name
			}
		}
		_, readSteps, _ := scSimRun(prog, scSimX86(scNrRead))
		_, ioctlSteps, _ := scSimRun(prog, scSimX86(scNrIoctl, 0, 0x5401))
		t.Logf("nested=%v: %d instructions; read runs %d, ioctl TCGETS %d, the mean known call %d, the longest (%s) %d",
			nested, n, readSteps, ioctlSteps, total/len(seccompSyscalls()), longestName, longest)
	}
}

// scSimWant is the SECCOMP_RET_* value a profile action should become.
func scSimWant(a profile.Action) uint32 {
	switch a.Kind {
	case profile.ActAllow:
		return scSimRetAllow
	case profile.ActErrno:
		return scSimRetErrno | uint32(a.Errno)
	case profile.ActKill:
		return scSimRetKillProcess
	case profile.ActLog:
		return scSimRetLog
	case profile.ActTrap:
		return scSimRetTrap
	}
	panic("no action " + string(a.Kind))
}
