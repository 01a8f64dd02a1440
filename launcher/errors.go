package launcher

import (
	"fmt"
	"sandbox/plan"
	"strings"
	"syscall"
)

// SetupError is a failure while the sandbox was being set up: after the
// launcher started the sandbox's first process and before the payload ran.
// It names the plan step, the path it was working on and the profile line
// that asked for the step, so that a user knows which line to change. A
// launcher returning one exits 125.
type SetupError struct {
	// Step is the index of the failing step in Plan.Steps; -1 when the
	// failure came before the first step (creating the namespaces,
	// writing the id maps).
	Step int
	// Kind is the step's Kind() ("bind-mount"), or what failed before
	// the first step ("clone", "id-map").
	Kind string
	// Path is the path the step was working on when it failed, when it
	// had one: for a bind, the source or the target.
	Path string
	// Origin is the profile line the step came from.
	Origin plan.Origin
	// Errno is the error the kernel returned; 0 when the failure was not
	// a system call's.
	Errno syscall.Errno
	// Msg says what was being done: the system call ("move_mount") or a
	// sentence.
	Msg string
	// Hint is what to change, when the launcher can tell.
	Hint string
}

// Error reads "step 4 (bind-mount /home/u/x): move_mount: no such file or
// directory (from firefox.toml:14:1)", with the hint on a second line.
// Steps are numbered from 1, as `sandbox explain` lists them. Like every
// error, it does not say who speaks: the command adds "sandbox: " once.
func (e *SetupError) Error() string {
	var b strings.Builder
	switch {
	case e.Step >= 0:
		fmt.Fprintf(&b, "step %d (%s", e.Step+1, e.Kind)
		if e.Path != "" {
			b.WriteString(" " + e.Path)
		}
		b.WriteString("): ")
	case e.Kind != "":
		b.WriteString(e.Kind)
		if e.Path != "" {
			b.WriteString(" " + e.Path)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Errno != 0 {
		b.WriteString(": " + e.Errno.Error())
	}
	if e.Origin.File != "" {
		fmt.Fprintf(&b, " (from %s:%d:%d)", e.Origin.File, e.Origin.Line, e.Origin.Col)
	}
	if e.Hint != "" {
		b.WriteString("\nhint: " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the errno, so that errors.Is(err, fs.ErrNotExist) works.
func (e *SetupError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// runHint says what a user can change for a failure the launcher can
// explain, or "".
func runHint(kind, msg string, errno syscall.Errno) string {
	switch {
	case kind == "bind-mount" && msg == "open source" && errno == syscall.ENOENT:
		return "the source does not exist on the host: create it, or mark the mount optional = true"
	case kind == "file" && strings.HasPrefix(msg, "target is"):
		return "a file entry writes only a regular file; where its target lies in a writable bind, something (a payload of an earlier launch) may have replaced it: remove it on the host, or move the entry out of the bind"
	case kind == "file" && msg == "open source" && errno == syscall.ENOENT:
		return "the file to copy does not exist on the host: create it, or mark the entry optional = true"
	case errno == syscall.EROFS && (msg == "mkdir" || msg == "create"):
		return "the mount point would have to be created inside a read-only mount: create it on the host, or mount the parent read-write, or order the entries so this one comes first"
	case errno == syscall.EACCES && strings.HasPrefix(msg, "open"):
		return "the launcher's user may not access this path on the host"
	case kind == "chdir" && (errno == syscall.ENOENT || errno == syscall.ENOTDIR):
		return "the directory is not visible inside the sandbox: mount it, or set filesystem.cwd"
	case kind == "userns-limit":
		return "the sandbox could not limit user namespaces in its own user namespace (is /proc/sys read-only here?), and no seccomp filter refuses them: keep a seccomp policy, or set process.nested_user_namespaces = true"
	case kind == "rlimit" && errno == syscall.EPERM:
		return "a hard limit cannot be raised above the launcher's own without privilege: lower it"
	case (kind == "hostname" || kind == "domainname") && errno == syscall.EPERM:
		return "setting a name needs a uts namespace: set namespaces.uts = true"
	case kind == "set-ids" && msg == "setgroups" && errno == syscall.EPERM:
		return "supplementary groups cannot be set in a user namespace whose setgroups is denied (rootless): keep the caller's groups"
	case kind == "capabilities" && msg == "capset" && errno == syscall.EPERM:
		return "a capability can only be kept if the sandbox holds it: drop it from capabilities.keep, or use a user namespace"
	case kind == "exec" && msg == "pass fd":
		return "an fd in process.pass_fds is not open in the launcher"
	case errno == syscall.ENODEV && strings.HasPrefix(msg, "not the expected"):
		return "the host's device node is not what its name says; refusing to bind it"
	}
	return ""
}
