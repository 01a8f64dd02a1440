package launcher

import (
	"os"
	"sandbox/plan"
	"strings"
	"syscall"
)

// The most common failure of all: a distribution that restricts
// unprivileged user namespaces. The kernel only says EPERM or ENOSPC; these
// are the settings that cause it, and the commands that lift them.

// runUsernsSetting is one sysctl that can block unprivileged user
// namespaces when it holds the value blocked.
type runUsernsSetting struct {
	file, name, blocked, fix, why string
}

var runUsernsSettings = []runUsernsSetting{
	{"/proc/sys/kernel/unprivileged_userns_clone", "kernel.unprivileged_userns_clone", "0", "1",
		"unprivileged user namespaces are disabled"},
	{"/proc/sys/user/max_user_namespaces", "user.max_user_namespaces", "0", "15000",
		"user namespaces are limited to none"},
	{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "kernel.apparmor_restrict_unprivileged_userns", "1", "0",
		"AppArmor restricts unprivileged user namespaces"},
}

// runUsernsBlock names the setting that keeps this user from creating user
// namespaces, with the command that lifts it; "" when none is set.
func runUsernsBlock() string {
	for _, s := range runUsernsSettings {
		b, err := os.ReadFile(s.file)
		if err != nil || strings.TrimSpace(string(b)) != s.blocked {
			continue
		}
		hint := s.why + " (" + s.name + " = " + s.blocked + "); allow them with: " + UsernsAllowCommand(s.name, s.fix)
		if strings.Contains(s.name, "apparmor") {
			hint += "; or give the sandbox binary an AppArmor profile with the \"userns,\" rule"
		}
		return hint
	}
	return ""
}

// runCloneError explains why the sandbox's first process could not be
// created.
func runCloneError(p *plan.Plan, errno syscall.Errno) *SetupError {
	e := &SetupError{Step: -1, Kind: "clone", Errno: errno, Msg: "cannot create the sandbox's namespaces"}
	if p.IDs != nil {
		e.Origin = p.IDs.At
	}
	userns := p.CloneFlags&syscall.CLONE_NEWUSER != 0
	switch {
	case userns && (errno == syscall.EPERM || errno == syscall.ENOSPC || errno == syscall.EUSERS):
		e.Hint = runUsernsBlock()
		if e.Hint != "" {
			break
		}
		if errno == syscall.EPERM {
			e.Hint = "the kernel refused a user namespace: a launcher in a chroot, or under a seccomp filter (a container), cannot create one"
		} else {
			e.Hint = "this user has too many user namespaces already (user.max_user_namespaces); end some sandboxes or raise the limit"
		}
	case errno == syscall.EPERM:
		e.Hint = "only root may create namespaces without a user namespace: set namespaces.user = true"
	case errno == syscall.EINVAL:
		e.Hint = "this kernel does not support one of the namespaces the profile asks for"
	case errno == syscall.EAGAIN:
		e.Hint = "the process limit (ulimit -u) is reached"
	}
	return e
}
