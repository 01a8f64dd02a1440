package launcher

/*
#include <stdlib.h>
#include <string.h>
#include "child.h"
#include "plan_blob.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sandbox/plan"
	"unsafe"
)

// A flat plan read back whole, so that the plan cache's tests can hold an
// unpacked blob to exactly what the compiler laid out (H4): every byte of
// the plan and of each step (numbers, flags and counts, whatever fields
// child.h gains) and everything each pointer leads to.

// flatPlan is a flat plan read through its pointers. Pointer fields are
// zeroed in the raw bytes and described in ptrs: "NULL", or what they
// lead to.
type flatPlan struct {
	raw   []byte
	ptrs  []string
	steps []flatStep
}

type flatStep struct {
	raw  []byte
	ptrs []string
}

// ptrField is one entry of child.h's SBX_STEP_POINTERS or
// SBX_PLAN_POINTERS, read from plan_blob.c's tables.
type ptrField = C.struct_sbx_ptr_field

func flatStepFields() []ptrField {
	return unsafe.Slice((*ptrField)(unsafe.Pointer(&C.sbx_step_ptr_fields)), C.sbx_step_ptr_nfields)
}

func flatPlanFields() []ptrField {
	return unsafe.Slice((*ptrField)(unsafe.Pointer(&C.sbx_plan_ptr_fields)), C.sbx_plan_ptr_nfields)
}

// flatRaw copies n bytes at p with the pointer fields zeroed, and the
// plan's steps pointer at extra if not zero.
func flatRaw(p unsafe.Pointer, n uintptr, fields []ptrField, extra ...uintptr) []byte {
	b := C.GoBytes(p, C.int(n))
	offs := extra
	for _, f := range fields {
		offs = append(offs, uintptr(f.off))
	}
	for _, o := range offs {
		clear(b[o : o+unsafe.Sizeof(uintptr(0))])
	}
	return b
}

func flatStr(s *C.char) string {
	if s == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", C.GoString(s))
}

func flatStrv(v **C.char) string {
	if v == nil {
		return "NULL"
	}
	var ss []string
	for ; *v != nil; v = (**C.char)(unsafe.Add(unsafe.Pointer(v), unsafe.Sizeof(v))) {
		ss = append(ss, C.GoString(*v))
	}
	return fmt.Sprintf("%q", ss)
}

func flatBytes(p unsafe.Pointer, n uintptr) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprintf("%x", C.GoBytes(p, C.int(n)))
}

// flatPtrs describes what each pointer field of the object at obj leads
// to.
func flatPtrs(obj unsafe.Pointer, fields []ptrField) []string {
	var out []string
	for _, f := range fields {
		at := unsafe.Add(obj, f.off)
		switch f._type {
		case C.SBX_PTR_STR:
			out = append(out, flatStr(*(**C.char)(at)))
		case C.SBX_PTR_STRV:
			out = append(out, flatStrv(*(***C.char)(at)))
		case C.SBX_PTR_BYTES:
			var n uintptr
			switch cnt := unsafe.Add(obj, f.count_off); f.count_size {
			case 8:
				n = uintptr(*(*uint64)(cnt))
			case 4:
				n = uintptr(*(*uint32)(cnt))
			default:
				panic("child.h: a count of an unknown size")
			}
			out = append(out, flatBytes(*(*unsafe.Pointer)(at), n*uintptr(f.size)))
		default:
			panic("child.h: a pointer field of an unknown type")
		}
	}
	return out
}

// readFlat reads the flat plan at p, whose pointers are pointers.
func readFlat(p *C.struct_sbx_plan) flatPlan {
	f := flatPlan{
		raw:  flatRaw(unsafe.Pointer(p), C.sizeof_struct_sbx_plan, flatPlanFields(), unsafe.Offsetof(p.steps)),
		ptrs: flatPtrs(unsafe.Pointer(p), flatPlanFields()),
	}
	if p.steps == nil {
		f.ptrs = append(f.ptrs, "steps NULL")
		return f
	}
	for i := range unsafe.Slice(p.steps, p.nsteps) {
		s := unsafe.Pointer(&unsafe.Slice(p.steps, p.nsteps)[i])
		f.steps = append(f.steps, flatStep{
			raw:  flatRaw(s, C.sizeof_struct_sbx_step, flatStepFields()),
			ptrs: flatPtrs(s, flatStepFields()),
		})
	}
	return f
}

// cachedFlat lays p out as the plan cache stores it and reads it back
// before packing: what the compiler wrote.
func cachedFlat(p *plan.Plan) (flatPlan, error) {
	cp, err := layoutForCache(p)
	if err != nil {
		return flatPlan{}, err
	}
	defer cp.free()
	return readFlat(cp.c), nil
}

// unpackFlatC unpacks blob as the fast path does and reads the plan back;
// it also packs the unpacked plan again, which for a blob the packer wrote
// gives the blob's own bytes.
func unpackFlatC(blob []byte) (flatPlan, []byte, error) {
	return unpackFlatAt(blob, 0)
}

// unpackFlatAt is unpackFlatC with the blob read to shift bytes (a
// multiple of 8) further into its memory: what the plan holds must not
// depend on where it lies, as it would if a string overlapped a pointer.
func unpackFlatAt(blob []byte, shift int) (flatPlan, []byte, error) {
	if len(blob) == 0 {
		return flatPlan{}, nil, errors.New("empty blob")
	}
	buf := C.aligned_alloc(8, C.size_t((len(blob)+shift+7)&^7))
	defer C.free(buf)
	mem := unsafe.Add(buf, shift)
	C.memcpy(mem, unsafe.Pointer(&blob[0]), C.size_t(len(blob)))
	if C.sbx_plan_unpack(mem, C.uint64_t(len(blob))) != 0 {
		return flatPlan{}, nil, errors.New("refused")
	}
	f := readFlat((*C.struct_sbx_plan)(mem))
	if C.sbx_plan_pack((*C.struct_sbx_plan)(mem), C.uintptr_t(uintptr(mem)), C.uint64_t(len(blob))) != 0 {
		return f, nil, errors.New("an unpacked plan does not pack again")
	}
	return f, C.GoBytes(mem, C.int(len(blob))), nil
}

// blobLayout names where the fields a damaged blob's test aims at are:
// offsets in the plan ("plan.") or in a step ("step."), and sizes.
func blobLayout() map[string]int {
	pl, st := C.struct_sbx_plan{}, C.struct_sbx_step{}
	return map[string]int{
		"plan.size": C.sizeof_struct_sbx_plan, "step.size": C.sizeof_struct_sbx_step,
		"plan.clone_flags": int(unsafe.Offsetof(pl.clone_flags)),
		"plan.nsteps":      int(unsafe.Offsetof(pl.nsteps)), "plan.steps": int(unsafe.Offsetof(pl.steps)),
		"plan.envp": int(unsafe.Offsetof(pl.envp)), "plan.npass": int(unsafe.Offsetof(pl.npass)),
		"plan.pass_fds": int(unsafe.Offsetof(pl.pass_fds)), "plan.uid_map": int(unsafe.Offsetof(pl.uid_map)),
		"step.kind": int(unsafe.Offsetof(st.kind)), "step.path": int(unsafe.Offsetof(st.path)),
		"step.src": int(unsafe.Offsetof(st.src)), "step.strv": int(unsafe.Offsetof(st.strv)),
		"step.data": int(unsafe.Offsetof(st.data)), "step.data_len": int(unsafe.Offsetof(st.data_len)),
		"step.ids": int(unsafe.Offsetof(st.ids)), "step.nids": int(unsafe.Offsetof(st.nids)),
		"kind.exec": C.SBX_EXEC, "kind.seccomp": C.SBX_SECCOMP,
	}
}
