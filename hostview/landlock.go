package hostview

import "golang.org/x/sys/unix"

// LandlockABIVersion is the Landlock ABI of this kernel, 0 without
// Landlock.
func (h Host) LandlockABIVersion() int {
	if h.LandlockABI != nil {
		return h.LandlockABI()
	}
	return KernelLandlockABI()
}

// KernelLandlockABI asks the kernel for its Landlock ABI version, 0 when
// Landlock is not built in or is disabled at boot (the call then fails
// with ENOSYS or EOPNOTSUPP). It is the one reader of the ABI: the
// compiler, `sandbox doctor` and the tests all use it, so they cannot
// disagree about what this machine offers.
func KernelLandlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}
