package profile

import (
	"fmt"
	"sort"
	"strings"
	"syscall"

	"sandbox/internal/lazy"

	"golang.org/x/sys/unix"
)

// errnoByName maps errno names to numbers, built from x/sys so the list
// matches the kernel headers x/sys was generated from. A few aliases the
// C library defines are accepted too. Built on first use: the 4095 lookups
// cost more than the rest of this package's start, and a profile that names
// no errno never needs them.
func errnoByName() map[string]int { return errnoByNameValue.Get() }

var errnoByNameValue = lazy.Value[map[string]int]{Make: func() map[string]int {
	m := map[string]int{}
	for n := 1; n < 4096; n++ {
		if name := unix.ErrnoName(syscall.Errno(n)); name != "" {
			m[name] = n
		}
	}
	// Each pair shares a number; x/sys names one of them.
	for _, pair := range [][2]string{
		{"EWOULDBLOCK", "EAGAIN"},
		{"EDEADLOCK", "EDEADLK"},
		{"ENOTSUP", "EOPNOTSUPP"},
	} {
		if n, ok := m[pair[0]]; ok {
			m[pair[1]] = n
		}
		if n, ok := m[pair[1]]; ok {
			m[pair[0]] = n
		}
	}
	return m
}}

// ErrnoNames returns every errno name an action may use, sorted.
func ErrnoNames() []string {
	byName := errnoByName()
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var actionWords = []string{"allow", "kill", "log", "trap"}

// ParseAction parses a seccomp action: "allow", "kill", "log", "trap", or
// an errno name such as "EPERM" for "fail with this errno".
func ParseAction(s string) (Action, error) {
	switch s {
	case "allow":
		return Action{Kind: ActAllow}, nil
	case "kill":
		return Action{Kind: ActKill}, nil
	case "log":
		return Action{Kind: ActLog}, nil
	case "trap":
		return Action{Kind: ActTrap}, nil
	case "errno", "ERRNO":
		return Action{}, fmt.Errorf(`"errno" needs a name: write the errno itself, such as "EPERM" or "ENOSYS"`)
	}
	if n, ok := errnoByName()[s]; ok {
		return Action{Kind: ActErrno, Errno: n, ErrnoName: unix.ErrnoName(syscall.Errno(n))}, nil
	}
	return Action{}, fmt.Errorf("unknown action %s%s", quote(s), actionSuggestion(s))
}

func actionSuggestion(s string) string {
	if lower := strings.ToLower(s); lower != s {
		for _, w := range actionWords {
			if w == lower {
				return `; did you mean "` + w + `"?`
			}
		}
	}
	if upper := strings.ToUpper(s); upper != s {
		if _, ok := errnoByName()[upper]; ok {
			return `; did you mean "` + upper + `"?`
		}
	}
	return suggestOr(s, append(append([]string(nil), actionWords...), ErrnoNames()...),
		`write "allow", "kill", "log", "trap" or an errno name such as "EPERM"`)
}
