package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// kernelCall is a system call the launcher relies on and the kernel
// release that brought it. The version is only what the release number
// implies; the probe decides, because distributions backport.
type kernelCall struct {
	name         string
	major, minor int
	// fatal: without it no launch works. Otherwise what needs it is
	// named in why.
	fatal bool
	why   string
}

var kernelCalls = []kernelCall{
	{"openat2", 5, 6, true, "every mount target is resolved with openat2(RESOLVE_IN_ROOT)"},
	{"mount_setattr", 5, 12, true, "read-only and nosuid mounts are set with mount_setattr"},
	{"pidfd_open", 5, 3, false, "sandbox enter and passing descriptors from host processes use pidfds"},
}

func kernelFindings(h doctorHost) []doctorFinding {
	rel := h.KernelRelease()
	major, minor, parsed := kernelVersion(rel)
	var fs []doctorFinding
	newest := kernelCalls[0]
	for _, c := range kernelCalls {
		if c.major > newest.major || (c.major == newest.major && c.minor > newest.minor) {
			newest = c
		}
	}
	switch {
	case !parsed:
		fs = append(fs, findWarn("kernel", "", "cannot read the kernel version from %q; the probes below decide", rel))
	case before(major, minor, newest.major, newest.minor):
		fs = append(fs, findWarn("kernel", fmt.Sprintf("run Linux %d.%d or newer", newest.major, newest.minor),
			"Linux %s is older than %d.%d (%s); the probes below say what it lacks", rel, newest.major, newest.minor, newest.name))
	default:
		fs = append(fs, findOK("kernel", "Linux %s: by its version it has %s", rel, callList()))
	}
	for _, c := range kernelCalls {
		err := h.Syscall(c.name)
		switch {
		case err == nil:
			fs = append(fs, findOK(c.name, "%s works (since Linux %d.%d)", c.name, c.major, c.minor))
		case errors.Is(err, unix.ENOSYS) && c.fatal:
			fs = append(fs, findFail(c.name, fmt.Sprintf("run Linux %d.%d or newer", c.major, c.minor),
				"this kernel has no %s (Linux %d.%d): %s", c.name, c.major, c.minor, c.why))
		case errors.Is(err, unix.ENOSYS):
			fs = append(fs, findWarn(c.name, fmt.Sprintf("run Linux %d.%d or newer", c.major, c.minor),
				"this kernel has no %s (Linux %d.%d): %s", c.name, c.major, c.minor, c.why))
		default:
			// Refused rather than missing: a container's filter, say.
			fs = append(fs, findWarn(c.name, "run sandbox outside the container or policy that refuses it",
				"%s was refused: %v; %s", c.name, err, c.why))
		}
	}
	return fs
}

func callList() string {
	var parts []string
	for _, c := range kernelCalls {
		parts = append(parts, fmt.Sprintf("%s (%d.%d)", c.name, c.major, c.minor))
	}
	return strings.Join(parts, ", ")
}

func before(major, minor, wantMajor, wantMinor int) bool {
	return major < wantMajor || (major == wantMajor && minor < wantMinor)
}

// kernelVersion reads "6.1.0-28-amd64" as 6, 1.
func kernelVersion(release string) (major, minor int, ok bool) {
	f := strings.FieldsFunc(release, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(f[0])
	minor, err2 := strconv.Atoi(f[1])
	return major, minor, err1 == nil && err2 == nil && strings.HasPrefix(release, f[0]+".")
}

// landlockFeatures are the ABI versions of what the compiler uses.
var landlockFeatures = []struct {
	abi  int
	what string
}{
	{2, "renaming and linking between directories (REFER)"},
	{3, "truncate rules"},
	{4, "TCP port rules (network.connect_ports, network.bind_ports)"},
	{5, "device ioctl rules"},
	{6, "signal and abstract unix socket scoping"},
}

// landlockFinding reports the Landlock ABI with what it lacks. Without
// Landlock a launch still runs (the mount view is the first wall); a
// profile with landlock.require fails, which `check` and a launch say.
func landlockFinding(h doctorHost) doctorFinding {
	abi := h.LandlockABI()
	if abi <= 0 {
		return findWarn("landlock",
			"boot a kernel built with CONFIG_SECURITY_LANDLOCK=y with landlock in its lsm= list (for example lsm=landlock,lockdown,yama,apparmor,bpf on the kernel command line)",
			"Landlock ABI 0: this kernel has no Landlock, so sandboxes run without its file rules and profiles with landlock.require fail")
	}
	var missing []string
	for _, f := range landlockFeatures {
		if abi < f.abi {
			missing = append(missing, fmt.Sprintf("%s (ABI %d)", f.what, f.abi))
		}
	}
	if len(missing) == 0 {
		return findOK("landlock", "Landlock ABI %d", abi)
	}
	return findOK("landlock", "Landlock ABI %d; without %s", abi, strings.Join(missing, ", "))
}

// seccompFinding: every profile's filter needs seccomp with filters.
func seccompFinding(h doctorHost) doctorFinding {
	if err := h.Seccomp(); err != nil {
		return findFail("seccomp", "use a kernel built with CONFIG_SECCOMP_FILTER=y",
			"seccomp filters are not available (%v): no profile's filter can be installed", err)
	}
	return findOK("seccomp", "seccomp filters are available")
}
