// Package review compares and grades compiled sandboxes for people who
// review profiles: Diff lists what changed between two plans, each change
// a tightening or a loosening, and Score sums what a plan exposes into one
// grade. Both read the launcher.Plan, never the profile text, so a change
// hidden in a base layer or a variable counts like any other.
package review

import (
	"fmt"
	"sort"
	"strings"
	"syscall"

	"sandbox/plan"
)

// Item is one thing a plan exposes, with its weight and the profile line
// that causes it.
type Item struct {
	Key    string      `json:"key"`
	Weight int         `json:"weight"`
	Text   string      `json:"text"`
	At     plan.Origin `json:"at"`
}

// Score is a plan's exposure: the items, their sum and a grade from A
// (little exposed) to F.
type Score struct {
	Total int    `json:"total"`
	Grade string `json:"grade"`
	Items []Item `json:"items"`
}

// Weights of what a sandbox can expose, in the spirit of
// `systemd-analyze security`: what a compromised payload gains.
const (
	weightSeccompOff     = 30 // every syscall reaches the kernel
	weightHostNetwork    = 25 // the host's interfaces, its loopback services
	weightNATNetwork     = 10 // the internet, not the host's loopback
	weightHomeWritable   = 25 // start-up files, keys: persistence
	weightHomeReadOnly   = 10 // secrets readable
	weightX11            = 20 // keystrokes and screen of every X client
	weightWayland        = 8
	weightSessionBus     = 10 // the session's services, through the proxy
	weightSystemBus      = 5
	weightDesktopOther   = 4 // sound, GPU, portals
	weightNestedUserns   = 15
	weightCapability     = 5 // each kept capability
	weightCapSysAdmin    = 25
	weightNoNNP          = 10
	weightHostPID        = 10
	weightHostIPC        = 5
	weightTerminalInject = 10
	weightHostWritable   = 5 // each writable bind outside home
	weightHostRoot       = 30
	weightDevices        = 10
)

// Grade turns a total into a letter.
func Grade(total int) string {
	switch {
	case total < 10:
		return "A"
	case total < 25:
		return "B"
	case total < 50:
		return "C"
	case total < 80:
		return "D"
	}
	return "F"
}

// ScorePlan grades a plan. home is the caller's home directory, whose
// binds weigh more than other host paths.
func ScorePlan(pl *plan.Plan, home string) Score {
	var items []Item
	add := func(key string, w int, at plan.Origin, format string, args ...any) {
		items = append(items, Item{Key: key, Weight: w, Text: fmt.Sprintf(format, args...), At: at})
	}
	flags := pl.CloneFlags
	if flags&syscall.CLONE_NEWNET == 0 {
		add("network", weightHostNetwork, plan.Origin{}, "the host's network namespace is shared: every interface and the host's loopback services")
	} else if pl.NAT != nil {
		add("network", weightNATNetwork, pl.NAT.At, "outbound network through %s", pl.NAT.Backend)
	}
	if flags&syscall.CLONE_NEWPID == 0 {
		add("namespaces.pid", weightHostPID, plan.Origin{}, "the host's processes are visible")
	}
	if flags&syscall.CLONE_NEWIPC == 0 {
		add("namespaces.ipc", weightHostIPC, plan.Origin{}, "the host's System V IPC and POSIX queues are shared")
	}
	if pl.IDs != nil {
		for _, r := range pl.IDs.UIDMap {
			if r.Outside == 0 {
				add("identity.host_root", weightHostRoot, pl.IDs.At, "the sandbox's uid %d is host root", r.Inside)
			}
		}
	}
	var seccomp *plan.Seccomp
	nnp := false
	for _, st := range pl.Steps {
		switch st := st.(type) {
		case plan.BindMount:
			scoreBind(st, home, add)
		case plan.Capabilities:
			for _, n := range st.Names {
				w := weightCapability
				if strings.EqualFold(n, "sys_admin") || strings.EqualFold(n, "cap_sys_admin") {
					w = weightCapSysAdmin
				}
				add("capabilities.keep", w, st.At, "capability %s is kept", n)
			}
		case plan.NoNewPrivs:
			nnp = true
		case plan.Seccomp:
			s := st
			seccomp = &s
			for _, l := range st.Summary {
				if strings.Contains(l, "allow_terminal_injection") {
					add("seccomp.allow_terminal_injection", weightTerminalInject, st.At, "TIOCSTI and TIOCLINUX can push input into the caller's terminal")
				}
				if strings.HasPrefix(l, "process.nested_user_namespaces") {
					add("process.nested_user_namespaces", weightNestedUserns, st.At, "the payload can create user namespaces and mount")
				}
			}
		}
	}
	if seccomp == nil {
		add("seccomp.policy", weightSeccompOff, plan.Origin{}, "no seccomp filter: every system call reaches the kernel")
	}
	if !nnp {
		add("process.no_new_privs", weightNoNNP, plan.Origin{}, "setuid programs and file capabilities can raise privileges")
	}
	for _, d := range pl.Desktop {
		switch {
		case d.Key == "desktop.x11":
			add(d.Key, weightX11, d.At, "the X server: %s", d.Description)
		case d.Key == "desktop.wayland":
			add(d.Key, weightWayland, d.At, "the Wayland compositor")
		case strings.HasPrefix(d.Key, "desktop.dbus") || strings.HasPrefix(d.Key, "dbus"):
		default:
			add(d.Key, weightDesktopOther, d.At, "%s", d.Description)
		}
	}
	if pl.DBusProxy != nil {
		for _, b := range pl.DBusProxy.Buses {
			w := weightSessionBus
			if b.Bus == "system" {
				w = weightSystemBus
			}
			add("dbus."+b.Bus, w, b.At, "the %s bus, filtered: %s", b.Bus, strings.Join(b.Rules, " "))
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Weight > items[j].Weight })
	total := 0
	for _, it := range items {
		total += it.Weight
	}
	if items == nil {
		items = []Item{}
	}
	return Score{Total: total, Grade: Grade(total), Items: items}
}

// scoreBind weighs one bind of a host path.
func scoreBind(st plan.BindMount, home string, add func(string, int, plan.Origin, string, ...any)) {
	inHome := home != "" && home != "/" && (st.Source == home || strings.HasPrefix(st.Source, strings.TrimSuffix(home, "/")+"/"))
	switch {
	case st.Devices:
		add("mount", weightDevices, st.At, "device nodes of %s are usable", st.Source)
	case inHome && !st.ReadOnly:
		add("mount", weightHomeWritable, st.At, "%s (home) is writable", st.Source)
	case inHome:
		add("mount", weightHomeReadOnly, st.At, "%s (home) is readable", st.Source)
	case !st.ReadOnly:
		add("mount", weightHostWritable, st.At, "%s is writable", st.Source)
	}
}
