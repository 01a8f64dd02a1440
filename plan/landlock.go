package plan

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Landlock restricts the payload's file access to what the mount view
// declares, a second wall should a mount be loosened or a nested
// namespace build a view of its own (compile/landlock.go). It is applied
// by the payload just before seccomp, on the same thread, and is
// inherited by everything the payload starts.
//
// The masks are what the plan asks for; the child keeps the part the
// running kernel knows (best effort by ABI) and fails only below
// Require, so a cached plan stays valid on an older or newer kernel.
type Landlock struct {
	From
	// ABI is the Landlock ABI this machine offered when the plan was
	// compiled, for explain.
	ABI int `json:"abi"`
	// Require is the minimum ABI; below it the launch fails.
	Require int `json:"require,omitempty"`
	// HandledFS and HandledNet are the access rights the ruleset
	// handles (denies unless a rule grants them); Scoped are the
	// LANDLOCK_SCOPE_* flags.
	HandledFS  uint64 `json:"handled_fs"`
	HandledNet uint64 `json:"handled_net,omitempty"`
	Scoped     uint64 `json:"scoped,omitempty"`
	// Paths are the path rules, each path once.
	Paths []LandlockPath `json:"paths"`
	// Ports are the TCP port rules.
	Ports []LandlockPort `json:"ports,omitempty"`
	// Missing says, one line per feature this machine's kernel lacks,
	// what the sandbox goes without; for explain.
	Missing []string `json:"missing,omitempty"`
}

// LandlockPath grants Access beneath Path (a path inside the sandbox).
type LandlockPath struct {
	Path   string `json:"path"`
	Access uint64 `json:"access"`
	// Write says whether Access includes the write rights, for
	// explain.
	Write bool `json:"write"`
	// Required fails the launch when Path is missing inside (the
	// profile's own rules); a rule derived from an optional mount is
	// skipped when the mount was.
	Required bool `json:"required,omitempty"`
}

// LandlockPort grants Access (bind, connect) to one TCP port.
type LandlockPort struct {
	Port   uint16 `json:"port"`
	Access uint64 `json:"access"`
}

func (Landlock) Kind() string { return "landlock" }

func (s Landlock) Describe() string {
	var rw, ro []string
	for _, p := range s.Paths {
		if p.Write {
			rw = append(rw, p.Path)
		} else {
			ro = append(ro, p.Path)
		}
	}
	d := fmt.Sprintf("apply the Landlock ruleset (kernel ABI %d): read and execute beneath %s", s.ABI, strings.Join(ro, ", "))
	if len(rw) > 0 {
		d += "; write beneath " + strings.Join(rw, ", ")
	}
	d += "; nothing elsewhere, and no mounts"
	if s.Scoped != 0 {
		d += "; signals and abstract unix sockets reach nothing outside the sandbox"
	}
	if len(s.Ports) > 0 {
		var ps []string
		for _, p := range s.Ports {
			ps = append(ps, fmt.Sprintf("%d/%s", p.Port, portAccessWords(p.Access)))
		}
		d += "; TCP only to " + strings.Join(ps, ", ")
	}
	if s.Require > 0 {
		d += fmt.Sprintf("; fails below ABI %d", s.Require)
	}
	for _, m := range s.Missing {
		d += "; missing " + m
	}
	return d
}

// portAccessWords names a port rule's rights.
func portAccessWords(a uint64) string {
	var w []string
	if a&unix.LANDLOCK_ACCESS_NET_CONNECT_TCP != 0 {
		w = append(w, "connect")
	}
	if a&unix.LANDLOCK_ACCESS_NET_BIND_TCP != 0 {
		w = append(w, "bind")
	}
	return strings.Join(w, "+")
}
