package launcher

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"sandbox/internal/instance"
	"sandbox/plan"
)

// enterPayload is what `sandbox enter` takes from the running payload
// itself rather than from the profile: its ids (the profile's are
// resolved at launch, against the launcher's ids), and the ceiling the
// entered process must stay under (its capabilities, no_new_privs and
// seccomp mode).
type enterPayload struct {
	pid       int
	uid, gid  uint32   // as the payload's user namespace sees them
	groups    []uint32 // host ids, as this process's namespace sees them
	capBnd    uint64
	noNewPriv bool
	seccomp   int
	// nsFlags are the namespaces the payload does not share with this
	// process: the ones the sandbox made, which the entered process joins.
	nsFlags uintptr
}

// enterNamespaces are the namespaces enter may join, with their
// /proc/PID/ns names.
var enterNamespaces = []struct {
	name string
	flag uintptr
}{
	{"user", syscall.CLONE_NEWUSER}, {"mnt", syscall.CLONE_NEWNS}, {"pid", syscall.CLONE_NEWPID},
	{"net", syscall.CLONE_NEWNET}, {"uts", syscall.CLONE_NEWUTS}, {"ipc", syscall.CLONE_NEWIPC},
	{"cgroup", syscall.CLONE_NEWCGROUP}, {"time", 0x80 /* CLONE_NEWTIME */},
}

// readEnterPayload reads pid's status, id maps and namespaces. The
// caller holds a pidfd of pid and checks its start time afterwards, so
// that what was read is the pinned process's.
func readEnterPayload(pid int) (enterPayload, error) {
	e := enterPayload{pid: pid}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return e, fmt.Errorf("enter: the payload (pid %d): %w: %w", pid, ErrGone, err)
	}
	var hostUID, hostGID uint32
	var seen int
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		switch k {
		case "Uid", "Gid":
			if len(f) < 2 {
				continue
			}
			// The effective id: the one the payload acts as.
			n, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				continue
			}
			if k == "Uid" {
				hostUID = uint32(n)
			} else {
				hostGID = uint32(n)
			}
			seen++
		case "Groups":
			for _, g := range f {
				if n, err := strconv.ParseUint(g, 10, 32); err == nil {
					e.groups = append(e.groups, uint32(n))
				}
			}
		case "CapBnd":
			if len(f) > 0 {
				e.capBnd, _ = strconv.ParseUint(f[0], 16, 64)
				seen++
			}
		case "NoNewPrivs":
			e.noNewPriv = len(f) > 0 && f[0] == "1"
		case "Seccomp":
			if len(f) > 0 {
				e.seccomp, _ = strconv.Atoi(f[0])
			}
		}
	}
	if seen < 3 {
		return e, fmt.Errorf("enter: cannot read the ids of the payload (pid %d) from /proc/%d/status", pid, pid)
	}
	if e.uid, err = enterInsideID(pid, "uid_map", hostUID); err != nil {
		return e, err
	}
	if e.gid, err = enterInsideID(pid, "gid_map", hostGID); err != nil {
		return e, err
	}
	for _, ns := range enterNamespaces {
		var mine, theirs syscall.Stat_t
		if err := syscall.Stat("/proc/self/ns/"+ns.name, &mine); err != nil {
			continue // a namespace this kernel lacks
		}
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, ns.name), &theirs); err != nil {
			return e, fmt.Errorf("enter: the payload's %s namespace: %w", ns.name, err)
		}
		if mine.Dev != theirs.Dev || mine.Ino != theirs.Ino {
			e.nsFlags |= ns.flag
		}
	}
	return e, nil
}

// enterInsideID turns a host id of pid's into the id its user namespace
// sees: the map file names, seen from outside, the host ids.
func enterInsideID(pid int, file string, host uint32) (uint32, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		return 0, fmt.Errorf("enter: the payload's %s: %w", file, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		in, e1 := strconv.ParseUint(f[0], 10, 32)
		out, e2 := strconv.ParseUint(f[1], 10, 32)
		n, e3 := strconv.ParseUint(f[2], 10, 64)
		if e1 != nil || e2 != nil || e3 != nil {
			continue
		}
		if uint64(host) >= out && uint64(host)-out < n {
			return uint32(in + uint64(host) - out), nil
		}
	}
	return 0, fmt.Errorf("enter: the payload's id %d is not in its %s", host, file)
}

// enterPayloadPID is the payload of the sandbox whose first process is
// pid: the init's first child, or pid itself without an init.
func enterPayloadPID(pid int, init bool) (int, error) {
	if !init {
		return pid, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0, fmt.Errorf("enter: the sandbox's payload: %w: %w", ErrGone, err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("enter: the sandbox's payload has ended: %w", ErrGone)
	}
	kid, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, fmt.Errorf("enter: /proc/%d/task/%d/children: %w", pid, pid, err)
	}
	return kid, nil
}

// enterCheckCeiling refuses a plan that would give the entered process
// more than the payload has: the profile may have changed since the
// sandbox started, and enter compiles it again.
func enterCheckCeiling(p *plan.Plan, e enterPayload) error {
	changed := "the profile no longer matches the running sandbox (was it changed since the sandbox started?)"
	nnp, filter := false, false
	for _, s := range p.Steps {
		switch st := s.(type) {
		case plan.Capabilities:
			for _, c := range st.Keep {
				if c >= 64 || e.capBnd&(1<<c) == 0 {
					return fmt.Errorf("enter: %s: it keeps capability %d, which the payload's bounding set lacks", changed, c)
				}
			}
		case plan.NoNewPrivs:
			nnp = true
		case plan.Seccomp:
			filter = true
		}
	}
	if e.noNewPriv && !nnp {
		return fmt.Errorf("enter: %s: the payload has no_new_privs and the profile does not set it", changed)
	}
	if e.seccomp == 2 && !filter {
		return fmt.Errorf("enter: %s: the payload is under a seccomp filter and the profile loads none", changed)
	}
	return nil
}

// enterStartOf is pid's start time; ok is false when it is gone.
func enterStartOf(pid int) (uint64, bool) { return instance.StartTime(pid) }

// enterCheckStart is whether pid is still the process with start time
// start.
func enterCheckStart(pid int, start uint64) bool {
	st, ok := instance.StartTime(pid)
	return ok && st == start
}
