package seccomp

import (
	"encoding/binary"
	"fmt"
)

// A classic-BPF interpreter for seccomp programs, so that tests can ask an
// exported filter what it answers for calls this machine cannot make (x32,
// which this kernel lacks) and for thousands of argument values, without
// loading anything.

// Values of struct seccomp_data and the SECCOMP_RET_* actions.
const (
	scSimArchX86_64 = 0xc000003e // AUDIT_ARCH_X86_64
	scSimArchI386   = 0x40000003 // AUDIT_ARCH_I386

	scSimRetKillProcess = 0x80000000
	scSimRetKillThread  = 0x00000000
	scSimRetTrap        = 0x00030000
	scSimRetErrno       = 0x00050000
	scSimRetLog         = 0x7ffc0000
	scSimRetAllow       = 0x7fff0000
	scSimRetActionMask  = 0xffff0000
)

// scSimCall is the struct seccomp_data a filter sees.
type scSimCall struct {
	Nr   int32
	Arch uint32
	Args [6]uint64
}

// scSimX86 is a native x86_64 call.
func scSimX86(nr int, args ...uint64) scSimCall {
	c := scSimCall{Nr: int32(nr), Arch: scSimArchX86_64}
	copy(c.Args[:], args)
	return c
}

func (c scSimCall) word(off uint32) (uint32, error) {
	var b [64]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(c.Nr))
	binary.LittleEndian.PutUint32(b[4:], c.Arch)
	for i, a := range c.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	if off%4 != 0 || off > 60 {
		return 0, fmt.Errorf("load from offset %d of seccomp_data", off)
	}
	return binary.LittleEndian.Uint32(b[off:]), nil
}

// scSimRun runs prog (raw sock_filter bytes) on c and returns the action and
// the number of instructions executed.
func scSimRun(prog []byte, c scSimCall) (uint32, int, error) {
	var a, x uint32
	var mem [16]uint32
	n := len(prog) / 8
	for pc, steps := 0, 1; pc < n; pc, steps = pc+1, steps+1 {
		ins := prog[pc*8 : pc*8+8]
		code := binary.LittleEndian.Uint16(ins)
		jt, jf := int(ins[2]), int(ins[3])
		k := binary.LittleEndian.Uint32(ins[4:])
		switch code {
		case 0x20: // ld [k]
			w, err := c.word(k)
			if err != nil {
				return 0, steps, fmt.Errorf("pc %d: %w", pc, err)
			}
			a = w
		case 0x00: // ld #k
			a = k
		case 0x60: // ld M[k]
			a = mem[k%16]
		case 0x01: // ldx #k
			x = k
		case 0x61: // ldx M[k]
			x = mem[k%16]
		case 0x02: // st M[k]
			mem[k%16] = a
		case 0x03: // stx M[k]
			mem[k%16] = x
		case 0x54: // and #k
			a &= k
		case 0x44: // or #k
			a |= k
		case 0x07: // tax
			x = a
		case 0x87: // txa
			a = x
		case 0x05: // ja
			pc += int(k)
		case 0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d: // jeq/jgt/jge/jset, k or x
			v := k
			if code&0x08 != 0 {
				v = x
			}
			var cond bool
			switch code & 0xf0 {
			case 0x10:
				cond = a == v
			case 0x20:
				cond = a > v
			case 0x30:
				cond = a >= v
			case 0x40:
				cond = a&v != 0
			}
			if cond {
				pc += jt
			} else {
				pc += jf
			}
		case 0x06: // ret #k
			return k, steps, nil
		case 0x16: // ret a
			return a, steps, nil
		default:
			return 0, steps, fmt.Errorf("pc %d: opcode %#04x not supported by the test interpreter", pc, code)
		}
	}
	return 0, 0, fmt.Errorf("program ran off its end")
}

// scSimActionString names a SECCOMP_RET_* value for test messages.
func scSimActionString(r uint32) string {
	switch r & scSimRetActionMask {
	case scSimRetKillProcess:
		return "KILL_PROCESS"
	case scSimRetKillThread:
		return "KILL_THREAD"
	case scSimRetTrap:
		return "TRAP"
	case scSimRetErrno:
		return fmt.Sprintf("ERRNO(%d)", r&0xffff)
	case scSimRetLog:
		return "LOG"
	case scSimRetAllow:
		return "ALLOW"
	}
	return fmt.Sprintf("%#x", r)
}
