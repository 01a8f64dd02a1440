package launcher

import (
	"errors"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
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
	deps    []planInput
	seen    map[string]bool
	refused string
}

// planInput is one host path and what it looked like.
type planInput struct {
	path    string
	lst, st planStat
}

// planStat is the part of stat(2) that changes whenever a file's content,
// metadata or identity does: ctime cannot be set back by the file's owner.
type planStat struct {
	err                 syscall.Errno
	mode                uint32
	dev, ino, size      uint64
	mtimeSec, mtimeNsec int64
	ctimeSec, ctimeNsec int64
}

func planStatOf(st *unix.Stat_t, err error) planStat {
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = syscall.EIO
		}
		return planStat{err: errno}
	}
	return planStat{mode: st.Mode, dev: st.Dev, ino: st.Ino, size: uint64(st.Size),
		mtimeSec: st.Mtim.Sec, mtimeNsec: st.Mtim.Nsec, ctimeSec: st.Ctim.Sec, ctimeNsec: st.Ctim.Nsec}
}

// Observe records path, about to be consulted.
func (in *PlanInputs) Observe(path string) {
	if in == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seen[path] {
		return
	}
	if in.seen == nil {
		in.seen = map[string]bool{}
	}
	in.seen[path] = true
	if len(path) == 0 || len(in.deps) >= planMaxInputs {
		in.refused = "the plan was compiled from too many files"
		return
	}
	for i := 0; i < len(path); i++ {
		if path[i] == 0 {
			in.refused = "a path contains a NUL byte"
			return
		}
	}
	var lst, st unix.Stat_t
	d := planInput{path: path}
	d.lst = planStatOf(&lst, unix.Lstat(path, &lst))
	d.st = planStatOf(&st, unix.Stat(path, &st))
	in.deps = append(in.deps, d)
}

// planMaxInputs bounds the paths one plan depends on (the reader's bound is
// larger).
const planMaxInputs = 4096

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
