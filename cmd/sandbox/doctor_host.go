package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sandbox/hostview"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// doctorHost is everything the doctor's checks read from the machine.
// The command fills it from the real host; tests fake each part: a
// directory standing for the root of the file system, and functions for
// what only the kernel can answer.
type doctorHost struct {
	// Root prefixes every host file the checks read (/proc/sys, /etc,
	// sockets, directories); "" is the real root.
	Root string
	// UID and GID are the caller's real ids, EUID its effective uid.
	UID, GID, EUID uint32
	User           string
	Env            map[string]string
	// LookPath finds a helper program on $PATH.
	LookPath func(string) (string, error)
	// Executable is the path of this binary, links resolved.
	Executable func() (string, error)
	// KernelRelease is uname -r.
	KernelRelease func() string
	// Syscall probes a system call by name (mount_setattr, openat2,
	// pidfd_open): nil when the kernel has it, ENOSYS when it does not.
	Syscall func(name string) error
	// LandlockABI is the kernel's Landlock ABI, 0 without Landlock.
	LandlockABI func() int
	// Seccomp says whether seccomp filters can be installed.
	Seccomp func() error
	// UserNS creates a user and a mount namespace as the caller, the
	// way a launch does; UserNSAs does it as another (unprivileged) id,
	// which only root can ask.
	UserNS   func() error
	UserNSAs func(uid, gid uint32) error
	// FileCaps says whether a file carries file capabilities.
	FileCaps func(path string) bool
}

// path is where a host path is read.
func (h doctorHost) path(p string) string {
	if h.Root == "" {
		return p
	}
	return filepath.Join(h.Root, p)
}

func (h doctorHost) root() bool { return h.EUID == 0 }

// sysctl reads /proc/sys/A/B for "a.b"; ok is false when the file is
// missing (the kernel has no such setting).
func (h doctorHost) sysctl(name string) (value string, ok bool) {
	b, err := os.ReadFile(h.path("/proc/sys/" + strings.ReplaceAll(name, ".", "/")))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

func realDoctorHost() doctorHost {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	uid := uint32(os.Getuid())
	name := env["USER"]
	if uid == 0 {
		name = "root" // $USER names the sudo caller under sudo -E
	} else if u, _, ok := lookupUser(uid, nil); ok {
		name = u
	}
	if name == "" {
		name = strconv.Itoa(int(uid))
	}
	return doctorHost{
		UID: uid, GID: uint32(os.Getgid()), EUID: uint32(os.Geteuid()),
		User: name, Env: env,
		LookPath: exec.LookPath,
		Executable: func() (string, error) {
			exe, err := os.Executable()
			if err != nil {
				return "", err
			}
			return filepath.EvalSymlinks(exe)
		},
		KernelRelease: func() string {
			var u unix.Utsname
			if unix.Uname(&u) != nil {
				return ""
			}
			return unix.ByteSliceToString(u.Release[:])
		},
		Syscall:     probeSyscall,
		LandlockABI: hostview.KernelLandlockABI,
		Seccomp:     probeSeccomp,
		UserNS:      probeUserns,
		UserNSAs:    probeUsernsAs,
		FileCaps: func(path string) bool {
			n, err := unix.Getxattr(path, "security.capability", nil)
			return err == nil && n > 0
		},
	}
}

// probeSyscall calls name with arguments it must refuse (or, for the
// cheap ones, really runs it), to tell a kernel without the call (ENOSYS)
// from one that has it.
func probeSyscall(name string) error {
	var err error
	switch name {
	case "openat2":
		var fd int
		fd, err = unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
		if err == nil {
			unix.Close(fd)
		}
	case "mount_setattr":
		// A closed descriptor: the call fails where it exists (EBADF,
		// or EPERM for a caller without CAP_SYS_ADMIN), and only a
		// kernel without it says ENOSYS.
		err = unix.MountSetattr(-1, "", unix.AT_EMPTY_PATH, &unix.MountAttr{})
		if !errors.Is(err, unix.ENOSYS) {
			err = nil
		}
	case "pidfd_open":
		var fd int
		fd, err = unix.PidfdOpen(os.Getpid(), 0)
		if err == nil {
			unix.Close(fd)
		}
	default:
		err = unix.ENOSYS
	}
	return err
}

// probeSeccomp asks whether the kernel can install a filter whose action
// is an errno, which every profile's filter uses.
func probeSeccomp() error {
	action := uint32(unix.SECCOMP_RET_ERRNO)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	if errno != 0 {
		return errno
	}
	return nil
}
