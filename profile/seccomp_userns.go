package profile

// DeniesUserNamespaces says whether the profile's filter refuses every
// call that creates a user namespace: clone with CLONE_NEWUSER, clone3
// and unshare. The built-in rules refuse them unless a syscall rule of
// the profile lets one through.
func (s Seccomp) DeniesUserNamespaces() bool {
	if s.Policy == PolicyNone {
		return false
	}
	for _, name := range []string{"clone", "clone3", "unshare"} {
		act := s.DefaultAction
		if s.Policy != PolicyAllowList {
			act = Action{Kind: ActErrno} // the built-in rule
		}
		for _, r := range s.Syscalls {
			if r.Name == name {
				act = r.Action
			}
		}
		if act.Kind == ActAllow || act.Kind == ActLog {
			return false
		}
	}
	return true
}
