package hostview

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// PlanInputs records what on the host a plan was compiled from, so that a
// cached plan is used only while all of it is unchanged (fast_lookup.c).
// The profile loader (profile.Source.Observe) and the compiler (Host.Inputs)
// report every host path before they consult it; a path is recorded by its
// lstat and stat results at that moment, so that a file changed after it
// was read no longer matches, and a file that appears where a search found
// none does not either. What cannot be checked that way (a program found
// on $PATH, the host name) makes the plan not cacheable.
//
// A nil *PlanInputs records nothing.
type PlanInputs struct {
	mu      sync.Mutex
	deps    []Dep
	seen    map[string]int // path -> index in deps
	refused string
	// envUsed are the caller's variables the plan depends on: each name
	// the profile's load or the compile looked up, and each prefix
	// ("LC_*") the payload's environment passes, "*" for all of it.
	envUsed map[string]bool
}

// Dep is one host path and what it looked like.
type Dep struct {
	Path    string
	Lst, St FileStat
	// Presence: the plan depends only on whether the path exists and
	// its type (SBX_DEP_PRESENCE).
	Presence bool

	// What the two calls returned, for the looks of the load and the
	// compile that follow (look).
	lst, st       syscall.Stat_t
	lstErr, stErr error
}

// FileStat is the part of stat(2) that changes whenever a file's content,
// metadata or identity does: ctime cannot be set back by the file's owner.
type FileStat struct {
	Err                 syscall.Errno
	Mode                uint32
	Dev, Ino, Size      uint64
	MtimeSec, MtimeNsec int64
	CtimeSec, CtimeNsec int64
}

// StatOf keeps what the plan cache compares of a stat(2) result or its
// error.
func StatOf(st *syscall.Stat_t, err error) FileStat {
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = syscall.EIO
		}
		return FileStat{Err: errno}
	}
	return FileStat{Mode: st.Mode, Dev: st.Dev, Ino: st.Ino, Size: uint64(st.Size),
		MtimeSec: st.Mtim.Sec, MtimeNsec: st.Mtim.Nsec, CtimeSec: st.Ctim.Sec, CtimeNsec: st.Ctim.Nsec}
}

// Observe records path, about to be read: the plan depends on its
// content.
func (in *PlanInputs) Observe(path string) { in.observe(path, false) }

// ObservePresence records path, about to be checked for existence and
// type only (a bind source, a socket): a plan binding a directory does not
// depend on what is in it.
func (in *PlanInputs) ObservePresence(path string) { in.observe(path, true) }

// planRacyWindow is how recently a file may have changed for a plan
// compiled from it to be cached. A file's times advance in ticks of the
// kernel's coarse clock (and coarser on some filesystems): a file changed
// twice within one tick, same size, with the plan compiled in between,
// would look unchanged. A plan is therefore cached only once every file
// it read has been still for longer than that.
const planRacyWindow = time.Second

func (in *PlanInputs) observe(path string, presence bool) { in.record(path, presence) }

// record records path and returns what it found there: at the path's first
// look, or at the one that made it a content dependency. ok is false when
// nothing was recorded.
func (in *PlanInputs) record(path string, presence bool) (d Dep, ok bool) {
	if in == nil {
		return Dep{}, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	// The first look stands, except that a path first checked for
	// presence and then read becomes a content dependency.
	at, seen := in.seen[path]
	if seen && (presence || !in.deps[at].Presence) {
		return in.deps[at], true
	}
	if len(path) == 0 || len(in.deps) >= planMaxInputs {
		in.refused = "the plan was compiled from too many files"
		return Dep{}, false
	}
	for i := 0; i < len(path); i++ {
		if path[i] == 0 {
			in.refused = "a path contains a NUL byte"
			return Dep{}, false
		}
	}
	d = Dep{Path: path, Presence: presence}
	d.lstErr = ignoringEINTR(func() error { return syscall.Lstat(path, &d.lst) })
	d.Lst = StatOf(&d.lst, d.lstErr)
	// stat(2) of a path that is not a symlink finds what lstat(2) found:
	// a second call would cost a system call for nothing (here, and on
	// the cached path's check, fast_lookup.c). An error is the same
	// error either way.
	if d.lstErr == nil && d.lst.Mode&syscall.S_IFMT == syscall.S_IFLNK {
		d.stErr = ignoringEINTR(func() error { return syscall.Stat(path, &d.st) })
	} else {
		d.st, d.stErr = d.lst, d.lstErr
	}
	d.St = StatOf(&d.st, d.stErr)
	if seen {
		in.deps[at] = d
	} else {
		if in.seen == nil {
			in.seen = map[string]int{}
		}
		in.seen[path] = len(in.deps)
		in.deps = append(in.deps, d)
	}
	if !presence && (d.Lst.recent() || d.St.recent()) && in.refused == "" {
		in.refused = "a file the plan was compiled from changed less than a second ago: " + path
	}
	return d, true
}

// ignoringEINTR retries a call a signal interrupted, as package os does.
func ignoringEINTR(call func() error) error {
	for {
		if err := call(); err != syscall.EINTR {
			return err
		}
	}
}

// recent reports whether the file changed within planRacyWindow (or
// claims a time in the future).
func (s FileStat) recent() bool {
	if s.Err != 0 {
		return false
	}
	limit := time.Now().Add(-planRacyWindow)
	return !time.Unix(s.MtimeSec, s.MtimeNsec).Before(limit) || !time.Unix(s.CtimeSec, s.CtimeNsec).Before(limit)
}

// planMaxInputs bounds the paths one plan depends on (the reader's bound is
// larger).
const planMaxInputs = 4096

// UseEnv records that the load or the compile looked the caller's
// variable name up: the plan depends on its value, or its absence.
func (in *PlanInputs) UseEnv(name string) { in.useEnv(name) }

// UseEnvPrefix records that every variable whose name starts with prefix
// reaches the plan (the payload's environment keeps "LC_*"); "" is the
// whole environment.
func (in *PlanInputs) UseEnvPrefix(prefix string) { in.useEnv(prefix + "*") }

func (in *PlanInputs) useEnv(item string) {
	if in == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	// The cache file lists the names NUL-terminated, and tells a name
	// from a value by its '=' (fast_env.c): a name the file cannot hold
	// makes the plan one the cache cannot check.
	if item == "" || strings.ContainsAny(item, "=\x00\x01") {
		if in.refused == "" {
			in.refused = "the plan depends on a variable whose name the cache cannot record"
		}
		return
	}
	if in.envUsed == nil {
		in.envUsed = map[string]bool{}
	}
	in.envUsed[item] = true
}

// EnvUsed lists, sorted, the variables the plan depends on: names, and
// prefixes ending in "*" ("*" alone: the whole environment).
func (in *PlanInputs) EnvUsed() []string {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]string, 0, len(in.envUsed))
	for name := range in.envUsed {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Refuse marks the plan as not cacheable, saying why.
func (in *PlanInputs) Refuse(why string) {
	if in == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.refused == "" {
		in.refused = why
	}
}

// Refused says why the plan must not be cached; "" when it may be.
func (in *PlanInputs) Refused() string {
	if in == nil {
		return ""
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.refused
}

// Deps returns the host paths recorded so far, in the order first seen.
func (in *PlanInputs) Deps() []Dep {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Dep(nil), in.deps...)
}
