package launcher

/*
#include "pass_fds.h"
*/
import "C"

import (
	"fmt"
	"sandbox/plan"
	"strconv"
	"syscall"
)

// passFDWhy is why a kind pass_fds.c refuses is no descriptor to hand a
// payload (D4), or "" for a kind it does not refuse.
func passFDWhy(kind C.int) string {
	switch kind {
	case C.SBX_FD_DIRECTORY:
		return "a directory, a way out of the sandbox's mount view: paths resolved from it " +
			"(/proc/self/fd/N/.., openat) walk the host's tree"
	case C.SBX_FD_OPATH:
		return "an O_PATH descriptor, a way out of the sandbox's mount view: paths resolved from it " +
			"walk the host's tree, and /proc/self/fd/N reopens its file with any access the file allows"
	case C.SBX_FD_PIDFD:
		return "a pidfd, through which pidfd_getfd copies descriptors out of a host process"
	case C.SBX_FD_NAMESPACE:
		return "a namespace descriptor, a handle on one of the host's namespaces"
	case C.SBX_FD_UNKNOWN:
		return "a descriptor whose kind cannot be told"
	}
	return ""
}

// fdRefused says why fd must not reach the payload, or "".
func fdRefused(fd int) string {
	return passFDWhy(C.sbx_fd_refused(C.int(fd)))
}

// checkPassFDs checks that every fd the plan passes is one of the caller's,
// then that each is of a kind a payload may hold.
func checkPassFDs(p *plan.Plan, open func(int) bool) error {
	for _, fd := range p.PassFDs {
		if fd < 3 || !open(fd) {
			return &SetupError{Step: -1, Kind: "pass-fds", Errno: syscall.EBADF, Origin: p.PassFDsAt[fd],
				Msg:  fmt.Sprintf("fd %d is not open in the launcher", fd),
				Hint: "an fd in process.pass_fds must be open when sandbox starts; open it in the calling shell (3</path)"}
		}
	}
	for _, fd := range p.PassFDs {
		if why := fdRefused(fd); why != "" {
			return &SetupError{Step: -1, Kind: "pass-fds", Origin: p.PassFDsAt[fd],
				Msg: fmt.Sprintf("fd %d is %s", fd, why),
				Hint: "pass a pipe, a socket or a file opened without O_PATH; bind a directory with a [[mount]] entry instead, and drop " +
					strconv.Itoa(fd) + " from process.pass_fds"}
		}
	}
	return nil
}

// checkStdio refuses standard files the payload must not hold: they are
// passed whatever the profile says, and `sandbox ... </` would otherwise
// hand over the host's root directory.
func checkStdio(stdio [3]int) error {
	names := [3]string{"standard input", "standard output", "standard error"}
	for i, fd := range stdio {
		if why := fdRefused(fd); why != "" {
			return &SetupError{Step: -1, Kind: "stdio", Msg: fmt.Sprintf("%s (fd %d) is %s", names[i], fd, why),
				Hint: "redirect it from a file, a pipe or /dev/null"}
		}
	}
	return nil
}

// CheckInheritedFDs checks that every fd the plan passes was open when the
// process started (InheritedFD), not one the launcher or the Go runtime
// opened since, and that it and the standard files 0-2 are of a kind the
// payload may hold: a command-line launcher calls it before Run (and
// before it stores the plan). Where the start could not be recorded, the
// fds open now are taken.
func CheckInheritedFDs(p *plan.Plan) error {
	err := checkPassFDs(p, func(fd int) bool {
		if open, known := InheritedFD(fd); known {
			return open
		}
		_, err := runFcntl(fd, syscall.F_GETFD)
		return err == nil
	})
	if err != nil {
		return err
	}
	return checkStdio([3]int{0, 1, 2})
}
