package launcher

/*
#include <stdlib.h>
#include "fast.h"
#include "launch_rules.h"
#include "plan_cache.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"syscall"
	"unsafe"
)

// The Go path's view of the rules both launch paths follow
// (launch_rules.h, fast.h). The cached path runs before Go starts, so the
// rules are C, and Go calls them rather than keep a copy that could drift.

// capLastCap is sbx_cap_last_cap.
func capLastCap() int { return int(C.sbx_cap_last_cap()) }

// exitCodeOf is sbx_exit_code for a wait status.
func exitCodeOf(ws syscall.WaitStatus, killedFor syscall.Signal) int {
	return int(C.sbx_exit_code(C.int(ws), C.int(killedFor)))
}

// PlanCacheMode is the plan cache's setting in an environment: off when
// SANDBOX_PLAN_CACHE is "0" or "off", verbose (say what the cache does)
// when it is "verbose".
func PlanCacheMode(env []string) (on, verbose bool) {
	var a childArena
	defer a.free()
	var v C.int
	on = C.sbx_cache_mode(a.strv(env), &v) != 0
	return on, v != 0
}

// PlanCacheDir is the directory of the plan cache for a caller with this
// environment and effective uid: $XDG_RUNTIME_DIR/sandbox/plans, else
// /run/sandbox/plans for root; "" when there is none. Both are memory, not
// disk: a cached plan holds the variables the profile passes in.
func PlanCacheDir(env []string, euid int) string {
	var a childArena
	defer a.free()
	var buf [4096]C.char
	if C.sbx_cache_base(a.strv(env), C.uint(euid), &buf[0], C.size_t(len(buf))) < 0 {
		return ""
	}
	return C.GoString(&buf[0]) + "/" + C.SBX_CACHE_SUBDIR
}

// planCacheKey is the key of an invocation (plan_cache.h): args are the
// launcher's arguments after its name. It also returns the name of the
// file the key gives.
func planCacheKey(args []string) ([32]byte, string) {
	return cacheKeyC(append([]string{"sandbox"}, args...))
}

// planCacheEnvSum is sbx_cache_env_digest: the digest of what env says of
// the variables and prefixes names (plan_cache.h's env_sum), which the
// lookup computes again over its own environment.
func planCacheEnvSum(env, names []string) ([32]byte, error) {
	var a childArena
	defer a.free()
	packed := strings.Join(names, "\x00")
	if len(names) > 0 {
		packed += "\x00"
	}
	var sum [32]byte
	cnames := C.CString(packed)
	defer C.free(unsafe.Pointer(cnames))
	if C.sbx_cache_env_digest(a.strv(env), cnames, C.uint64_t(len(packed)), C.uint64_t(len(names)),
		(*C.uchar)(unsafe.Pointer(&sum[0]))) < 0 {
		return sum, fmt.Errorf("plan cache: a variable name the plan depends on cannot be recorded: %q", names)
	}
	return sum, nil
}

// planCacheSum is the checksum plan_cache.h's header keeps over the rest
// of the file.
func planCacheSum(b []byte) uint64 {
	if len(b) == 0 {
		return uint64(C.SBX_FNV_OFFSET)
	}
	return uint64(C.sbx_cache_hash(C.SBX_FNV_OFFSET, unsafe.Pointer(&b[0]), C.size_t(len(b))))
}

// planCacheKeyTag starts every key (plan_cache.h), so that a change of the
// key's definition changes every key.
const planCacheKeyTag = C.SBX_CACHE_KEY_TAG

// planCacheEnvTag starts every digest of the variables a plan depends on
// (plan_cache.h's env_sum).
const planCacheEnvTag = C.SBX_CACHE_ENV_TAG

// cBool is a C truth value.
func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// execFailure is sbx_exec_failure: the message for a payload that could
// not be executed, and the exit code.
func execFailure(errno syscall.Errno, cmd string) (string, int) {
	ccmd := C.CString(cmd)
	defer C.free(unsafe.Pointer(ccmd))
	var buf [1024]C.char
	code := C.sbx_exec_failure(C.int(errno), ccmd, &buf[0], C.size_t(len(buf)))
	return C.GoString(&buf[0]), int(code)
}

// execLimits is sbx_exec_limits: the limits that can make exec fail with
// errno.
func execLimits(errno syscall.Errno) []string {
	names := C.sbx_exec_limits(C.int(errno))
	if names == nil {
		return nil
	}
	return strings.Fields(C.GoString(names))
}
