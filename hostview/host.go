// Package hostview is the compiler's one view of the machine and the
// caller: ids, home, working directory, environment, and the files,
// stats and $PATH lookups a compile makes. Every look goes through a Host,
// which records it (PlanInputs), so that a cached plan is used only while
// everything it was compiled from is unchanged.
package hostview

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Host is what the compiler needs to know about the machine and the caller.
// The CLI fills it once; tests build it by hand.
type Host struct {
	UID, GID uint32 // the caller's real ids
	EUID     uint32 // 0 means the launcher runs as root
	User     string
	Home     string
	Cwd      string
	Env      []string     // the caller's environment, NAME=value
	SubUIDs  []SubIDRange // the caller's /etc/subuid grants
	SubGIDs  []SubIDRange // the caller's /etc/subgid grants
	// Passwd is the user database file a pkexec caller's group is
	// read from; "" means /etc/passwd.
	Passwd   string
	StatFunc func(string) (os.FileInfo, error) // nil means os.Stat
	// Lstat is how the protection of trusted files (compile/protect.go)
	// walks host paths without following links; nil means os.Lstat.
	LstatFunc func(string) (os.FileInfo, error)
	// LookPath finds a helper program the plan runs on the host (pasta,
	// slirp4netns, xdg-dbus-proxy); nil means exec.LookPath.
	LookPathFunc func(string) (string, error)
	// LandlockABI returns the kernel's Landlock ABI (0: none); nil
	// asks the kernel.
	LandlockABI func() int
	// Lenient turns what this machine lacks (a display socket, a
	// session bus, a helper program) into Plan.Warnings instead of
	// errors: `sandbox check` then validates a desktop profile on a
	// headless machine. A plan compiled leniently leaves those parts out.
	Lenient bool
	// Survey is `sandbox check`: it validates the profile, not the
	// directories of this machine, so a protection that needs host
	// files to exist first (compile/protect.go) is a warning there. A
	// launch never sets it: such a plan is refused.
	Survey bool
	// Sysfs is where the host's sysfs is mounted; "" means /sys. Tests
	// point it at a tree of their own.
	Sysfs string
	// Inputs, when set, records the host paths the compile consults,
	// for the plan cache (StorePlan).
	Inputs *PlanInputs
}

// SubIDRange is one line of /etc/subuid or /etc/subgid that names the caller.
type SubIDRange struct {
	Start, Count uint32
}

// Root reports whether the launcher runs as root.
func (h Host) Root() bool { return h.EUID == 0 }

// Stat follows links, recording the path.
func (h Host) Stat(path string) (os.FileInfo, error) {
	if h.StatFunc != nil {
		h.Inputs.ObservePresence(path)
		return h.StatFunc(path)
	}
	return h.Inputs.look(path, true, true)
}

// Lstat looks a host path up without following a final symlink; the plan
// depends on what it finds there.
func (h Host) Lstat(path string) (os.FileInfo, error) {
	if h.LstatFunc != nil {
		h.Inputs.ObservePresence(path)
		return h.LstatFunc(path)
	}
	return h.Inputs.look(path, true, false)
}

// Readlink reads a symlink; the plan depends on where it points.
func (h Host) Readlink(path string) (string, error) {
	h.Inputs.Observe(path)
	return os.Readlink(path)
}

// LookPath finds a program on $PATH.
func (h Host) LookPath(name string) (string, error) {
	// What $PATH finds may change without any file the plan names
	// changing; a plan that runs a helper is not cached.
	h.Inputs.Refuse("the plan runs a helper program found on $PATH")
	if h.LookPathFunc != nil {
		return h.LookPathFunc(name)
	}
	return exec.LookPath(name)
}

// SysfsRoot is where the host's sysfs is.
func (h Host) SysfsRoot() string {
	if h.Sysfs == "" {
		return "/sys"
	}
	return h.Sysfs
}

// The caller's environment is read only through Getenv and EnvMatching,
// which record what they read in Inputs: a cached plan is used only while
// those variables are as they were, and no other variable is part of its
// key (fast_env.c).

// Getenv looks a variable up in the caller's environment.
func (h Host) Getenv(name string) (string, bool) {
	h.Inputs.UseEnv(name)
	for _, kv := range h.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// EnvMatching returns the caller's variables, NAME=value, whose names
// match one of patterns (a name, or a prefix ending in "*"), in the
// caller's order.
func (h Host) EnvMatching(patterns []string) []string {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			h.Inputs.UseEnvPrefix(prefix)
		} else {
			h.Inputs.UseEnv(p)
		}
	}
	var out []string
	for _, kv := range h.Env {
		if name, _, ok := strings.Cut(kv, "="); ok && MatchesAny(name, patterns) {
			out = append(out, kv)
		}
	}
	return out
}

// PasswdGID returns the primary group the user database file gives uid.
// Only the file is read: a user another source knows (LDAP, SSSD) gets
// no group from it, and the caller then maps to the overflow group.
func (h Host) PasswdGID(uid uint32) (uint32, bool) {
	file := h.Passwd
	if file == "" {
		file = "/etc/passwd"
	}
	h.Inputs.Observe(file)
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	id := strconv.FormatUint(uint64(uid), 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// name:password:uid:gid:gecos:home:shell
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 4 || fields[2] != id {
			continue
		}
		gid, err := strconv.ParseUint(fields[3], 10, 32)
		if err != nil || gid > MaxID {
			return 0, false
		}
		return uint32(gid), true
	}
	return 0, false
}

// ReadSubIDs returns the ranges that file (/etc/subuid or /etc/subgid)
// grants to the user named name or to the numeric id. A missing file grants
// nothing.
func ReadSubIDs(file, name string, id uint32) ([]SubIDRange, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading subordinate ids: %w", err)
	}
	defer f.Close()
	return parseSubIDs(f, name, id)
}

func parseSubIDs(r io.Reader, name string, id uint32) ([]SubIDRange, error) {
	var out []SubIDRange
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ":")
		if len(fields) != 3 {
			continue
		}
		if fields[0] != name && fields[0] != strconv.FormatUint(uint64(id), 10) {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 {
			continue
		}
		out = append(out, SubIDRange{Start: uint32(start), Count: uint32(count)})
	}
	return out, sc.Err()
}

// MaxID is the largest valid id: 2^32-1 is (uid_t)-1, "no id".
const MaxID = 1<<32 - 2

// MatchesAny reports whether name matches one of patterns (see Match).
func MatchesAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if Match(p, name) {
			return true
		}
	}
	return false
}

// Match reports whether name matches pattern, where a trailing "*" matches
// any suffix ("LC_*").
func Match(pattern, name string) bool {
	if strings.HasSuffix(pattern, "*") {
		return strings.HasPrefix(name, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == name
}

// ReadDir lists a directory; the plan depends on the listing.
func (h Host) ReadDir(path string) ([]os.DirEntry, error) {
	h.Inputs.Observe(path)
	return os.ReadDir(path)
}

// Open opens a file to read; the plan depends on its content.
func (h Host) Open(path string) (*os.File, error) {
	h.Inputs.Observe(path)
	return os.Open(path)
}

// ReadFile reads a file; the plan depends on its content.
func (h Host) ReadFile(path string) ([]byte, error) {
	h.Inputs.Observe(path)
	return os.ReadFile(path)
}

// Hostname is the host's name. No file's identity shows it, so a plan
// that depends on it is not cached.
func (h Host) Hostname() (string, error) {
	h.Inputs.Refuse("the plan depends on the host name")
	return os.Hostname()
}
