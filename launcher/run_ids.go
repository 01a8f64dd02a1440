package launcher

/*
#include "child.h"
#include "idmap.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"sandbox/plan"
)

// runIDMode is who writes the new user namespace's id maps.
type runIDMode int

const (
	// idsNone: no user namespace, or one without maps.
	idsNone runIDMode = iota
	// idsSelf: the child maps its own single uid and gid; the kernel
	// allows that to the namespace's owner once setgroups is denied,
	// and it costs no round trip.
	idsSelf
	// idsParent: the launcher writes /proc/PID/{uid,gid}_map while the
	// child waits: several ids, or ids other than the launcher's own,
	// which only a launcher with CAP_SETUID and CAP_SETGID on the host
	// may map.
	idsParent
	// idsHelper: newuidmap and newgidmap (setuid root) write the ranges
	// /etc/subuid and /etc/subgid grant an unprivileged caller.
	idsHelper
)

// runIDModeFor decides who writes p's maps.
func runIDModeFor(p *plan.Plan) runIDMode {
	m := p.IDs
	if m == nil || p.CloneFlags&syscall.CLONE_NEWUSER == 0 {
		return idsNone
	}
	if m.Helper {
		return idsHelper
	}
	one := func(r []plan.IDRange, own int) bool {
		return len(r) == 1 && r[0].Count == 1 && int64(r[0].Outside) == int64(own)
	}
	if m.DenySetgroups && one(m.UIDMap, os.Geteuid()) && one(m.GIDMap, os.Getegid()) {
		return idsSelf
	}
	return idsParent
}

// runBecome is the id the child takes inside once the launcher wrote a
// map: the one the launcher's own id maps to, else 0 when mapped, else the
// first id of the map.
func runBecome(r []plan.IDRange, own int) int64 {
	for _, x := range r {
		if int64(own) >= int64(x.Outside) && int64(own) < int64(x.Outside)+int64(x.Count) {
			return int64(x.Inside) + int64(own) - int64(x.Outside)
		}
	}
	for _, x := range r {
		if x.Inside == 0 {
			return 0
		}
	}
	if len(r) == 0 {
		return -1
	}
	return int64(r[0].Inside)
}

// runMapText is a map in the kernel's format: one "inside outside count"
// line per range.
func runMapText(r []plan.IDRange) string {
	var b strings.Builder
	for _, x := range r {
		fmt.Fprintf(&b, "%d %d %d\n", x.Inside, x.Outside, x.Count)
	}
	return b.String()
}

// runMapIDs writes the maps of the child pid from the launcher's side:
// through newuidmap and newgidmap, or, as the fast path does, with
// sbx_write_plan_maps from the flat plan cp (idmap.c).
func runMapIDs(abort context.Context, pid int, p *plan.Plan, cp *childPlan, mode runIDMode) error {
	m := p.IDs
	fail := func(what string, err error) error {
		e := &SetupError{Step: -1, Kind: "id-map", Path: what, Origin: m.At, Msg: "write"}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			e.Errno = errno
		} else {
			e.Msg = err.Error()
		}
		if e.Errno == syscall.EPERM {
			e.Hint = runUsernsBlock()
			if e.Hint == "" && mode == idsParent {
				e.Hint = "only a launcher running as root may map ids other than its own; use identity.subids = true for the ranges /etc/subuid grants you"
			}
		}
		return e
	}
	if mode == idsHelper {
		// Before any gid map: the kernel takes "deny" only while
		// gid_map is unwritten, and newgidmap never writes "allow"
		// over it. The launcher owns the new namespace, so it may.
		if m.DenySetgroups {
			if r, errno := C.sbx_deny_setgroups(C.int(pid)); r != 0 {
				if errno == nil {
					errno = syscall.EIO
				}
				return fail("setgroups", errno)
			}
		}
		if err := runHelper(abort, "newuidmap", pid, m.UIDMap); err != nil {
			return fail("uid_map", err)
		}
		if err := runHelper(abort, "newgidmap", pid, m.GIDMap); err != nil {
			return fail("gid_map", err)
		}
		return nil
	}
	if what, err := cp.writeMaps(pid); err != nil {
		return fail(what, err)
	}
	return nil
}

// writeMaps writes the maps the plan leaves to the launcher for the child
// pid; on failure it names the file.
func (cp *childPlan) writeMaps(pid int) (string, error) {
	if cp.c.parent_maps == 0 {
		return "uid_map", errors.New("the plan holds no maps for the launcher to write")
	}
	var failed *C.char
	r, errno := C.sbx_write_plan_maps(cp.c, C.int(pid), &failed)
	if r == 0 {
		return "", nil
	}
	what := "uid_map"
	if failed != nil {
		what = C.GoString(failed)
	}
	if errno == nil {
		errno = syscall.EIO
	}
	return what, errno
}

// runHelper runs newuidmap or newgidmap PID inside outside count ...; a
// signal that stops the setup (abort) kills it.
func runHelper(abort context.Context, name string, pid int, r []plan.IDRange) error {
	path, err := exec.LookPath(name)
	if err != nil {
		path = "/usr/bin/" + name
		if _, serr := os.Stat(path); serr != nil {
			return fmt.Errorf("%s is not installed (it comes with the uidmap or shadow-utils package): %w", name, err)
		}
	}
	args := []string{strconv.Itoa(pid)}
	for _, x := range r {
		args = append(args, strconv.FormatUint(uint64(x.Inside), 10),
			strconv.FormatUint(uint64(x.Outside), 10), strconv.FormatUint(uint64(x.Count), 10))
	}
	out, err := exec.CommandContext(abort, path, args...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s %s: %s", name, strings.Join(args, " "), msg)
	}
	return nil
}
