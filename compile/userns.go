package compile

import (
	"slices"

	"sandbox/plan"
	"sandbox/profile"
)

// Nested user namespaces (I9). With process.nested_user_namespaces =
// false the seccomp filter refuses the calls that create them, but a
// profile without a filter (policy = "none"), or one whose rules allow
// clone or unshare, would leave the payload free to create one, and with
// it the kernel code that is otherwise root-only. So the sandbox also
// sets user.max_user_namespaces in its own user namespace: the limit is
// per user namespace and binds every namespace below it, so the host's
// own setting is untouched, and nothing below can raise it.

// usernsLimit returns the step that limits the user namespaces the
// payload can create, or nil when the profile allows them. lock says
// whether the setup itself creates one more (LockMounts), which the
// limit then leaves room for.
func (c *compiler) usernsLimit(lock bool) plan.Step {
	p := c.p
	if p.Process.NestedUserNamespaces {
		return nil
	}
	filtered := seccompDeniesUserns(p.Seccomp)
	if !p.Namespaces.User {
		// Without a user namespace of its own the limit would be the
		// host's; only the filter can hold.
		if !filtered {
			c.fail(c.origin("seccomp.policy"), "seccomp.policy",
				"without a seccomp filter that refuses user namespaces and with namespaces.user = false, nothing stops the payload from creating them (process.nested_user_namespaces = false): keep a seccomp policy, set namespaces.user = true, or set process.nested_user_namespaces = true")
		}
		return nil
	}
	// The payload in the sandbox's user namespace with CAP_SYS_RESOURCE
	// could raise the limit again. Behind LockMounts it lives in a
	// namespace below, whose capabilities do not reach the limit.
	if !filtered && !lock && slices.Contains(p.Capabilities.Keep, "CAP_SYS_RESOURCE") {
		c.fail(c.origin("capabilities.keep"), "capabilities.keep",
			"CAP_SYS_RESOURCE would let the payload raise user.max_user_namespaces again, and no seccomp filter refuses user namespaces (process.nested_user_namespaces = false): drop it, keep a seccomp policy, or set process.nested_user_namespaces = true")
	}
	max := 0
	if lock {
		max = 1
	}
	return plan.UserNamespaceLimit{From: plan.From{At: plan.Origin(c.origin("process.nested_user_namespaces"))}, Max: max, Optional: filtered}
}

// seccompDeniesUserns says whether the profile's filter refuses every
// call that creates a user namespace: clone with CLONE_NEWUSER, clone3
// and unshare.
func seccompDeniesUserns(s profile.Seccomp) bool {
	if s.Policy == profile.PolicyNone {
		return false
	}
	for _, name := range []string{"clone", "clone3", "unshare"} {
		act := s.DefaultAction
		if s.Policy != profile.PolicyAllowList {
			act = profile.Action{Kind: profile.ActErrno} // the built-in rule
		}
		for _, r := range s.Syscalls {
			if r.Name == name {
				act = r.Action
			}
		}
		if act.Kind == profile.ActAllow || act.Kind == profile.ActLog {
			return false
		}
	}
	return true
}
