package launcher

/*
#include <stdint.h>
#include "child.h"
#include "plan_blob.h"
#include "plan_cache.h"
#include "fast.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sandbox/hostview"
	"sandbox/plan"
	"syscall"
	"unsafe"
)

// The plan cache keeps compiled plans so that the next launch with the same
// arguments, and the same values of the variables the plan depends on,
// runs before the Go runtime even starts (fast.c).
// StorePlan writes one; fast_lookup.c reads and checks it; plan_cache.h is
// the format.

// planCacheKeep bounds the files in the cache directory; the oldest go
// first.
const planCacheKeep = 64

// StorePlan caches p, compiled from in for the invocation args (the
// launcher's arguments after its name) in environment env and working
// directory cwd, for the next launch with these arguments whose
// environment agrees with env in every variable in records (the rest of
// the environment is not part of the key). It reports why a plan is
// not stored: one the launcher runs with help (newuidmap, a NAT helper, a
// D-Bus proxy), one with warnings, or one compiled from
// something the cache cannot check. Failing to store is never an error for
// the launch.
//
// say is what this launch wrote to standard error before it ran (a
// notice), which a launch from the cache writes too; "" for nothing.
func StorePlan(p *plan.Plan, in *hostview.PlanInputs, args, env []string, cwd, say string) (stored bool, why string, err error) {
	if why := PlanCacheable(p, in, env); why != "" {
		return false, why, nil
	}
	dir := PlanCacheDir(env, os.Geteuid())
	if err := planCacheMkdir(dir); err != nil {
		return false, "", err
	}
	key, base := planCacheKey(args)
	file, err := planCacheFile(p, in, key, env, cwd, say)
	if err != nil {
		return false, "", err
	}
	name := filepath.Join(dir, base)
	if err := planCacheWrite(dir, name, file); err != nil {
		return false, "", err
	}
	planCachePrune(dir)
	return true, "", nil
}

// PlanCacheable says why p, compiled from in for a caller with environment
// env, would not be cached, or "" when a launch stores it for the next
// identical one.
func PlanCacheable(p *plan.Plan, in *hostview.PlanInputs, env []string) string {
	if why := planCacheable(p, in); why != "" {
		return why
	}
	if on, _ := PlanCacheMode(env); !on {
		return "SANDBOX_PLAN_CACHE turns it off"
	}
	if PlanCacheDir(env, os.Geteuid()) == "" {
		return "no cache directory (no $XDG_RUNTIME_DIR)"
	}
	return ""
}

// planCacheable says why p cannot be run by the fast path, or "".
func planCacheable(p *plan.Plan, in *hostview.PlanInputs) string {
	if in == nil {
		return "its inputs were not recorded"
	}
	refused := in.Refused()
	switch {
	case refused != "":
		return refused
	case os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid():
		return "set-id launch"
	case len(p.Warnings) > 0:
		return "the plan has warnings"
	case p.DBusProxy != nil:
		return "the plan starts a D-Bus proxy"
	case p.NAT != nil:
		return "the plan starts a NAT helper"
	case p.Egress != nil:
		return "the plan runs the egress proxy (network.mode \"filtered\")"
	case planLimitsExplained(p):
		return "the plan sets a memory, cpu or fsize limit, whose failures only the ordinary launch explains"
	case p.PulseProxy != nil:
		return "the plan runs a sound filter"
	}
	if runIDModeFor(p) == idsHelper {
		return "newuidmap and newgidmap write the id maps"
	}
	for _, st := range p.Steps {
		if _, ok := st.(plan.DBusSocket); ok {
			return "the plan binds a D-Bus proxy's socket"
		}
	}
	return ""
}

// planCacheFile lays the file out as plan_cache.h describes.
//
// The file is named by the arguments alone; the variables the plan depends
// on (in.EnvUsed) are listed in it with their digest over env, which the
// lookup checks against its own environment (fast_env.c).
func planCacheFile(p *plan.Plan, in *hostview.PlanInputs, key [32]byte, env []string, cwd, say string) ([]byte, error) {
	blob, err := packPlan(p)
	if err != nil {
		return nil, err
	}
	names := in.EnvUsed()
	sum, err := planCacheEnvSum(env, names)
	if err != nil {
		return nil, err
	}
	var exe syscall.Stat_t
	exeStat := hostview.StatOf(&exe, syscall.Stat("/proc/self/exe", &exe))
	if exeStat.Err != 0 {
		return nil, fmt.Errorf("plan cache: the launcher's executable: %w", exeStat.Err)
	}
	var h C.struct_sbx_cache_head
	headSize := int(unsafe.Sizeof(h))
	out := make([]byte, headSize)
	align := func() {
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
	}
	for i, b := range key {
		h.key[i] = C.uchar(b)
	}
	for i, b := range sum {
		h.env_sum[i] = C.uchar(b)
	}
	h.cwd_off = C.uint64_t(len(out))
	out = append(append(out, cwd...), 0)
	h.cwd_len = C.uint64_t(len(cwd) + 1)
	h.say_off = C.uint64_t(len(out))
	out = append(append(out, say...), 0)
	h.say_len = C.uint64_t(len(say) + 1)
	h.env_off, h.env_count = C.uint64_t(len(out)), C.uint64_t(len(names))
	for _, n := range names {
		out = append(append(out, n...), 0)
	}
	h.env_len = C.uint64_t(len(out)) - h.env_off

	deps := in.Deps()
	paths := make([]uint64, len(deps))
	for i, d := range deps {
		paths[i] = uint64(len(out))
		out = append(append(out, d.Path...), 0)
	}
	align()
	h.deps_off, h.ndeps = C.uint64_t(len(out)), C.uint64_t(len(deps))
	for i, d := range deps {
		rec := C.struct_sbx_cache_dep{path_off: C.uint64_t(paths[i]), lst: cacheStat(d.Lst), st: cacheStat(d.St)}
		if d.Presence {
			rec.flags = C.SBX_DEP_PRESENCE
		}
		out = append(out, unsafe.Slice((*byte)(unsafe.Pointer(&rec)), unsafe.Sizeof(rec))...)
	}
	align()
	h.plan_off, h.plan_len = C.uint64_t(len(out)), C.uint64_t(len(blob))
	out = append(out, blob...)

	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h.magic[0])), len(h.magic)), C.SBX_CACHE_MAGIC)
	h.version, h.head_size, h.total = C.SBX_CACHE_VERSION, C.uint32_t(headSize), C.uint64_t(len(out))
	h.exe = cacheStat(exeStat)
	h.uid, h.gid = C.uint32_t(os.Getuid()), C.uint32_t(os.Getgid())
	h.euid, h.egid = C.uint32_t(os.Geteuid()), C.uint32_t(os.Getegid())
	h.sum = C.uint64_t(planCacheSum(out[headSize:]))
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(&h)), headSize))
	if len(out) > C.SBX_CACHE_MAX_SIZE {
		return nil, errors.New("plan cache: the plan is too large to cache")
	}
	return out, nil
}

func cacheStat(s hostview.FileStat) C.struct_sbx_cache_stat {
	return C.struct_sbx_cache_stat{err: C.int32_t(s.Err), mode: C.uint32_t(s.Mode),
		dev: C.uint64_t(s.Dev), ino: C.uint64_t(s.Ino), size: C.uint64_t(s.Size),
		mtime_sec: C.int64_t(s.MtimeSec), mtime_nsec: C.int64_t(s.MtimeNsec),
		ctime_sec: C.int64_t(s.CtimeSec), ctime_nsec: C.int64_t(s.CtimeNsec)}
}

// packPlan lays p out as the fast path runs it and packs it
// (plan_blob.c).
func packPlan(p *plan.Plan) ([]byte, error) {
	cp, err := layoutForCache(p)
	if err != nil {
		return nil, err
	}
	defer cp.free()
	base, used := cp.arena.blocks[0], cp.arena.off
	if C.sbx_plan_pack(cp.c, C.uintptr_t(uintptr(base)), C.uint64_t(used)) != 0 {
		return nil, errors.New("plan cache: the plan points outside its block")
	}
	return C.GoBytes(base, C.int(used)), nil
}

// layoutForCache lays p out as the fast path runs it (standard files 0, 1
// and 2; the launch fills in its pipes, its arguments and its last
// capability; maps the launcher writes are in the plan, fast.c writes
// them) in a single block.
func layoutForCache(p *plan.Plan) (*childPlan, error) {
	ids := runIDModeFor(p)
	if ids == idsHelper {
		return nil, errors.New("plan cache: newuidmap and newgidmap write the id maps")
	}
	set := childSetup{ids: ids, stdio: [3]int{0, 1, 2}, lastCap: 40, waitMaps: ids == idsParent}
	// A first layout measures the plan; the second fits in one block.
	cp, err := newChildPlan(p, set)
	if err != nil {
		return nil, err
	}
	var size uintptr
	for _, s := range cp.arena.sizes {
		size += s
	}
	cp.free()
	cp, err = buildChildPlan(p, set, size)
	if err != nil {
		return nil, err
	}
	if len(cp.arena.blocks) != 1 {
		cp.free()
		return nil, errors.New("plan cache: the plan does not fit one block")
	}
	cp.c.go_arena, cp.c.go_arena_len = 0, 0
	cp.c.argv_start, cp.c.argv_len = 0, 0
	return cp, nil
}
