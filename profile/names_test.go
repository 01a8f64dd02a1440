package profile

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestParseAction(t *testing.T) {
	for in, want := range map[string]Action{
		"allow":       {Kind: ActAllow},
		"kill":        {Kind: ActKill},
		"log":         {Kind: ActLog},
		"trap":        {Kind: ActTrap},
		"EPERM":       {Kind: ActErrno, Errno: 1, ErrnoName: "EPERM"},
		"ENOSYS":      {Kind: ActErrno, Errno: 38, ErrnoName: "ENOSYS"},
		"EACCES":      {Kind: ActErrno, Errno: 13, ErrnoName: "EACCES"},
		"EWOULDBLOCK": {Kind: ActErrno, Errno: 11, ErrnoName: "EAGAIN"},
		"ENOTSUP":     {Kind: ActErrno, Errno: 95, ErrnoName: "ENOTSUP"},
		"EOPNOTSUPP":  {Kind: ActErrno, Errno: 95, ErrnoName: "ENOTSUP"},
		"EDEADLOCK":   {Kind: ActErrno, Errno: 35, ErrnoName: "EDEADLK"},
	} {
		got, err := ParseAction(in)
		if err != nil || got != want {
			t.Errorf("ParseAction(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"errno":  `"errno" needs a name: write the errno itself, such as "EPERM" or "ENOSYS"`,
		"Allow":  `unknown action "Allow"; did you mean "allow"?`,
		"eperm":  `unknown action "eperm"; did you mean "EPERM"?`,
		"ENOSIS": `unknown action "ENOSIS"; did you mean "ENOSYS"?`,
		"deny":   `unknown action "deny"; write "allow", "kill", "log", "trap" or an errno name such as "EPERM"`,
		"":       `unknown action ""; write "allow", "kill", "log", "trap" or an errno name such as "EPERM"`,
	} {
		_, err := ParseAction(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseAction(%q) error = %v; want %q", in, err, want)
		}
	}
	if n := len(ErrnoNames()); n < 100 {
		t.Errorf("only %d errno names", n)
	}
}

func TestCapabilityNames(t *testing.T) {
	for _, in := range []string{"CAP_NET_RAW", "net_raw", "Net_Raw", "cap_net_raw", "CAP_net_RAW"} {
		if got, msg := canonicalCap(in); got != "CAP_NET_RAW" || msg != "" {
			t.Errorf("canonicalCap(%q) = %q, %q", in, got, msg)
		}
	}
	for _, in := range []string{"CAP_BOGUS", "", " net_raw", "CAP_", "NET RAW"} {
		if got, msg := canonicalCap(in); got != "" || !strings.HasPrefix(msg, "unknown capability") {
			t.Errorf("canonicalCap(%q) = %q, %q; want an error", in, got, msg)
		}
	}
	names := CapabilityNames()
	if !sort.StringsAreSorted(names) || !slices.Contains(names, "CAP_SYS_ADMIN") || !slices.Contains(names, "CAP_CHECKPOINT_RESTORE") {
		t.Errorf("capability names: %v", names)
	}
}

func TestSyscallTable(t *testing.T) {
	names := SyscallNames()
	if len(names) < 370 || !sort.StringsAreSorted(names) {
		t.Fatalf("%d names, sorted %v", len(names), sort.StringsAreSorted(names))
	}
	// Spot checks against the x86_64 ABI (arch/x86/entry/syscalls/syscall_64.tbl).
	for name, nr := range map[string]int{
		"read": 0, "write": 1, "ptrace": 101, "_sysctl": 156, "openat": 257,
		"clone3": 435, "open_tree": 428, "mount_setattr": 442,
	} {
		got, ok := SyscallNumber(name)
		if !ok || got != nr {
			t.Errorf("SyscallNumber(%q) = %d, %v; want %d", name, got, ok, nr)
		}
		if !IsSyscall(name) {
			t.Errorf("IsSyscall(%q) = false", name)
		}
	}
	for _, name := range []string{"", "READ", "socketcall", "ptrac", "sys_read"} {
		if IsSyscall(name) {
			t.Errorf("IsSyscall(%q) = true", name)
		}
	}
	if got := unknownSyscallMsg("PTRACE"); got != `unknown x86_64 system call "PTRACE"; system call names are lower case: write "ptrace"` {
		t.Errorf("upper-case name: %s", got)
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"type", "source", "target", "optional", "size", "mode", "content", "link_to", "lower", "upper", "work"}
	for in, want := range map[string]string{
		"tmpfs_size": "size",
		"sorce":      "source",
		"Target":     "target",
		"linkto":     "link_to",
		"readonly":   "",
		"x":          "",
	} {
		if got := suggest(in, cands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if d := levenshtein("kitten", "sitting"); d != 3 {
		t.Errorf("levenshtein = %d", d)
	}
}
