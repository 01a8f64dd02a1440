package launcher

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"sandbox/profile"
)

var updateBPF = flag.Bool("update-bpf", false, "rewrite seccomp_precompiled.json from a fresh libseccomp build")

// seccompProbeArgs are argument values that exercise every argument rule of
// the default policy: zero, the tty ioctls with and without high bits,
// namespace clone flags, personalities, and all-ones.
var seccompProbeArgs = []uint64{
	0, 1, 0x5412, 0x541c, 0x5412 | 1<<32, 0x541c | 1<<40, 0x5413, 0x10000000, 0x20000, 0x40000000,
	0x8000000, 0x2000000, 0x4000000, 0x11, 0x3d0f00, 0xffffffff, 8, ^uint64(0),
}

// TestPrecompiledSeccomp checks that each embedded filter decides every
// call exactly as a filter freshly built by libseccomp would: every
// number from -1 to 1023 natively, with each probe argument, plus i386
// and x32 calls.
func TestPrecompiledSeccomp(t *testing.T) {
	var fresh []seccompPrecompiledEntry
	for _, nested := range []bool{false, true} {
		st, err := compileSeccompKnowing(profile.Seccomp{Policy: profile.PolicyDefault}, nested, seccompSyscalls)
		if err != nil {
			t.Fatal(err)
		}
		fresh = append(fresh, seccompPrecompiledEntry{NestedUserns: nested, Program: st.Program, Summary: st.Summary})
	}
	if *updateBPF {
		b, err := json.MarshalIndent(fresh, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("seccomp_precompiled.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, want := range fresh {
		got, ok := seccompPrecompiledFor(profile.Seccomp{Policy: profile.PolicyDefault}, want.NestedUserns)
		if !ok {
			t.Fatalf("no embedded filter for nested=%v; run go test ./launcher -run PrecompiledSeccomp -update-bpf", want.NestedUserns)
		}
		if !reflect.DeepEqual(got.Summary, want.Summary) {
			t.Errorf("nested=%v: embedded summary differs from the policy's:\n got %q\nwant %q", want.NestedUserns, got.Summary, want.Summary)
		}
		var calls []scSimCall
		for nr := -1; nr < 1024; nr++ {
			for _, a := range seccompProbeArgs {
				calls = append(calls, scSimX86(nr, a, a))
			}
			calls = append(calls, scSimCall{Nr: int32(nr), Arch: scSimArchI386}, scSimX86(nr|0x40000000))
		}
		for _, c := range calls {
			g, _, err1 := scSimRun(got.Program, c)
			w, _, err2 := scSimRun(want.Program, c)
			if err1 != nil || err2 != nil {
				t.Fatalf("simulating %+v: %v %v", c, err1, err2)
			}
			if g != w {
				t.Fatalf("nested=%v: call %+v: embedded filter says %s, a fresh build %s; run with -update-bpf",
					want.NestedUserns, c, scSimActionString(g), scSimActionString(w))
			}
		}
	}
}

// TestPrecompiledOnlyWithoutRules checks that a profile's own rules always
// get a fresh build.
func TestPrecompiledOnlyWithoutRules(t *testing.T) {
	s := profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{{Name: "ptrace", Action: profile.Action{Kind: profile.ActErrno, Errno: 1, ErrnoName: "EPERM"}}}}
	if _, ok := seccompPrecompiledFor(s, false); ok {
		t.Fatal("a profile with rules got the embedded default filter")
	}
	if _, ok := seccompPrecompiledFor(profile.Seccomp{Policy: profile.PolicyAllowList}, false); ok {
		t.Fatal("an allow-list got the embedded default filter")
	}
}
