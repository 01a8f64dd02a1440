package seccomp

import (
	"fmt"

	"sandbox/plan"
	"sandbox/profile"
)

// Rule is one rule of a compiled filter, as libseccomp was given it:
// every call of Syscall (whose arguments match Arg, when set) gets Action.
// Rules for one syscall never overlap (addMatch), so their order does not
// matter. Exporters (sandbox export) translate them rule by rule, so an OCI
// runtime or systemd builds the same decision table the launcher did.
type Rule struct {
	Syscall string         `json:"syscall"`
	Nr      int            `json:"nr"`
	Action  profile.Action `json:"action"`
	// Arg, when not nil, limits the rule to calls whose argument
	// Arg.Index, masked with Arg.Mask, equals Arg.Value.
	Arg *Arg `json:"arg,omitempty"`
}

// Arg is one masked-equality comparison of a syscall argument.
type Arg struct {
	Index uint   `json:"index"`
	Mask  uint32 `json:"mask"`
	Value uint32 `json:"value"`
}

// RuleSet is a filter as rules: calls no rule matches get Default;
// calls made through another ABI than x86_64 kill the process.
type RuleSet struct {
	Default profile.Action `json:"default"`
	Rules   []Rule         `json:"rules"`
}

// Source is what a seccomp step was compiled from, kept in the step
// (plan.Seccomp.Source) so that Rules can rebuild its rule list.
type Source struct {
	Policy profile.Seccomp
	Nested bool
}

// Rules rebuilds the rule list of a compiled seccomp step. The step
// keeps the policy it was compiled from (the precompiled filters never ran
// libseccomp at launch), and the rebuild goes through exactly the code that
// built the program, recording each rule instead of only exporting BPF.
func Rules(st plan.Seccomp) (*RuleSet, error) {
	src, ok := st.Source.(*Source)
	if !ok || src == nil {
		return nil, fmt.Errorf("seccomp step at %s carries no policy to rebuild its rules from", seccompOriginString(st.At))
	}
	s := src.Policy
	known := seccompSyscalls()
	names := make(map[int]string, len(known))
	for n, nr := range known {
		names[nr] = n
	}
	var (
		f   *seccompFilter
		err error
	)
	switch s.Policy {
	case profile.PolicyDefault, "":
		f, _, err = seccompBuildDefault(s, src.Nested, known)
	case profile.PolicyAllowList:
		f, _, err = seccompBuildAllowList(s)
	default:
		return nil, fmt.Errorf("seccomp.policy: no rules for policy %q", s.Policy)
	}
	if err != nil {
		return nil, err
	}
	defer f.release()
	set := &RuleSet{Default: f.defAction}
	for _, r := range f.rec {
		if r.Syscall = names[r.Nr]; r.Syscall == "" {
			r.Syscall = seccompNameOf(r.Nr)
		}
		set.Rules = append(set.Rules, r)
	}
	return set, nil
}
