package launcher

import (
	_ "embed"
	"encoding/json"
	"sync"

	"sandbox/profile"
)

// Building the default filter with libseccomp takes some 25 ms (hundreds of
// rules, then the binary-tree export): more than everything else a launch
// does together. The filters of the two variants a profile without rules
// can ask for (the default policy, with and without nested user
// namespaces) are therefore built ahead of time and embedded; a profile
// with its own rules still compiles at launch. TestPrecompiledSeccomp
// checks the embedded programs decide every call exactly like a fresh
// build, and rewrites them with -update-bpf.

//go:embed seccomp_precompiled.json
var seccompPrecompiledJSON []byte

// seccompPrecompiledEntry is one embedded filter.
type seccompPrecompiledEntry struct {
	NestedUserns bool     `json:"nested_user_namespaces"`
	Program      []byte   `json:"program"`
	Summary      []string `json:"summary"`
}

var (
	seccompPrecompiledOnce sync.Once
	seccompPrecompiledSet  []seccompPrecompiledEntry
)

// seccompPrecompiledFor returns the embedded filter for s, if there is one.
func seccompPrecompiledFor(s profile.Seccomp, nestedUserns bool) (*Seccomp, bool) {
	if (s.Policy != profile.PolicyDefault && s.Policy != "") || len(s.Syscalls) > 0 {
		return nil, false
	}
	seccompPrecompiledOnce.Do(func() {
		// A broken embed only costs speed: the caller compiles.
		_ = json.Unmarshal(seccompPrecompiledJSON, &seccompPrecompiledSet)
	})
	for _, e := range seccompPrecompiledSet {
		if e.NestedUserns == nestedUserns && len(e.Program) > 0 {
			return &Seccomp{
				Program: append([]byte(nil), e.Program...),
				Summary: append([]string(nil), e.Summary...),
			}, true
		}
	}
	return nil, false
}
