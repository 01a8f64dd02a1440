package profile

import (
	"sort"
	"strings"
)

//go:generate go run ./internal/gensyscalls -o syscall_table.go

// SyscallNames returns every x86_64 system call name, sorted. Profiles
// name system calls the way the kernel and libseccomp do ("openat",
// "_sysctl").
func SyscallNames() []string {
	names := make([]string, len(syscallTable))
	for i, s := range syscallTable {
		names[i] = s.Name
	}
	return names
}

// IsSyscall reports whether name is an x86_64 system call.
func IsSyscall(name string) bool {
	_, ok := SyscallNumber(name)
	return ok
}

// SyscallNumber returns the x86_64 number of system call name.
func SyscallNumber(name string) (int, bool) {
	i := sort.Search(len(syscallTable), func(i int) bool { return syscallTable[i].Name >= name })
	if i < len(syscallTable) && syscallTable[i].Name == name {
		return syscallTable[i].Nr, true
	}
	return 0, false
}

// unknownSyscallMsg explains an unknown syscall name.
func unknownSyscallMsg(name string) string {
	msg := "unknown x86_64 system call " + quote(name)
	if lower := strings.ToLower(name); lower != name && IsSyscall(lower) {
		return msg + `; system call names are lower case: write "` + lower + `"`
	}
	if s := didYouMean(name, SyscallNames()); s != "" {
		return msg + s
	}
	return msg + "; use the kernel's name as in syscalls(2), e.g. \"ptrace\""
}
