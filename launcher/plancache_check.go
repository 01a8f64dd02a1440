package launcher

/*
#include <stdlib.h>
#include <string.h>
#include "fast.h"
#include "plan_blob.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// The C side of the plan cache seen from Go, so that its tests can hold it
// to the Go side: the key, the digest and the unpacking of a blob.

// cacheKeyC is sbx_cache_key for argv (the program's name first).
func cacheKeyC(argv []string) ([32]byte, string) {
	var a childArena
	defer a.free()
	cargv := a.strv(argv)
	var key [32]byte
	var name [32]C.char
	C.sbx_cache_key(C.int(len(argv)), cargv, (*C.uchar)(unsafe.Pointer(&key[0])), &name[0])
	return key, C.GoString(&name[0])
}

// sha256C is fast_sha256.c's digest of b.
func sha256C(b []byte) [32]byte {
	var s C.struct_sbx_sha256
	var out [32]byte
	C.sbx_sha256_init(&s)
	if len(b) > 0 {
		p := C.CBytes(b)
		defer C.free(p)
		C.sbx_sha256_write(&s, p, C.size_t(len(b)))
	}
	C.sbx_sha256_sum(&s, (*C.uchar)(unsafe.Pointer(&out[0])))
	return out
}

// blobPlan is what an unpacked blob holds, read back through its pointers.
type blobPlan struct {
	cloneFlags uint64
	kinds      []int
	paths      []string
	argv       []string
	env        []string
	uidMap     string
	gidMap     string
	dataBytes  int
	// Who writes the id maps, and whether the child waits for them.
	writeMaps, parentMaps, waitRelease, denySetgroups bool
	becomeUID, becomeGID                              int64
}

// blobMapFields are the offsets, in a packed plan, of the int32 fields
// that say who writes the id maps: write_maps, parent_maps, wait_release.
func blobMapFields() (writeMaps, parentMaps, waitRelease uintptr) {
	var p C.struct_sbx_plan
	return unsafe.Offsetof(p.write_maps), unsafe.Offsetof(p.parent_maps), unsafe.Offsetof(p.wait_release)
}

// unpackBlobC copies blob to C memory, unpacks it with sbx_plan_unpack and
// reads the plan back; an error when the C side refuses it.
func unpackBlobC(blob []byte) (*blobPlan, error) {
	if len(blob) == 0 {
		return nil, errors.New("empty blob")
	}
	// Aligned like the cache file's plan region.
	mem := C.aligned_alloc(8, C.size_t((len(blob)+7)&^7))
	defer C.free(mem)
	C.memcpy(mem, unsafe.Pointer(&blob[0]), C.size_t(len(blob)))
	if C.sbx_plan_unpack(mem, C.uint64_t(len(blob))) != 0 {
		return nil, errors.New("refused")
	}
	p := (*C.struct_sbx_plan)(mem)
	out := &blobPlan{cloneFlags: uint64(p.clone_flags)}
	strv := func(v **C.char) []string {
		var ss []string
		for v != nil && *v != nil {
			ss = append(ss, C.GoString(*v))
			v = (**C.char)(unsafe.Add(unsafe.Pointer(v), unsafe.Sizeof(v)))
		}
		return ss
	}
	for _, s := range unsafe.Slice(p.steps, p.nsteps) {
		out.kinds = append(out.kinds, int(s.kind))
		if s.path != nil {
			out.paths = append(out.paths, C.GoString(s.path))
		}
		if s.kind == C.SBX_EXEC {
			out.argv = strv((**C.char)(unsafe.Pointer(s.strv)))
		}
		out.dataBytes += int(s.data_len)
	}
	out.env = strv((**C.char)(unsafe.Pointer(p.envp)))
	if p.uid_map != nil {
		out.uidMap = C.GoString(p.uid_map)
	}
	if p.gid_map != nil {
		out.gidMap = C.GoString(p.gid_map)
	}
	out.writeMaps, out.parentMaps = p.write_maps != 0, p.parent_maps != 0
	out.waitRelease, out.denySetgroups = p.wait_release != 0, p.deny_setgroups != 0
	out.becomeUID, out.becomeGID = int64(p.become_uid), int64(p.become_gid)
	return out, nil
}
