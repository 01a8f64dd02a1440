package seccomp

import (
	"fmt"
	"sort"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
)

// Compile compiles the profile's seccomp section into a loadable BPF
// program (a *Seccomp step: Program holds the raw sock_filter entries,
// Summary says what the filter does). It returns (nil, nil) for policy
// "none". nestedUserns lifts the namespace and mount rules of the default
// policy, for payloads that build their own sandbox.
//
// The program is built here, in the launcher, so that a rule libseccomp
// refuses is reported with its profile line before anything starts; the
// sandbox child only loads the bytes, after no_new_privs and right before
// exec.
func Compile(s profile.Seccomp, nestedUserns bool) (*plan.Seccomp, error) {
	if st, ok := seccompPrecompiledFor(s, nestedUserns); ok {
		return st, nil
	}
	return compileSeccompKnowing(s, nestedUserns, seccompSyscalls())
}

// compileSeccompKnowing is Compile with the table of known syscalls
// as a parameter, so that a test can make a call unknown.
func compileSeccompKnowing(s profile.Seccomp, nestedUserns bool, known map[string]int) (*plan.Seccomp, error) {
	var (
		f       *seccompFilter
		summary []string
		err     error
	)
	switch s.Policy {
	case profile.PolicyNone:
		return nil, nil
	case profile.PolicyDefault, "":
		f, summary, err = seccompBuildDefault(s, nestedUserns, known)
	case profile.PolicyAllowList:
		f, summary, err = seccompBuildAllowList(s)
	default:
		return nil, fmt.Errorf("seccomp.policy: unknown policy %q", s.Policy)
	}
	if err != nil {
		return nil, err
	}
	defer f.release()
	prog, err := f.export()
	if err != nil {
		return nil, err
	}
	summary = append(summary, fmt.Sprintf("%d BPF instructions", len(prog)/8))
	return &plan.Seccomp{Program: prog, Summary: summary}, nil
}

// seccompABILine is the summary line of the architecture check.
const seccompABILine = "i386 (int 0x80) and x32 calls kill the process: only the x86_64 ABI is checked, so only it is allowed"

// seccompBuildDefault builds the deny-list. Its default action is ENOSYS and
// every known syscall gets an explicit rule (allow, or what the policy or
// profile says): that way a number the table does not know is never
// allowed, yet everything a program normally calls is.
func seccompBuildDefault(s profile.Seccomp, nestedUserns bool, known map[string]int) (*seccompFilter, []string, error) {
	overrides, err := seccompProfileRules(s.Syscalls)
	if err != nil {
		return nil, nil, err
	}
	f, err := newSeccompFilter(seccompENOSYS)
	if err != nil {
		return nil, nil, err
	}
	used := map[string]bool{} // syscalls a built-in rule decided
	for _, name := range seccompSortedNames(known) {
		nr := known[name]
		if _, ok := overrides[name]; ok {
			continue // added below, with the profile's origin for errors
		}
		br := seccompBuiltinFor(name, nestedUserns)
		if name == "ioctl" && s.AllowTerminalInjection {
			br = nil
		}
		switch {
		case br == nil:
			err = f.add(nr, seccompAllow)
		case br.When != nil:
			err = f.addMatch(nr, br.Action, seccompAllow, br.When)
		default:
			err = f.add(nr, br.Action)
		}
		if err != nil {
			f.release()
			return nil, nil, fmt.Errorf("built-in seccomp policy: %s: %w", name, err)
		}
		used[name] = br != nil
	}
	for _, r := range s.Syscalls {
		if err := seccompAddRule(f, overrides[r.Name], r, s); err != nil {
			f.release()
			return nil, nil, seccompRuleError(r, err)
		}
	}

	summary := []string{
		fmt.Sprintf("default policy: the %d known x86_64 syscalls are allowed unless a rule below says otherwise; unknown numbers get ENOSYS", len(known)),
		seccompABILine,
	}
	for _, br := range seccompBuiltinRules {
		var names []string
		for _, n := range br.Syscalls {
			if used[n] {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			br.Syscalls = names
			summary = append(summary, br.describe())
		}
	}
	if nestedUserns {
		summary = append(summary, "process.nested_user_namespaces: "+seccompNestedLine())
	}
	if s.AllowTerminalInjection {
		summary = append(summary, seccompTerminalOffLine)
	}
	for _, r := range s.Syscalls {
		line := fmt.Sprintf("%s: %s (%s)", r.Name, seccompActionString(r.Action), seccompOriginString(plan.Origin(r.At)))
		switch br := seccompBuiltinFor(r.Name, nestedUserns); {
		case seccompTerminalGuarded(r, s):
			line += seccompTerminalKeptText
		case br != nil && !(r.Name == "ioctl" && s.AllowTerminalInjection):
			line += ", replacing the built-in " + seccompActionString(br.Action)
		}
		summary = append(summary, line)
	}
	return f, summary, nil
}

// The terminal guard (B15): TIOCSTI and TIOCLINUX stay refused whenever
// ioctl is allowed or only logged, whatever rule or policy allows it; an
// "allow" for ioctl is what nearly every program needs, and must not
// quietly reopen the caller's terminal. Only
// seccomp.allow_terminal_injection turns it off.
const (
	seccompTerminalKeptText = "; TIOCSTI and TIOCLINUX still get EPERM (the terminal guard: only seccomp.allow_terminal_injection lifts it)"
	seccompTerminalOffLine  = "seccomp.allow_terminal_injection: the terminal guard is off; TIOCSTI and TIOCLINUX can push input into the caller's terminal"
)

// seccompTerminalGuarded reports whether the profile's rule r lets ioctl
// through, so that the terminal guard must be kept with it.
func seccompTerminalGuarded(r profile.SyscallRule, s profile.Seccomp) bool {
	return r.Name == "ioctl" && !s.AllowTerminalInjection &&
		(r.Action.Kind == profile.ActAllow || r.Action.Kind == profile.ActLog)
}

// seccompAddRule adds the profile's rule r for syscall nr, keeping the
// terminal guard with an ioctl it lets through.
func seccompAddRule(f *seccompFilter, nr int, r profile.SyscallRule, s profile.Seccomp) error {
	if seccompTerminalGuarded(r, s) {
		guard := seccompBuiltinFor("ioctl", false)
		return f.addMatch(nr, guard.Action, r.Action, guard.When)
	}
	return f.add(nr, r.Action)
}

// seccompBuildAllowList allows exactly what the profile allows. The ABI
// check stays, and so does the terminal guard when ioctl is allowed: an
// allow-list profile has to allow ioctl for nearly any program, and that
// must not reopen the terminal injection.
func seccompBuildAllowList(s profile.Seccomp) (*seccompFilter, []string, error) {
	nums, err := seccompProfileRules(s.Syscalls)
	if err != nil {
		return nil, nil, err
	}
	def := s.DefaultAction
	if def.Kind == "" {
		def = seccompENOSYS
	}
	f, err := newSeccompFilter(def)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp.default_action: %w", err)
	}
	ioctl := seccompBuiltinFor("ioctl", false)
	ioctlAction, named := def, false
	allowed := 0
	for _, r := range s.Syscalls {
		if r.Name == "ioctl" {
			ioctlAction, named = r.Action, true
		}
		if r.Action.Kind == profile.ActAllow {
			allowed++
		}
	}
	for _, r := range s.Syscalls {
		if r.Name == "ioctl" {
			continue
		}
		if err := f.add(nums[r.Name], r.Action); err != nil {
			f.release()
			return nil, nil, seccompRuleError(r, err)
		}
	}
	guarded := !s.AllowTerminalInjection && (ioctlAction.Kind == profile.ActAllow || ioctlAction.Kind == profile.ActLog)
	if guarded {
		err = f.addMatch(seccompSyscalls()["ioctl"], ioctl.Action, ioctlAction, ioctl.When)
	} else {
		err = f.add(seccompSyscalls()["ioctl"], ioctlAction)
	}
	if err != nil {
		f.release()
		if named {
			for _, r := range s.Syscalls {
				if r.Name == "ioctl" {
					return nil, nil, seccompRuleError(r, err)
				}
			}
		}
		return nil, nil, fmt.Errorf("seccomp.default_action: ioctl: %w", err)
	}

	summary := []string{
		fmt.Sprintf("allow-list policy: %d syscalls are allowed; every other call gets %s", allowed, seccompActionString(def)),
		seccompABILine,
	}
	if guarded {
		summary = append(summary, "ioctl: "+seccompActionString(ioctl.Action)+" when "+ioctl.When.Desc+" (built-in)")
	}
	if s.AllowTerminalInjection {
		summary = append(summary, seccompTerminalOffLine)
	}
	for _, r := range s.Syscalls {
		summary = append(summary, fmt.Sprintf("%s: %s (%s)", r.Name, seccompActionString(r.Action), seccompOriginString(plan.Origin(r.At))))
	}
	return f, summary, nil
}

// seccompProfileRules resolves the profile's rule names to numbers.
func seccompProfileRules(rules []profile.SyscallRule) (map[string]int, error) {
	nums := make(map[string]int, len(rules))
	for _, r := range rules {
		nr, ok := seccompSyscallNumber(r.Name)
		if !ok {
			return nil, seccompRuleError(r, fmt.Errorf("unknown x86_64 syscall %q", r.Name))
		}
		if _, dup := nums[r.Name]; dup {
			return nil, seccompRuleError(r, fmt.Errorf("%q has more than one rule", r.Name))
		}
		nums[r.Name] = nr
	}
	return nums, nil
}

// seccompRuleError points an error at the profile line of a rule, in the
// profile package's "file:line:col: key: message" form.
func seccompRuleError(r profile.SyscallRule, err error) error {
	return fmt.Errorf("%s: seccomp.syscalls.%s: %w", seccompOriginString(plan.Origin(r.At)), r.Name, err)
}

func seccompOriginString(o plan.Origin) string {
	switch {
	case o.File == "":
		return "profile"
	case o.Line == 0:
		return o.File
	}
	return fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Col)
}

// seccompSortedNames lists known syscalls in number order, so that the
// filter is built the same way every time.
func seccompSortedNames(known map[string]int) []string {
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return known[names[i]] < known[names[j]] })
	return names
}

// seccompNestedLine lists what nested user namespaces allow.
func seccompNestedLine() string {
	var names []string
	for _, r := range seccompBuiltinRules {
		if r.NestedUserns {
			names = append(names, r.Syscalls...)
		}
	}
	return strings.Join(names, ", ") + " are allowed, namespace flags included"
}
