package compile

import "sandbox/plan"

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
	filtered := p.Seccomp.DeniesUserNamespaces()
	if !p.Namespaces.User {
		// Without a user namespace of its own the limit would be the
		// host's; only the filter can hold, and the profile is
		// refused without one (check nested-userns-guard).
		return nil
	}
	// The payload in the sandbox's user namespace with CAP_SYS_RESOURCE
	// could raise the limit again; the profile refuses that unless the
	// filter holds or LockMounts puts the payload in a namespace below,
	// whose capabilities do not reach the limit (check
	// sys-resource-guard).
	max := 0
	if lock {
		max = 1
	}
	return plan.UserNamespaceLimit{From: plan.From{At: plan.Origin(c.origin("process.nested_user_namespaces"))}, Max: max, Optional: filtered}
}
