package seccomp

import (
	"runtime"

	"sandbox/plan"
	"sandbox/profile"
)

//go:generate go test -run ^TestPrecompiledSeccomp$ -update-bpf

// Building the default filter with libseccomp takes some 25 ms (hundreds of
// rules, then the binary-tree export): more than everything else a launch
// does together. The filters of the two variants a profile without rules
// can ask for (the default policy, with and without nested user
// namespaces) are therefore built ahead of time and compiled into the
// binary as constants (seccomp/precompiled_data.go), so a launch neither
// builds nor decodes them; a profile with its own rules still compiles at
// launch. TestPrecompiledSeccomp checks the embedded programs decide every
// call exactly like a fresh build, and rewrites them with -update-bpf.

// seccompPrecompiledEntry is one embedded filter.
type seccompPrecompiledEntry struct {
	// Arch is the GOARCH whose system call numbers and audit arch the
	// program checks. A build for another architecture must not use it:
	// its first instruction would kill every payload. It gets the fresh
	// build instead, which says plainly what is unsupported.
	Arch         string
	NestedUserns bool
	// Program is the raw BPF program, a string so that it stays in the
	// binary's read-only data until a launch copies it.
	Program string
	Summary []string
}

// seccompPrecompiledFor returns the embedded filter for s, if there is one.
func seccompPrecompiledFor(s profile.Seccomp, nestedUserns bool) (*plan.Seccomp, bool) {
	return seccompPrecompiledIn(seccompPrecompiledSet, runtime.GOARCH, s, nestedUserns)
}

// seccompPrecompiledIn looks s up in set for a build for goarch.
func seccompPrecompiledIn(set []seccompPrecompiledEntry, goarch string, s profile.Seccomp, nestedUserns bool) (*plan.Seccomp, bool) {
	if (s.Policy != profile.PolicyDefault && s.Policy != "") || len(s.Syscalls) > 0 || s.AllowTerminalInjection {
		return nil, false
	}
	for _, e := range set {
		if e.Arch == goarch && e.NestedUserns == nestedUserns && len(e.Program) > 0 {
			return &plan.Seccomp{
				Program: []byte(e.Program),
				Summary: append([]string(nil), e.Summary...),
			}, true
		}
	}
	return nil, false
}
