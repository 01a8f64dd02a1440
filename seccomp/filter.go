package seccomp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"sandbox/profile"
)

// seccompMaxInstructions is BPF_MAXINSNS: the kernel refuses longer
// programs.
const seccompMaxInstructions = 4096

// seccompFilter builds one BPF program with libseccomp. It only ever
// exports the program; loading is the sandbox child's job, right before
// exec, so libseccomp's own Load is never called here.
type seccompFilter struct {
	f   *libseccomp.ScmpFilter
	def libseccomp.ScmpAction
	// defAction and rec say the same as the filter in the profile's
	// terms, rule by rule, for Rules.
	defAction profile.Action
	rec       []Rule
}

// newSeccompFilter starts a filter whose unmatched calls get def.
func newSeccompFilter(def profile.Action) (*seccompFilter, error) {
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil, fmt.Errorf("libseccomp: native architecture: %w", err)
	}
	if native != libseccomp.ArchAMD64 {
		// The syscall table and the ABI check are x86_64's.
		return nil, fmt.Errorf("the seccomp filter supports x86_64 only, this is %s", native)
	}
	act, err := seccompScmpAction(def)
	if err != nil {
		return nil, err
	}
	f, err := libseccomp.NewFilter(act)
	if err != nil {
		return nil, fmt.Errorf("libseccomp: new filter with default action %s: %w", seccompActionString(def), err)
	}
	// The filter holds only the native arch. A call made through another
	// ABI (i386 with int 0x80, or x32 with bit 30 set in the number)
	// takes the bad-arch action before any number is compared: i386
	// mount is number 21, which is x86_64's access, so a rule would
	// match the wrong call. Kill the whole process, not just the thread,
	// so nothing half-dead is left behind.
	if err := f.SetBadArchAction(libseccomp.ActKillProcess); err != nil {
		f.Release()
		return nil, fmt.Errorf("libseccomp: set the bad-arch action: %w", err)
	}
	// A binary tree over syscall numbers: with some 380 rules a linear
	// list would cost every call hundreds of comparisons.
	if err := f.SetOptimize(2); err != nil {
		f.Release()
		return nil, fmt.Errorf("libseccomp: binary-tree optimisation: %w", err)
	}
	return &seccompFilter{f: f, def: act, defAction: def}, nil
}

func (s *seccompFilter) release() { s.f.Release() }

// add makes every call of syscall nr get act. A rule that says what the
// default already says is dropped (libseccomp refuses it).
func (s *seccompFilter) add(nr int, act profile.Action) error {
	a, err := seccompScmpAction(act)
	if err != nil {
		return err
	}
	if a == s.def {
		return nil
	}
	if err := s.f.AddRule(libseccomp.ScmpSyscall(nr), a); err != nil {
		return fmt.Errorf("libseccomp refused the rule (action %s): %w", seccompActionString(act), err)
	}
	s.rec = append(s.rec, Rule{Nr: nr, Action: act})
	return nil
}

// addMatch makes calls of syscall nr that m matches get act, and all other
// calls get otherwise. libseccomp has no "else" for a conditional rule (an
// unconditional rule for the same syscall replaces the conditional ones),
// so both sides are spelled out as masked-equality rules that never
// overlap: the result then does not depend on the order libseccomp
// evaluates them in.
func (s *seccompFilter) addMatch(nr int, act, otherwise profile.Action, m *seccompArgMatch) error {
	in := make([]seccompCube, 0, len(m.Values))
	for _, v := range m.Values {
		in = append(in, seccompCube{Mask: m.Mask, Value: v & m.Mask})
	}
	out := seccompCover(m.Mask, m.Values)
	if m.Outside {
		in, out = out, in
	}
	if err := s.addCubes(nr, act, m.Arg, in); err != nil {
		return err
	}
	return s.addCubes(nr, otherwise, m.Arg, out)
}

func (s *seccompFilter) addCubes(nr int, act profile.Action, arg uint, cubes []seccompCube) error {
	a, err := seccompScmpAction(act)
	if err != nil {
		return err
	}
	if a == s.def {
		return nil
	}
	for _, c := range cubes {
		cond, err := libseccomp.MakeCondition(arg, libseccomp.CompareMaskedEqual, uint64(c.Mask), uint64(c.Value))
		if err != nil {
			return fmt.Errorf("libseccomp: condition arg%d & %#x == %#x: %w", arg, c.Mask, c.Value, err)
		}
		if err := s.f.AddRuleConditional(libseccomp.ScmpSyscall(nr), a, []libseccomp.ScmpCondition{cond}); err != nil {
			return fmt.Errorf("libseccomp refused the rule (action %s when arg%d & %#x == %#x): %w",
				seccompActionString(act), arg, c.Mask, c.Value, err)
		}
		s.rec = append(s.rec, Rule{Nr: nr, Action: act, Arg: &Arg{Index: arg, Mask: c.Mask, Value: c.Value}})
	}
	return nil
}

// export returns the BPF program: struct sock_filter entries, 8 bytes each,
// ready for seccomp(SECCOMP_SET_MODE_FILTER). libseccomp writes it to a file
// descriptor, so it goes through a memfd.
func (s *seccompFilter) export() ([]byte, error) {
	fd, err := unix.MemfdCreate("sandbox-seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd for the BPF program: %w", err)
	}
	f := os.NewFile(uintptr(fd), "sandbox-seccomp-bpf")
	defer f.Close()
	if err := s.f.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("libseccomp: export BPF: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read back the BPF program: %w", err)
	}
	prog, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read back the BPF program: %w", err)
	}
	if len(prog) == 0 || len(prog)%8 != 0 {
		return nil, fmt.Errorf("libseccomp exported %d bytes, not a whole number of BPF instructions", len(prog))
	}
	if n := len(prog) / 8; n > seccompMaxInstructions {
		return nil, fmt.Errorf("the seccomp filter has %d BPF instructions, the kernel accepts at most %d: use fewer argument rules", n, seccompMaxInstructions)
	}
	return prog, nil
}

// seccompScmpAction maps a profile action to libseccomp's. "kill" kills
// the whole process: killing one thread would leave the others running in
// a state the program never planned for.
func seccompScmpAction(a profile.Action) (libseccomp.ScmpAction, error) {
	switch a.Kind {
	case profile.ActAllow:
		return libseccomp.ActAllow, nil
	case profile.ActKill:
		return libseccomp.ActKillProcess, nil
	case profile.ActLog:
		return libseccomp.ActLog, nil
	case profile.ActTrap:
		return libseccomp.ActTrap, nil
	case profile.ActErrno:
		if a.Errno < 1 || a.Errno > math.MaxInt16 {
			return libseccomp.ActInvalid, fmt.Errorf("errno %d is out of range", a.Errno)
		}
		return libseccomp.ActErrno.SetReturnCode(int16(a.Errno)), nil
	case "":
		return libseccomp.ActInvalid, errors.New("no action given")
	}
	return libseccomp.ActInvalid, fmt.Errorf("unknown action %q", a.Kind)
}

// seccompSyscallNumber resolves an x86_64 syscall name: from the table the
// policy is written against, else from libseccomp's own (which may know a
// name this table does not).
func seccompSyscallNumber(name string) (int, bool) {
	if nr, ok := seccompSyscalls()[name]; ok {
		return nr, true
	}
	nr, err := libseccomp.GetSyscallFromNameByArch(name, libseccomp.ArchAMD64)
	if err != nil || nr < 0 {
		return 0, false
	}
	return int(nr), true
}

// seccompNameOf names an x86_64 syscall number the policy table does not
// know (a profile rule libseccomp resolved).
func seccompNameOf(nr int) string {
	n, err := libseccomp.ScmpSyscall(nr).GetNameByArch(libseccomp.ArchAMD64)
	if err != nil {
		return fmt.Sprintf("%d", nr)
	}
	return n
}
