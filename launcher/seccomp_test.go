package launcher

import (
	"encoding/binary"
	"math/rand"
	"strings"
	"testing"

	"sandbox/profile"
)

// These tests compile filters and run the exported BPF in the test
// interpreter (seccomp_bpfsim_test.go); seccomp_run_test.go loads them into
// the kernel.

const (
	nrRead        = 0
	nrIoctl       = 16
	nrClone       = 56
	nrPtrace      = 101
	nrPersonality = 135
	nrMount       = 165
	nrUnshare     = 272
	nrClone3      = 435
	nrFsopen      = 430

	// Terminal ioctls, as <asm-generic/ioctls.h> numbers them.
	tiocsti   = 0x5412
	tioclinux = 0x541C

	// x86_64 thread creation flags as glibc's pthread_create passes them.
	pthreadCloneFlags = 0x3d0f00
	cloneNewUser      = 0x10000000
	cloneNewNet       = 0x40000000
)

var (
	wantAllow  = uint32(simRetAllow)
	wantEPERM  = uint32(simRetErrno | 1)
	wantENOSYS = uint32(simRetErrno | 38)
	wantKill   = uint32(simRetKillProcess)
)

func compileSeccompT(t *testing.T, s profile.Seccomp, nested bool) []byte {
	t.Helper()
	st, err := CompileSeccomp(s, nested)
	if err != nil {
		t.Fatalf("CompileSeccomp: %v", err)
	}
	if st == nil {
		t.Fatal("CompileSeccomp returned no step for a policy that needs a filter")
	}
	return st.Program
}

type simCase struct {
	name string
	call simCall
	want uint32
}

func checkSim(t *testing.T, prog []byte, cases []simCase) {
	t.Helper()
	for _, c := range cases {
		got, _, err := simRun(prog, c.call)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: filter answers %s, want %s", c.name, simActionString(got), simActionString(c.want))
		}
	}
}

func rule(name string, a profile.Action, line int) profile.SyscallRule {
	return profile.SyscallRule{Name: name, Action: a, At: profile.Origin{File: "/p/app.toml", Line: line, Col: 1}}
}

func errnoAction(name string, n int) profile.Action {
	return profile.Action{Kind: profile.ActErrno, Errno: n, ErrnoName: name}
}

// The default policy, call by call: the cases the security checklist names.
func TestSeccompDefaultPolicyAnswers(t *testing.T) {
	prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, false)
	checkSim(t, prog, []simCase{
		{"read", simX86(nrRead, 0, 0, 0), wantAllow},
		{"ptrace stays allowed", simX86(nrPtrace), wantAllow},
		{"kcmp stays allowed", simX86(seccompSyscalls["kcmp"]), wantAllow},
		{"S4 ioctl TIOCSTI", simX86(nrIoctl, 0, tiocsti), wantEPERM},
		{"S4 ioctl TIOCSTI|1<<32", simX86(nrIoctl, 0, 1<<32|tiocsti), wantEPERM},
		{"S4 ioctl TIOCSTI with all high bits", simX86(nrIoctl, 0, 0xffffffff00000000|tiocsti), wantEPERM},
		{"S4 ioctl TIOCLINUX", simX86(nrIoctl, 0, tioclinux), wantEPERM},
		{"ioctl TCGETS", simX86(nrIoctl, 0, 0x5401), wantAllow},
		{"ioctl TIOCGWINSZ", simX86(nrIoctl, 0, 0x5413), wantAllow},
		{"ioctl sign-extended TIOCGPTN", simX86(nrIoctl, 0, 0xffffffff80045430), wantAllow},
		{"S5 clone3", simX86(nrClone3), wantENOSYS},
		{"clone for fork", simX86(nrClone, 17), wantAllow},
		{"clone for pthread_create", simX86(nrClone, pthreadCloneFlags), wantAllow},
		{"S6 clone CLONE_NEWUSER", simX86(nrClone, cloneNewUser|17), wantEPERM},
		{"S6 clone CLONE_NEWNET with high bits", simX86(nrClone, 1<<40|cloneNewNet), wantEPERM},
		{"clone with only high bits (the kernel ignores them)", simX86(nrClone, 1<<40), wantAllow},
		{"S6 unshare", simX86(nrUnshare, cloneNewUser), wantEPERM},
		{"S6 unshare(0)", simX86(nrUnshare, 0), wantEPERM},
		{"S6 mount", simX86(nrMount), wantEPERM},
		{"fsopen", simX86(nrFsopen), wantENOSYS},
		{"S7 personality(PER_LINUX)", simX86(nrPersonality, 0), wantAllow},
		{"S7 personality query", simX86(nrPersonality, 0xffffffff), wantAllow},
		{"S7 personality(PER_LINUX32)", simX86(nrPersonality, 8), wantEPERM},
		{"S7 personality(ADDR_NO_RANDOMIZE)", simX86(nrPersonality, 0x0040000), wantEPERM},
		{"S7 personality(READ_IMPLIES_EXEC) with high bits", simX86(nrPersonality, 1<<32|0x0400000), wantEPERM},
		{"S9 number 1000", simX86(1000), wantENOSYS},
		{"S9 unassigned number 400", simX86(400), wantENOSYS},
		{"S9 number 0x3fffffff", simX86(0x3fffffff), wantENOSYS},
		{"S3 x32 getpid", simX86(0x40000000 | 39), wantKill},
		{"S3 x32 mount", simX86(0x40000000 | nrMount), wantKill},
		{"S2 i386 mount (21)", simCall{Nr: 21, Arch: simArchI386}, wantKill},
		{"S2 i386 unshare (310)", simCall{Nr: 310, Arch: simArchI386}, wantKill},
		{"unknown arch", simCall{Nr: 0, Arch: 0xdeadbeef}, wantKill},
	})
}

// Every known syscall gets what the policy table says, checked against the
// table rather than a copy of it.
func TestSeccompDefaultPolicyCoversTable(t *testing.T) {
	for _, nested := range []bool{false, true} {
		prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, nested)
		for name, nr := range seccompSyscalls {
			br := seccompBuiltinFor(name, nested)
			args := [][6]uint64{{}, {1, 2, 3}, {cloneNewUser, tiocsti}, {8, 0}}
			for _, a := range args {
				want := wantAllow
				if br != nil && (br.When == nil || br.When.matches(a[br.When.Arg])) {
					want = simWant(br.Action)
				}
				got, _, err := simRun(prog, simCall{Nr: int32(nr), Arch: simArchX86_64, Args: a})
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("nested=%v %s%v: filter answers %s, want %s", nested, name, a, simActionString(got), simActionString(want))
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
	if code, k := ins(1); code != 0x15 || k != simArchX86_64 {
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
	for name, nr := range seccompSyscalls {
		got, _, err := simRun(prog, simX86(0x40000000|nr))
		if err != nil {
			t.Fatal(err)
		}
		if got != wantKill {
			t.Errorf("x32 %s: filter answers %s, want KILL_PROCESS", name, simActionString(got))
		}
	}
	if got, _, _ := simRun(prog, simX86(0x40000000|512)); got != wantKill {
		t.Errorf("x32-only number 512: filter answers %s, want KILL_PROCESS", simActionString(got))
	}
}

func TestSeccompNestedUserNamespaces(t *testing.T) {
	prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyDefault}, true)
	checkSim(t, prog, []simCase{
		{"unshare(CLONE_NEWUSER)", simX86(nrUnshare, cloneNewUser), wantAllow},
		{"setns", simX86(seccompSyscalls["setns"]), wantAllow},
		{"clone with all namespace flags", simX86(nrClone, seccompCloneNamespaceFlags|17), wantAllow},
		{"mount", simX86(nrMount), wantAllow},
		{"pivot_root", simX86(seccompSyscalls["pivot_root"]), wantAllow},
		{"chroot", simX86(seccompSyscalls["chroot"]), wantAllow},
		{"fsopen still ENOSYS", simX86(nrFsopen), wantENOSYS},
		{"clone3 still ENOSYS", simX86(nrClone3), wantENOSYS},
		{"keyctl still EPERM", simX86(seccompSyscalls["keyctl"]), wantEPERM},
		{"TIOCSTI still EPERM", simX86(nrIoctl, 0, tiocsti), wantEPERM},
	})
}

func TestSeccompProfileOverrides(t *testing.T) {
	s := profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{
		rule("clone", seccompAllow, 3),
		rule("fsopen", seccompAllow, 4),
		rule("getpid", seccompENOSYS, 5),
		rule("ioctl", seccompAllow, 6),
		rule("keyctl", profile.Action{Kind: profile.ActTrap}, 7),
		rule("mount", profile.Action{Kind: profile.ActKill}, 8),
		rule("personality", errnoAction("EINVAL", 22), 9),
		rule("ptrace", seccompEPERM, 10),
		rule("unshare", profile.Action{Kind: profile.ActLog}, 11),
	}}
	st, err := CompileSeccomp(s, false)
	if err != nil {
		t.Fatal(err)
	}
	checkSim(t, st.Program, []simCase{
		{"allow clone lifts the namespace check", simX86(nrClone, cloneNewUser), wantAllow},
		{"allow fsopen", simX86(nrFsopen), wantAllow},
		{"getpid = ENOSYS", simX86(39), wantENOSYS},
		{"allow ioctl lifts the TIOCSTI rule", simX86(nrIoctl, 0, tiocsti), wantAllow},
		{"keyctl = trap", simX86(seccompSyscalls["keyctl"]), simRetTrap},
		{"mount = kill", simX86(nrMount), wantKill},
		{"personality = EINVAL for every persona", simX86(nrPersonality, 0), simRetErrno | 22},
		{"ptrace = EPERM", simX86(nrPtrace), wantEPERM},
		{"unshare = log", simX86(nrUnshare, cloneNewUser), simRetLog},
		{"untouched rule: setns", simX86(seccompSyscalls["setns"]), wantEPERM},
		{"untouched call: read", simX86(nrRead), wantAllow},
	})
	sum := strings.Join(st.Summary, "\n")
	for _, want := range []string{
		"ptrace: EPERM (/p/app.toml:10:1)",
		"ioctl: allow (/p/app.toml:6:1), replacing the built-in EPERM",
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

func TestSeccompAllowList(t *testing.T) {
	base := []profile.SyscallRule{
		rule("exit_group", seccompAllow, 2),
		rule("ioctl", seccompAllow, 3),
		rule("ptrace", errnoAction("EACCES", 13), 4),
		rule("read", seccompAllow, 5),
	}
	for _, tc := range []struct {
		name  string
		def   profile.Action
		rules []profile.SyscallRule
		cases []simCase
	}{{
		name:  "default ENOSYS",
		rules: base,
		cases: []simCase{
			{"read", simX86(nrRead), wantAllow},
			{"openat", simX86(257), wantENOSYS},
			{"ptrace", simX86(nrPtrace), simRetErrno | 13},
			{"ioctl TCGETS", simX86(nrIoctl, 0, 0x5401), wantAllow},
			{"ioctl TIOCSTI", simX86(nrIoctl, 0, tiocsti), wantEPERM},
			{"ioctl TIOCSTI|1<<32", simX86(nrIoctl, 0, 1<<32|tiocsti), wantEPERM},
			{"clone3", simX86(nrClone3), wantENOSYS},
			{"number 1000", simX86(1000), wantENOSYS},
			{"i386", simCall{Nr: 3, Arch: simArchI386}, wantKill},
			{"x32 read", simX86(0x40000000), wantKill},
		},
	}, {
		name:  "default kill, a rule equal to the default",
		def:   profile.Action{Kind: profile.ActKill},
		rules: append([]profile.SyscallRule{rule("getpid", profile.Action{Kind: profile.ActKill}, 1)}, base...),
		cases: []simCase{
			{"openat", simX86(257), wantKill},
			{"getpid", simX86(39), wantKill},
			{"read", simX86(nrRead), wantAllow},
			{"ioctl TIOCLINUX", simX86(nrIoctl, 0, tioclinux), wantEPERM},
		},
	}, {
		name:  "ioctl logged keeps the TIOCSTI rule",
		def:   seccompEPERM,
		rules: []profile.SyscallRule{rule("ioctl", profile.Action{Kind: profile.ActLog}, 1)},
		cases: []simCase{
			{"ioctl TCGETS", simX86(nrIoctl, 0, 0x5401), simRetLog},
			{"ioctl TIOCSTI", simX86(nrIoctl, 0, tiocsti), wantEPERM},
			{"read", simX86(nrRead), wantEPERM},
		},
	}, {
		name:  "ioctl not allowed",
		rules: []profile.SyscallRule{rule("read", seccompAllow, 1)},
		cases: []simCase{
			{"ioctl TCGETS", simX86(nrIoctl, 0, 0x5401), wantENOSYS},
		},
	}, {
		name:  "unlisted calls allowed: ioctl is, TIOCSTI is not",
		def:   seccompAllow,
		rules: []profile.SyscallRule{rule("ptrace", seccompEPERM, 1)},
		cases: []simCase{
			{"openat", simX86(257), wantAllow},
			{"ptrace", simX86(nrPtrace), wantEPERM},
			{"ioctl TIOCSTI", simX86(nrIoctl, 0, tiocsti), wantEPERM},
			{"ioctl TCGETS", simX86(nrIoctl, 0, 0x5401), wantAllow},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			prog := compileSeccompT(t, profile.Seccomp{Policy: profile.PolicyAllowList, DefaultAction: tc.def, Syscalls: tc.rules}, false)
			checkSim(t, prog, tc.cases)
		})
	}
}

func TestSeccompPolicyNone(t *testing.T) {
	st, err := CompileSeccomp(profile.Seccomp{Policy: profile.PolicyNone, Syscalls: []profile.SyscallRule{rule("read", seccompAllow, 1)}}, true)
	if st != nil || err != nil {
		t.Fatalf("policy none: got (%v, %v), want (nil, nil)", st, err)
	}
}

// Errors point at the profile line of the rule and name the syscall.
func TestSeccompErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    profile.Seccomp
		want []string
	}{{
		name: "unknown syscall",
		s:    profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{rule("frobnicate", seccompEPERM, 7)}},
		want: []string{"/p/app.toml:7:1: seccomp.syscalls.frobnicate: ", "unknown x86_64 syscall"},
	}, {
		name: "libseccomp refuses errno 5000",
		s:    profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{rule("ptrace", errnoAction("", 5000), 9)}},
		want: []string{"/p/app.toml:9:1: seccomp.syscalls.ptrace: ", "libseccomp refused the rule (action errno 5000)"},
	}, {
		name: "libseccomp refuses errno 5000 in an allow-list",
		s:    profile.Seccomp{Policy: profile.PolicyAllowList, Syscalls: []profile.SyscallRule{rule("ioctl", errnoAction("", 5000), 4)}},
		want: []string{"/p/app.toml:4:1: seccomp.syscalls.ioctl: ", "errno 5000"},
	}, {
		name: "errno out of range",
		s:    profile.Seccomp{Policy: profile.PolicyAllowList, Syscalls: []profile.SyscallRule{rule("read", errnoAction("", 70000), 2)}},
		want: []string{"/p/app.toml:2:1: seccomp.syscalls.read: ", "errno 70000 is out of range"},
	}, {
		name: "no action",
		s:    profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{rule("read", profile.Action{}, 3)}},
		want: []string{"/p/app.toml:3:1: seccomp.syscalls.read: ", "no action given"},
	}, {
		name: "bad default action",
		s:    profile.Seccomp{Policy: profile.PolicyAllowList, DefaultAction: errnoAction("", 5000)},
		want: []string{"seccomp.default_action: ", "errno 5000"},
	}, {
		name: "unknown policy",
		s:    profile.Seccomp{Policy: "deny-all"},
		want: []string{"seccomp.policy: unknown policy \"deny-all\""},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := CompileSeccomp(tc.s, false)
			if err == nil {
				t.Fatalf("no error; summary %q", st.Summary)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The policy table is consistent: names are real, each in one rule, and
// DefaultSeccompPolicy describes every rule plus the ABI and unknown-number
// rules.
func TestSeccompBuiltinRulesConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range seccompBuiltinRules {
		if r.Why == "" {
			t.Errorf("rule %v has no reason", r.Syscalls)
		}
		for _, n := range r.Syscalls {
			if _, ok := seccompSyscalls[n]; !ok {
				t.Errorf("built-in rule names %q, not in the x86_64 table", n)
			}
			if seen[n] {
				t.Errorf("%q is in two built-in rules", n)
			}
			seen[n] = true
		}
	}
	pol := DefaultSeccompPolicy()
	if len(pol) != len(seccompBuiltinRules)+2 {
		t.Fatalf("DefaultSeccompPolicy has %d rules, want %d", len(pol), len(seccompBuiltinRules)+2)
	}
	if pol[0].Action != "kill" || pol[len(pol)-1].Action != "ENOSYS" {
		t.Errorf("first and last rules are %q and %q, want the ABI kill and the unknown-number ENOSYS", pol[0].Action, pol[len(pol)-1].Action)
	}
	for i, r := range seccompBuiltinRules {
		p := pol[i+1]
		if strings.Join(p.Syscalls, ",") != strings.Join(r.Syscalls, ",") || p.NestedUserNamespaces != r.NestedUserns || (r.When != nil) != (p.When != "") {
			t.Errorf("DefaultSeccompPolicy()[%d] = %+v does not describe %v", i+1, p, r.Syscalls)
		}
	}
}

// seccompCover must give exactly the complement: compare with the
// definition on random values and on every value one or two bits away from
// an excluded one, with random high words.
func TestSeccompCover(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, tc := range []struct {
		mask     uint32
		values   []uint32
		maxCubes int
	}{
		{0xffffffff, []uint32{tiocsti, tioclinux}, 33},
		{0xffffffff, []uint32{0, 0xffffffff}, 62},
		{seccompCloneNamespaceFlags, []uint32{0}, 7},
		{0xffffffff, []uint32{tiocsti}, 32},
		{0x0f0, []uint32{0x10, 0x20, 0x30}, 64},
	} {
		cubes := seccompCover(tc.mask, tc.values)
		if len(cubes) > tc.maxCubes {
			t.Errorf("cover of %#x outside %#x: %d cubes, want at most %d", tc.mask, tc.values, len(cubes), tc.maxCubes)
		}
		m := &seccompArgMatch{Mask: tc.mask, Values: tc.values, Outside: true}
		in := func(v uint32) bool {
			for _, c := range cubes {
				if v&c.Mask == c.Value {
					return true
				}
			}
			return false
		}
		var probes []uint32
		for i := 0; i < 20000; i++ {
			probes = append(probes, rng.Uint32())
		}
		for _, v := range tc.values {
			probes = append(probes, v)
			for i := 0; i < 32; i++ {
				for j := i; j < 32; j++ {
					probes = append(probes, v^(1<<i)^(1<<j))
				}
			}
		}
		for _, v := range probes {
			hi := uint64(rng.Uint32()) << 32
			if got, want := in(v), m.matches(hi|uint64(v)); got != want {
				t.Fatalf("cover of %#x outside %#x: value %#x covered=%v, want %v", tc.mask, tc.values, v, got, want)
			}
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
		for name, nr := range seccompSyscalls {
			_, steps, err := simRun(prog, simX86(nr, 0, 0x5401))
			if err != nil {
				t.Fatal(err)
			}
			total += steps
			if steps > longest {
				longest, longestName = steps, name
			}
		}
		_, readSteps, _ := simRun(prog, simX86(nrRead))
		_, ioctlSteps, _ := simRun(prog, simX86(nrIoctl, 0, 0x5401))
		t.Logf("nested=%v: %d instructions; read runs %d, ioctl TCGETS %d, the mean known call %d, the longest (%s) %d",
			nested, n, readSteps, ioctlSteps, total/len(seccompSyscalls), longestName, longest)
	}
}

// simWant is the SECCOMP_RET_* value a profile action should become.
func simWant(a profile.Action) uint32 {
	switch a.Kind {
	case profile.ActAllow:
		return simRetAllow
	case profile.ActErrno:
		return simRetErrno | uint32(a.Errno)
	case profile.ActKill:
		return simRetKillProcess
	case profile.ActLog:
		return simRetLog
	case profile.ActTrap:
		return simRetTrap
	}
	panic("no action " + string(a.Kind))
}
