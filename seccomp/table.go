package seccomp

import (
	"sandbox/internal/lazy"
	"sandbox/profile"
)

// seccompSyscalls is the x86_64 system call table as a map: every number
// the default policy knows. The filter allows these unless a rule says
// otherwise and answers every other number with ENOSYS, so a syscall added
// by a newer kernel stays unavailable until it is reviewed and listed.
//
// The table itself is profile's, generated from golang.org/x/sys (go
// generate ./profile), so the names a profile may write and the numbers the
// filter is built from are one list.
//
// The map is built on first use: a launch with the prebuilt default filter
// never needs it, and as a package variable it would be built at every
// start.
func seccompSyscalls() map[string]int { return seccompSyscallsValue.Get() }

var seccompSyscallsValue = lazy.Value[map[string]int]{Make: func() map[string]int {
	names := profile.SyscallNames()
	m := make(map[string]int, len(names))
	for _, name := range names {
		nr, _ := profile.SyscallNumber(name)
		m[name] = nr
	}
	return m
}}
