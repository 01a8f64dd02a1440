package seccomp

import (
	"strings"
	"testing"

	"sandbox/profile"
)

func TestSeccompPolicyNone(t *testing.T) {
	st, err := Compile(profile.Seccomp{Policy: profile.PolicyNone, Syscalls: []profile.SyscallRule{scRule("read", seccompAllow, 1)}}, true)
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
		s:    profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{scRule("frobnicate", seccompEPERM, 7)}},
		want: []string{"/p/app.toml:7:1: seccomp.syscalls.frobnicate: ", "unknown x86_64 syscall"},
	}, {
		name: "libseccomp refuses errno 5000",
		s:    profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{scRule("ptrace", scErrno("", 5000), 9)}},
		want: []string{"/p/app.toml:9:1: seccomp.syscalls.ptrace: ", "libseccomp refused the rule (action errno 5000)"},
	}, {
		name: "libseccomp refuses errno 5000 in an allow-list",
		s:    profile.Seccomp{Policy: profile.PolicyAllowList, Syscalls: []profile.SyscallRule{scRule("ioctl", scErrno("", 5000), 4)}},
		want: []string{"/p/app.toml:4:1: seccomp.syscalls.ioctl: ", "errno 5000"},
	}, {
		name: "errno out of range",
		s:    profile.Seccomp{Policy: profile.PolicyAllowList, Syscalls: []profile.SyscallRule{scRule("read", scErrno("", 70000), 2)}},
		want: []string{"/p/app.toml:2:1: seccomp.syscalls.read: ", "errno 70000 is out of range"},
	}, {
		name: "no action",
		s:    profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{scRule("read", profile.Action{}, 3)}},
		want: []string{"/p/app.toml:3:1: seccomp.syscalls.read: ", "no action given"},
	}, {
		name: "bad default action",
		s:    profile.Seccomp{Policy: profile.PolicyAllowList, DefaultAction: scErrno("", 5000)},
		want: []string{"seccomp.default_action: ", "errno 5000"},
	}, {
		name: "unknown policy",
		s:    profile.Seccomp{Policy: "deny-all"},
		want: []string{"seccomp.policy: unknown policy \"deny-all\""},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Compile(tc.s, false)
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
