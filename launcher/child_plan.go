package launcher

// The plan in C memory: the flat layout of child.h, filled from the Go
// plan, checked on the way for what the child could not handle.

/*
#include <stdlib.h>
#include "child.h"
*/
import "C"

import (
	"fmt"
	"os"
	"sandbox/plan"
	"strings"
	"syscall"
	"unsafe"
)

// cloneNamespaceFlags are the only clone flags a plan may ask for; any
// other bit (CLONE_VM, CLONE_FILES...) would break the child's isolation
// from the launcher.
const cloneNamespaceFlags = syscall.CLONE_NEWNS | syscall.CLONE_NEWCGROUP | syscall.CLONE_NEWUTS |
	syscall.CLONE_NEWIPC | syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET

// childArena is the C memory of one flat plan: a few calloc'd blocks, freed
// together once the child has its copy.
type childArena struct {
	blocks []unsafe.Pointer
	sizes  []uintptr
	cur    unsafe.Pointer
	off    uintptr
	size   uintptr
	// first is the size of the first block when larger than the
	// default: the plan cache wants a plan in one block.
	first uintptr
}

const childArenaBlock = 32 << 10

func (a *childArena) alloc(n, align uintptr) unsafe.Pointer {
	if n == 0 {
		n = 1
	}
	off := (a.off + align - 1) &^ (align - 1)
	if a.cur == nil || off+n > a.size {
		size := uintptr(childArenaBlock)
		if a.cur == nil && a.first > size {
			size = a.first
		}
		if n > size {
			size = n
		}
		p := C.calloc(1, C.size_t(size))
		if p == nil {
			panic("sandbox: out of memory for the plan")
		}
		a.blocks = append(a.blocks, p)
		a.sizes = append(a.sizes, size)
		a.cur, a.size, off = p, size, 0
	}
	a.off = off + n
	return unsafe.Add(a.cur, off)
}

// str copies s as a NUL-terminated C string (the block is zeroed).
func (a *childArena) str(s string) *C.char {
	p := a.alloc(uintptr(len(s))+1, 1)
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*C.char)(p)
}

// strv copies ss as a NULL-terminated array of C strings.
func (a *childArena) strv(ss []string) **C.char {
	v := unsafe.Slice((**C.char)(a.alloc(uintptr(len(ss)+1)*unsafe.Sizeof((*C.char)(nil)), 8)), len(ss)+1)
	for i, s := range ss {
		v[i] = a.str(s)
	}
	return &v[0]
}

func (a *childArena) bytes(b []byte) *C.uchar {
	p := a.alloc(uintptr(len(b)), 8)
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	return (*C.uchar)(p)
}

func (a *childArena) u32s(v []uint32) *C.uint32_t {
	p := a.alloc(uintptr(len(v))*4, 4)
	copy(unsafe.Slice((*uint32)(p), len(v)), v)
	return (*C.uint32_t)(p)
}

func (a *childArena) free() {
	for _, b := range a.blocks {
		C.free(b)
	}
	a.blocks, a.sizes, a.cur = nil, nil, nil
}

// childStepError is an invalid step, found before anything was started.
func childStepError(i int, s plan.Step, path, format string, args ...any) *SetupError {
	return &SetupError{Step: i, Kind: s.Kind(), Path: path, Origin: s.Origin(), Errno: syscall.EINVAL,
		Msg: fmt.Sprintf(format, args...)}
}

// childCheckStrings rejects strings the child would cut short at a NUL
// byte (B8), and relative paths where the child needs absolute ones.
func childCheckStrings(i int, s plan.Step, abs []string, other ...string) error {
	for _, p := range abs {
		if !strings.HasPrefix(p, "/") {
			return childStepError(i, s, p, "path is not absolute")
		}
	}
	for _, v := range append(abs, other...) {
		if strings.IndexByte(v, 0) >= 0 {
			return childStepError(i, s, "", "a path or name contains a NUL byte")
		}
	}
	return nil
}

// fill converts one step into its C form.
func (cp *childPlan) fill(i int, st plan.Step, c *C.struct_sbx_step) error {
	a := &cp.arena
	var err error
	flag := func(b bool, f C.uint32_t) {
		if b {
			c.flags |= f
		}
	}
	switch s := st.(type) {
	case plan.MakePrivate:
		c.kind = C.SBX_MAKE_PRIVATE
	case plan.NewRoot:
		c.kind = C.SBX_NEW_ROOT
	case plan.BindMount:
		c.kind = C.SBX_BIND
		err = childCheckStrings(i, st, []string{s.Source, s.Target})
		c.path, c.src = a.str(s.Target), a.str(s.Source)
		flag(s.ReadOnly, C.SBX_F_READONLY)
		flag(s.Devices, C.SBX_F_DEVICES)
		flag(s.Optional, C.SBX_F_OPTIONAL)
	case plan.Tmpfs:
		c.kind = C.SBX_TMPFS
		err = childCheckStrings(i, st, []string{s.Target})
		c.path, c.num1, c.mode = a.str(s.Target), C.uint64_t(s.Size), C.uint32_t(s.Mode)
	case plan.Proc:
		c.kind = C.SBX_PROC
		err = childCheckStrings(i, st, []string{s.Target})
		c.path = a.str(s.Target)
	case plan.Dev:
		c.kind = C.SBX_DEV
		err = childCheckStrings(i, st, []string{s.Target})
		c.path = a.str(s.Target)
	case plan.Mqueue:
		c.kind = C.SBX_MQUEUE
		err = childCheckStrings(i, st, []string{s.Target})
		c.path = a.str(s.Target)
	case plan.Overlay:
		c.kind = C.SBX_OVERLAY
		paths := append([]string{s.Target}, s.Lower...)
		if s.Upper != "" {
			paths = append(paths, s.Upper, s.Work)
		}
		err = childCheckStrings(i, st, paths)
		if err == nil && len(s.Lower) == 0 {
			err = childStepError(i, st, s.Target, "overlay without lower dirs")
		}
		c.path, c.strv, c.num1 = a.str(s.Target), a.strv(s.Lower), C.uint64_t(s.Size)
		if s.Upper != "" {
			c.src, c.aux = a.str(s.Upper), a.str(s.Work)
		}
	case plan.Symlink:
		c.kind = C.SBX_SYMLINK
		err = childCheckStrings(i, st, []string{s.Target}, s.LinkTo)
		c.path, c.src = a.str(s.Target), a.str(s.LinkTo)
	case plan.Dir:
		c.kind = C.SBX_DIR
		err = childCheckStrings(i, st, []string{s.Target})
		c.path, c.mode = a.str(s.Target), C.uint32_t(s.Mode)
	case plan.File:
		c.kind = C.SBX_FILE
		abs := []string{s.Target}
		if s.CopyFrom != "" {
			abs = append(abs, s.CopyFrom)
			c.src = a.str(s.CopyFrom)
		}
		err = childCheckStrings(i, st, abs)
		c.path, c.mode = a.str(s.Target), C.uint32_t(s.Mode)
		c.data, c.data_len = a.bytes(s.Content), C.uint64_t(len(s.Content))
		flag(s.Optional, C.SBX_F_OPTIONAL)
	case plan.RemountReadOnly:
		c.kind = C.SBX_REMOUNT_RO
		err = childCheckStrings(i, st, []string{s.Target})
		c.path = a.str(s.Target)
	case plan.Protect:
		// The flat plan has no kind of its own for it: a flag on
		// remount-ro, which the cached plan's format already knows.
		c.kind = C.SBX_REMOUNT_RO
		err = childCheckStrings(i, st, []string{s.Root}, s.Rel)
		if err == nil && (strings.HasPrefix(s.Rel, "/") || strings.Contains("/"+s.Rel+"/", "/../")) {
			err = childStepError(i, st, s.Target, "the protected path is not below %s", s.Root)
		}
		c.path, c.src = a.str(s.Root), a.str(s.Rel)
		c.flags |= C.SBX_F_PROTECT
		flag(s.ReadOnly, C.SBX_F_READONLY)
	case plan.PivotRoot:
		c.kind = C.SBX_PIVOT_ROOT
	case plan.LockMounts:
		c.kind = C.SBX_LOCK_MOUNTS
		c.uid, c.gid = C.uint32_t(s.UID), C.uint32_t(s.GID)
	case plan.LoopbackUp:
		c.kind = C.SBX_LOOPBACK_UP
	case plan.Hostname:
		c.kind = C.SBX_HOSTNAME
		err = childCheckStrings(i, st, nil, s.Name)
		c.path = a.str(s.Name)
	case plan.Domainname:
		c.kind = C.SBX_DOMAINNAME
		err = childCheckStrings(i, st, nil, s.Name)
		c.path = a.str(s.Name)
	case plan.Chdir:
		c.kind = C.SBX_CHDIR
		abs := []string{s.Dir}
		if s.Fallback != "" {
			abs = append(abs, s.Fallback)
		}
		err = childCheckStrings(i, st, abs)
		c.path, c.src = a.str(s.Dir), a.str(s.Fallback)
	case plan.Rlimit:
		c.kind = C.SBX_RLIMIT
		c.path, c.resource = a.str(s.Name), C.int32_t(s.Resource)
		c.num1, c.num2 = C.uint64_t(s.Soft), C.uint64_t(s.Hard)
	case plan.SetIDs:
		c.kind = C.SBX_SET_IDS
		c.uid, c.gid = C.uint32_t(s.UID), C.uint32_t(s.GID)
		c.ids, c.nids = a.u32s(s.Groups), C.uint32_t(len(s.Groups))
		flag(s.KeepGroups, C.SBX_F_KEEP_GROUPS)
	case plan.Capabilities:
		c.kind = C.SBX_CAPS
		keep := make([]uint32, len(s.Keep))
		for j, k := range s.Keep {
			if k > 63 {
				return childStepError(i, st, "", "capability number %d is out of range", k)
			}
			keep[j] = uint32(k)
		}
		c.ids, c.nids = a.u32s(keep), C.uint32_t(len(keep))
		flag(s.Ambient, C.SBX_F_AMBIENT)
	case plan.NoNewPrivs:
		c.kind = C.SBX_NO_NEW_PRIVS
	case plan.NewSession:
		c.kind = C.SBX_NEW_SESSION
	case plan.Seccomp:
		c.kind = C.SBX_SECCOMP
		if len(s.Program)%8 != 0 {
			return childStepError(i, st, "", "seccomp program of %d bytes is not whole instructions", len(s.Program))
		}
		c.data, c.data_len = a.bytes(s.Program), C.uint64_t(len(s.Program))
	case plan.UserNamespaceLimit:
		c.kind = C.SBX_USERNS_LIMIT
		if s.Max < 0 {
			return childStepError(i, st, "", "a negative user namespace limit")
		}
		c.num1 = C.uint64_t(s.Max)
		flag(s.Optional, C.SBX_F_OPTIONAL)
	case plan.Landlock:
		c.kind = C.SBX_LANDLOCK
		err = cp.fillLandlock(i, s, c)
	case plan.Exec:
		c.kind = C.SBX_EXEC
		if len(s.Argv) == 0 || s.Argv[0] == "" {
			return childStepError(i, st, "", "no command to run")
		}
		err = childCheckStrings(i, st, nil, append([]string{s.Path}, s.Argv...)...)
		c.strv, c.src = a.strv(s.Argv), a.str(s.Path)
	default:
		return childStepError(i, st, "", "the launcher cannot run a %T step", st)
	}
	return err
}

// childSetup is what Run decided besides the plan itself.
type childSetup struct {
	stdio     [3]int
	ids       runIDMode
	waitMaps  bool
	hold      bool // wait for the release even without maps to write
	lastCap   int
	argvStart uintptr
	argvLen   uintptr
}

// newChildPlan lays p out in C memory. Pipes are filled in later.
func newChildPlan(p *plan.Plan, set childSetup) (*childPlan, error) {
	return buildChildPlan(p, set, 0)
}

// buildChildPlan lays p out with a first block of at least first bytes.
func buildChildPlan(p *plan.Plan, set childSetup, first uintptr) (*childPlan, error) {
	if p.CloneFlags&^cloneNamespaceFlags != 0 {
		return nil, &SetupError{Step: -1, Kind: "clone", Errno: syscall.EINVAL,
			Msg: fmt.Sprintf("clone flags %#x include more than namespaces", p.CloneFlags)}
	}
	for _, e := range p.Env {
		if strings.IndexByte(e, 0) >= 0 {
			return nil, &SetupError{Step: -1, Kind: "environment", Errno: syscall.EINVAL, Msg: "a variable contains a NUL byte"}
		}
	}
	cp := &childPlan{arena: childArena{first: first}}
	a := &cp.arena
	cp.c = (*C.struct_sbx_plan)(a.alloc(C.sizeof_struct_sbx_plan, 8))
	c := cp.c
	c.clone_flags = C.ulong(p.CloneFlags)
	c.nsteps = C.int32_t(len(p.Steps))
	init := false
	if len(p.Steps) > 0 {
		steps := unsafe.Slice((*C.struct_sbx_step)(a.alloc(uintptr(len(p.Steps))*C.sizeof_struct_sbx_step, 8)), len(p.Steps))
		for i, st := range p.Steps {
			if err := cp.fill(i, st, &steps[i]); err != nil {
				cp.free()
				return nil, err
			}
			if e, ok := st.(plan.Exec); ok && e.Init {
				init = true
			}
		}
		c.steps = &steps[0]
	}
	c.envp = (**C.char)(unsafe.Pointer(a.strv(p.Env)))
	for i, fd := range set.stdio {
		c.stdio[i] = C.int32_t(fd)
	}
	c.err_fd, c.sync_fd = -1, -1
	c.parent_fds[0], c.parent_fds[1] = -1, -1
	c.fg_tty, c.job_fd, c.job_peer_fd = -1, -1, -1
	c.egress_fd, c.egress_peer_fd, c.egress_port = -1, -1, 0
	c.die_with_parent = childBool(p.DieWithParent)
	c.new_session = childBool(p.InNewSession())
	c.init = childBool(init)
	c.time_ns = childBool(p.TimeNamespace)
	c.cap_last_cap = C.int32_t(set.lastCap)
	c.wait_release = childBool(set.waitMaps || set.hold)
	c.wait_network = childBool(p.NAT != nil)
	if len(p.PassFDs) > 0 {
		fds := make([]uint32, len(p.PassFDs))
		for i, fd := range p.PassFDs {
			fds[i] = uint32(fd)
		}
		c.pass_fds = (*C.int32_t)(unsafe.Pointer(a.u32s(fds)))
		c.npass = C.int32_t(len(fds))
	}
	if set.ids == idsSelf || set.ids == idsParent {
		// The maps in the kernel's format, for whichever side
		// writes them (idmap.c).
		c.write_maps = childBool(set.ids == idsSelf)
		c.parent_maps = childBool(set.ids == idsParent)
		c.deny_setgroups = childBool(p.IDs.DenySetgroups)
		c.uid_map = a.str(runMapText(p.IDs.UIDMap))
		c.gid_map = a.str(runMapText(p.IDs.GIDMap))
	}
	c.become_uid, c.become_gid = -1, -1
	if set.waitMaps {
		// With setgroups denied, sbx_become keeps the groups.
		c.deny_setgroups = childBool(p.IDs.DenySetgroups)
		c.become_uid = C.int64_t(runBecome(p.IDs.UIDMap, os.Geteuid()))
		c.become_gid = C.int64_t(runBecome(p.IDs.GIDMap, os.Getegid()))
	}
	c.argv_start, c.argv_len = C.uint64_t(set.argvStart), C.uint64_t(set.argvLen)
	c.go_arena, c.go_arena_len = cp.goArena(set)
	return cp, nil
}

// childGoArenaBytes is the size and alignment of the Go runtime's heap
// arenas on 64-bit Linux (runtime.heapArenaBytes). Were it ever smaller,
// the range below would also cover memory that is not the heap; the
// checks in goArena and sbx_spawn then keep everything the child reads
// out of it, and what else it covers the child does not read either.
const childGoArenaBytes = 64 << 20

// goArena returns the heap arena holding cp (a heap object, like every
// other object of a launcher's small heap), for sbx_spawn to leave out of
// the child's memory; zero when the plan or the launcher's arguments,
// which the child reads, would be inside it.
func (cp *childPlan) goArena(set childSetup) (C.uint64_t, C.uint64_t) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		return 0, 0
	}
	base := uintptr(unsafe.Pointer(cp)) &^ (childGoArenaBytes - 1)
	inside := func(p, n uintptr) bool { return p+n > base && p < base+childGoArenaBytes }
	for i, b := range cp.arena.blocks {
		if inside(uintptr(b), cp.arena.sizes[i]) {
			return 0, 0
		}
	}
	if inside(set.argvStart, set.argvLen) {
		return 0, 0
	}
	return C.uint64_t(base), childGoArenaBytes
}

// setPipes gives the child its ends of the pipes, and the numbers of the
// launcher's ends, which it closes.
func (cp *childPlan) setPipes(report, sync [2]int) {
	cp.c.err_fd, cp.c.sync_fd = C.int32_t(report[1]), C.int32_t(sync[0])
	cp.c.parent_fds[0], cp.c.parent_fds[1] = C.int32_t(report[0]), C.int32_t(sync[1])
}

// setJob gives the child the stdio index of the terminal whose foreground
// its process group takes (or -1), and the job pipe (or -1s): the write
// end the init keeps, the launcher's read end it closes.
func (cp *childPlan) setJob(fgTTY int, job [2]int) {
	cp.c.fg_tty = C.int32_t(fgTTY)
	cp.c.job_fd, cp.c.job_peer_fd = C.int32_t(job[1]), C.int32_t(job[0])
}

// setEgress gives the child its end of the egress socketpair, on which it
// hands over the proxy's listening socket, the launcher's end, which it
// closes, and the port.
func (cp *childPlan) setEgress(child, peer, port int) {
	cp.c.egress_fd, cp.c.egress_peer_fd, cp.c.egress_port = C.int32_t(child), C.int32_t(peer), C.int32_t(port)
}

func childBool(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}
