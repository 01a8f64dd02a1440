package launcher

/*
#include <stdlib.h>
#include "instance.h"
#include "plan_cache.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// InstanceBase is the directory that holds sandbox/instances for a caller
// with this environment: the plan cache's parent, $XDG_RUNTIME_DIR, else
// /run for root; "" when there is none. fast.c decides the same way
// (sbx_cache_base), so both launch paths write their records in one place.
func InstanceBase(env []string, euid int) string {
	return strings.TrimSuffix(PlanCacheDir(env, euid), "/"+C.SBX_CACHE_SUBDIR)
}

// WriteInstance records the running sandbox whose host pid is pid, with
// the same code the fast path uses (instance.c). args are the launcher's
// arguments after its name; name may be "". It returns the instance's id
// and the record's path, for RemoveInstance.
func WriteInstance(base string, pid int, name string, args []string) (id, path string, err error) {
	cbase := C.CString(base)
	defer C.free(unsafe.Pointer(cbase))
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	cargs := make([]*C.char, len(args)+1)
	for i, a := range args {
		cargs[i] = C.CString(a)
	}
	defer func() {
		for _, a := range cargs[:len(args)] {
			C.free(unsafe.Pointer(a))
		}
	}()
	// The array itself must be C memory: C may not keep Go pointers to
	// Go pointers.
	carr := (**C.char)(C.malloc(C.size_t(len(cargs)) * C.size_t(unsafe.Sizeof(cargs[0]))))
	defer C.free(unsafe.Pointer(carr))
	copy(unsafe.Slice(carr, len(cargs)), cargs)
	var cid [C.SBX_INSTANCE_ID_LEN + 1]C.char
	var cpath [4200]C.char
	if C.sbx_instance_write(cbase, C.int(pid), cname, C.int(len(args)), carr, &cid[0], &cpath[0], C.size_t(len(cpath))) < 0 {
		return "", "", fmt.Errorf("writing the instance record in %s/sandbox/instances failed", base)
	}
	return C.GoString(&cid[0]), C.GoString(&cpath[0]), nil
}

// RemoveInstance removes a record WriteInstance wrote.
func RemoveInstance(path string) {
	if path == "" {
		return
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	C.sbx_instance_remove(cpath)
}
