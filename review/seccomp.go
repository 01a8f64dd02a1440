package review

import (
	"fmt"
	"sort"

	"sandbox/plan"
	"sandbox/profile"
	"sandbox/seccomp"
)

// verdict is what a filter does with one syscall: "allow", an errno name,
// "kill", or "conditional" when an argument decides.
type verdicts struct {
	def   string
	calls map[string]string
	at    plan.Origin
}

func seccompVerdicts(p *plan.Plan) (*verdicts, error) {
	for _, st := range p.Steps {
		sc, ok := st.(plan.Seccomp)
		if !ok {
			continue
		}
		set, err := seccomp.Rules(sc)
		if err != nil {
			return nil, fmt.Errorf("diff: %w", err)
		}
		v := &verdicts{def: actionWord(set.Default), calls: map[string]string{}, at: sc.At}
		for _, r := range set.Rules {
			w := actionWord(r.Action)
			if r.Arg != nil {
				// an argument decides: some calls pass, some do not.
				w = "conditional"
			} else if v.calls[r.Syscall] == "conditional" {
				continue
			}
			v.calls[r.Syscall] = w
		}
		return v, nil
	}
	return nil, nil
}

func actionWord(a profile.Action) string {
	switch a.Kind {
	case profile.ActErrno:
		if a.ErrnoName != "" {
			return a.ErrnoName
		}
		return fmt.Sprintf("errno %d", a.Errno)
	case "":
		return "allow"
	}
	return string(a.Kind)
}

// openness ranks verdicts: a higher one lets more through.
func openness(w string) int {
	switch w {
	case "allow", "log":
		return 2
	case "conditional":
		return 1
	}
	return 0
}

func (v *verdicts) of(name string) string {
	if w, ok := v.calls[name]; ok {
		return w
	}
	return v.def
}

func diffSeccomp(a, b *plan.Plan, add adder) error {
	va, err := seccompVerdicts(a)
	if err != nil {
		return err
	}
	vb, err := seccompVerdicts(b)
	if err != nil {
		return err
	}
	switch {
	case va == nil && vb == nil:
		return nil
	case va != nil && vb == nil:
		add("seccomp", Loosening, plan.Origin{}, "the seccomp filter is off (seccomp.policy = none)")
		return nil
	case va == nil:
		add("seccomp", Tightening, vb.at, "a seccomp filter is loaded")
		return nil
	}
	names := map[string]bool{}
	for n := range va.calls {
		names[n] = true
	}
	for n := range vb.calls {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		x, y := va.of(n), vb.of(n)
		if x == y {
			continue
		}
		d := Neutral
		switch {
		case openness(y) > openness(x):
			d = Loosening
		case openness(y) < openness(x):
			d = Tightening
		}
		add("seccomp", d, vb.at, "%s: %s (was %s)", n, y, x)
	}
	if va.def != vb.def {
		d := Neutral
		if openness(vb.def) > openness(va.def) {
			d = Loosening
		} else if openness(vb.def) < openness(va.def) {
			d = Tightening
		}
		add("seccomp", d, vb.at, "unlisted syscalls: %s (was %s)", vb.def, va.def)
	}
	return nil
}
