package tests

import (
	"os"
	"strings"
	"testing"
)

// TestI9NestedUsernsWithoutSeccomp is I9: process.nested_user_namespaces =
// false holds without the seccomp filter. With policy = "none" (and a new
// session, which that policy needs), creating a user namespace inside
// fails: the sandbox sets user.max_user_namespaces = 0 in its own user
// namespace, or 1 when it makes one itself to lock the mounts (a payload
// keeping CAP_SYS_ADMIN), which the payload cannot raise. The host's value
// is left as it was. With nested_user_namespaces = true the same payload
// creates one, which shows the attack can work.
func TestI9NestedUsernsWithoutSeccomp(t *testing.T) {
	const noFilter = "\n[process]\nnew_session = true\n\n[seccomp]\npolicy = \"none\"\n"
	hostValue := func() string {
		b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
		requireOrSkip(t, err == nil, "the host has no /proc/sys/user/max_user_namespaces")
		return strings.TrimSpace(string(b))
	}
	before := hostValue()
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range []struct{ name, extra string }{
			{"no filter", noFilter},
			{"no filter, mounts locked", noFilter + "\n[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n"},
		} {
			prof := attackProfile(t, c.extra)
			res := runProbes(t, m, prof, "unshare_user", "clone_newuser")
			for _, p := range []string{"unshare_user", "clone_newuser"} {
				if res[p].ok() {
					t.Errorf("%s: %s created a user namespace", c.name, res[p])
				}
			}
			if r := sandbox(t, m, "-p", prof, "--", "/usr/bin/unshare", "-U", "true"); r.code == 0 {
				t.Errorf("%s: unshare -U true succeeded inside:\n%s", c.name, r)
			}
		}
		allow := attackProfile(t, strings.Replace(noFilter, "[process]\n", "[process]\nnested_user_namespaces = true\n", 1))
		if r := sandbox(t, m, "-p", allow, "--", "/usr/bin/unshare", "-U", "true"); r.code != 0 {
			t.Errorf("nested_user_namespaces = true without a filter: unshare -U failed, so the test cannot see an attack:\n%s", r)
		}
		if after := hostValue(); after != before {
			t.Errorf("the host's user.max_user_namespaces changed from %s to %s", before, after)
		}
	})
}

// TestI9RefusedCombinations checks the profiles the limit cannot protect:
// without a user namespace of its own the limit would be the host's, and
// a payload keeping CAP_SYS_RESOURCE in the sandbox's namespace could
// raise it again. Both are refused before anything starts, with the line.
func TestI9RefusedCombinations(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "a sandbox without a user namespace needs root")
	noUserns := secProfile(t, "nouserns.toml", "extends = [\"minimal\"]\n[namespaces]\nuser = false\n[process]\nnew_session = true\n[seccomp]\npolicy = \"none\"\n")
	r := sandbox(t, asRoot, "check", noUserns)
	if r.code == 0 || !strings.Contains(r.stderr, noUserns+":7:1: seccomp.policy: without a seccomp filter that refuses user namespaces and with namespaces.user = false") {
		t.Errorf("namespaces.user = false without a filter: %s", r)
	}
	resource := secProfile(t, "resource.toml", "extends = [\"minimal\"]\n[capabilities]\nkeep = [\"CAP_SYS_RESOURCE\"]\n[process]\nnew_session = true\n[seccomp]\npolicy = \"none\"\n")
	r = sandbox(t, asRoot, "check", resource)
	if r.code == 0 || !strings.Contains(r.stderr, resource+":3:9: capabilities.keep: CAP_SYS_RESOURCE would let the payload raise user.max_user_namespaces again") {
		t.Errorf("CAP_SYS_RESOURCE without a filter: %s", r)
	}
	// With the filter, or with nested namespaces allowed, both are fine.
	for _, text := range []string{
		"extends = [\"minimal\"]\n[capabilities]\nkeep = [\"CAP_SYS_RESOURCE\"]\n",
		"extends = [\"minimal\"]\n[capabilities]\nkeep = [\"CAP_SYS_RESOURCE\"]\n[process]\nnew_session = true\nnested_user_namespaces = true\n[seccomp]\npolicy = \"none\"\n",
	} {
		if r := sandbox(t, asRoot, "check", secProfile(t, "fine.toml", text)); r.code != 0 {
			t.Errorf("%q: %s", text, r)
		}
	}
}
