package compile

import (
	"sort"
	"strings"

	"sandbox/egress"
	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
	"sandbox/seccomp"
)

// DefaultEnv is the set of host variables every sandbox receives when the
// caller has them. Everything else is cleared unless a profile keeps it:
// environment variables carry tokens, socket paths and session secrets.
var DefaultEnv = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM",
	"LANG", "LANGUAGE", "LC_*", "TZ", "NO_COLOR",
}

// fallbackPath is PATH when the caller has none.
const fallbackPath = "/usr/local/bin:/usr/bin:/bin"

// environment builds the payload's complete environment: the default set
// and the profile's keep list from the caller, minus unset, then set.
func (c *compiler) environment() []string {
	e := c.p.Environment
	keep := append(append([]string(nil), DefaultEnv...), e.Keep...)
	vars := map[string]string{}
	for _, kv := range c.h.EnvMatching(keep) {
		name, value, _ := strings.Cut(kv, "=")
		vars[name] = value
	}
	if _, ok := vars["PATH"]; !ok {
		vars["PATH"] = fallbackPath
	}
	if c.h.Home != "" {
		vars["HOME"] = c.h.Home
	}
	for _, name := range e.Unset {
		for k := range vars {
			if hostview.Match(name, k) {
				delete(vars, k)
			}
		}
	}
	if c.p.Namespaces.Net && c.p.Network.Mode == profile.NetworkFiltered {
		// Before environment.set, so that a profile can adjust
		// NO_PROXY; a program that ignores them has no route out.
		for k, v := range egress.Env(egress.Port) {
			vars[k] = v
		}
	}
	for _, v := range e.Set {
		vars[v.Name] = v.Value
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// capabilities resolves kept capability names to numbers. The profile
// package has already validated the names.
func (c *compiler) capabilities() plan.Capabilities {
	st := plan.Capabilities{From: plan.From{At: plan.Origin(c.origin("capabilities.keep"))}, Ambient: c.p.Capabilities.Ambient}
	for _, name := range c.p.Capabilities.Keep {
		n, ok := capNumber(name)
		if !ok {
			c.fail(c.origin("capabilities.keep"), "capabilities.keep", "unknown capability %q", name)
			continue
		}
		st.Keep = append(st.Keep, n)
		st.Names = append(st.Names, name)
	}
	return st
}

// seccomp compiles the filter now, in the launcher, so a bad rule is a
// profile error before anything is spawned.
func (c *compiler) seccomp() *plan.Seccomp {
	s := c.p.Seccomp
	if s.Policy == profile.PolicyNone {
		return nil
	}
	if !c.p.Namespaces.PID {
		s = denyHostPtrace(s, c.origin("namespaces.pid"))
	}
	st, err := seccomp.Compile(s, c.p.Process.NestedUserNamespaces)
	if err != nil {
		c.fail(c.origin("seccomp"), "seccomp", "%v", err)
		return nil
	}
	if st == nil {
		return nil
	}
	st.At = plan.Origin(c.origin("seccomp.policy"))
	st.Source = &seccomp.Source{Policy: s, Nested: c.p.Process.NestedUserNamespaces}
	return st
}

// denyHostPtrace adds ptrace and process_vm_* denials when the sandbox
// shares the host's pid namespace: otherwise a payload can attach to host
// processes of the same uid and read their memory (checklist I2). A rule
// the profile wrote itself is left alone.
func denyHostPtrace(s profile.Seccomp, at profile.Origin) profile.Seccomp {
	if s.Policy != profile.PolicyDefault {
		return s
	}
	have := map[string]bool{}
	for _, r := range s.Syscalls {
		have[r.Name] = true
	}
	rules := append([]profile.SyscallRule(nil), s.Syscalls...)
	for _, name := range []string{"ptrace", "process_vm_readv", "process_vm_writev"} {
		if !have[name] {
			rules = append(rules, profile.SyscallRule{Name: name, Action: profile.Action{Kind: profile.ActErrno, Errno: 1, ErrnoName: "EPERM"}, At: at})
		}
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Name < rules[j].Name })
	s.Syscalls = rules
	return s
}
