package launcher

/*
#include "child.h"
*/
import "C"

import (
	"encoding/binary"
	"sandbox/plan"
)

// fillLandlock lays a Landlock step out as child.h describes it.
func (cp *childPlan) fillLandlock(i int, s plan.Landlock, c *C.struct_sbx_step) error {
	a := &cp.arena
	paths := make([]string, len(s.Paths))
	access := make([]uint32, len(s.Paths))
	for j, p := range s.Paths {
		// Rights fit the low 31 bits; the top one marks a path that
		// must exist.
		if p.Access>>31 != 0 || p.Access&^s.HandledFS != 0 {
			return childStepError(i, s, p.Path, "rights %#x outside the handled %#x", p.Access, s.HandledFS)
		}
		paths[j], access[j] = p.Path, uint32(p.Access)
		if p.Required {
			access[j] |= C.SBX_LL_REQUIRED
		}
	}
	if len(paths) == 0 {
		return childStepError(i, s, "", "a Landlock ruleset without rules")
	}
	if err := childCheckStrings(i, s, paths); err != nil {
		return err
	}
	ports := make([]byte, 0, len(s.Ports)*C.SBX_LL_PORT_SIZE)
	for _, p := range s.Ports {
		ports = binary.NativeEndian.AppendUint32(ports, uint32(p.Port))
		ports = binary.NativeEndian.AppendUint32(ports, uint32(p.Access))
	}
	c.strv = a.strv(paths)
	c.ids, c.nids = a.u32s(access), C.uint32_t(len(access))
	c.num1, c.num2 = C.uint64_t(s.HandledFS), C.uint64_t(s.HandledNet)
	c.mode, c.uid = C.uint32_t(s.Scoped), C.uint32_t(s.Require)
	if len(ports) > 0 {
		c.data, c.data_len = a.bytes(ports), C.uint64_t(len(ports))
	}
	return nil
}
