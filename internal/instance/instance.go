// Package instance reads the records of running sandboxes that the
// launcher writes (launcher/instance.c) and decides which are alive.
//
// A record is never trusted blindly: it names a host pid and that pid's
// start time, and it counts only while a process with that pid and that
// start time exists. A record left by a launcher that was killed, or whose
// pid the kernel has since given to another process, is stale: it is
// pruned, so `sandbox stop` can never signal a stranger.
package instance

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

const magic = "sandbox-instance-1"

// Record is one running sandbox.
type Record struct {
	ID       string
	Name     string
	PID      int    // the sandbox's first process on the host (its init)
	Start    uint64 // PID's start time in clock ticks since boot
	Launcher int    // the launcher's pid
	Args     []string
	UID      int // the owner of the record: the user who launched it
	Path     string
}

// Parse reads a record's bytes (NUL-separated fields, instance.h).
func Parse(b []byte) (Record, error) {
	f := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	if len(f) < 6 || f[0] != magic {
		return Record{}, errors.New("not an instance record")
	}
	r := Record{ID: f[1], Name: f[2], Args: f[6:]}
	var err error
	if r.PID, err = strconv.Atoi(f[3]); err != nil || r.PID <= 0 {
		return Record{}, fmt.Errorf("bad pid %q", f[3])
	}
	if r.Start, err = strconv.ParseUint(f[4], 10, 64); err != nil {
		return Record{}, fmt.Errorf("bad start time %q", f[4])
	}
	if r.Launcher, err = strconv.Atoi(f[5]); err != nil {
		return Record{}, fmt.Errorf("bad launcher pid %q", f[5])
	}
	return r, nil
}

// StartTime is field 22 of /proc/PID/stat; ok is false when pid is gone.
func StartTime(pid int) (uint64, bool) {
	st, ok := Stat(pid)
	if !ok {
		return 0, false
	}
	return st.Start, true
}

// ProcStat is what ps needs of /proc/PID/stat.
type ProcStat struct {
	State byte
	PPID  int
	Start uint64
}

// Stat reads /proc/PID/stat.
func Stat(pid int) (ProcStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ProcStat{}, false
	}
	var s ProcStat
	s.State = f[0][0]
	s.PPID, _ = strconv.Atoi(f[1])
	s.Start, _ = strconv.ParseUint(f[19], 10, 64)
	return s, true
}

// Alive reports whether the record's process is still the one it names:
// same pid, same start time, and not a zombie waiting for its launcher.
func (r Record) Alive() bool {
	st, ok := Stat(r.PID)
	return ok && st.Start == r.Start && st.State != 'Z' && st.State != 'X'
}

// ownsPID: a user's record must name a process of that user. Root reads
// every user's records, and a user could otherwise write one naming a
// process of root's (with its true start time) for root to `stop`.
// Root's own records name sandboxes that run as any id.
func (r Record) ownsPID() bool {
	if r.UID == 0 {
		return true
	}
	// The real uid from status: /proc/PID itself is root's when the
	// process is not dumpable.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(v)
			return len(f) > 0 && f[0] == strconv.Itoa(r.UID)
		}
	}
	return false
}

// Dirs are the directories whose records the caller may see: its own
// (base/sandbox/instances), and for root every user's under /run/user.
func Dirs(base string, euid int) []string {
	var out []string
	if base != "" {
		out = append(out, filepath.Join(base, "sandbox", "instances"))
	}
	if euid == 0 {
		out = append(out, "/run/sandbox/instances")
		users, _ := filepath.Glob("/run/user/*/sandbox/instances")
		out = append(out, users...)
	}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, d := range out {
		if !seen[d] {
			seen[d] = true
			uniq = append(uniq, d)
		}
	}
	return uniq
}

// List reads the live records in dirs, oldest first, and removes the
// stale ones it may remove.
func List(dirs []string) []Record {
	var out []Record
	for _, r := range scan(dirs) {
		if !r.Alive() || !r.ownsPID() {
			// Pruned: the pid is gone or belongs to another
			// process now.
			_ = os.Remove(r.Path)
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// scan reads every record in dirs, live or not.
func scan(dirs []string) []Record {
	var out []Record
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
				continue
			}
			if r, ok := read(filepath.Join(d, e.Name())); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// ErrStale is Lookup's error for a record whose sandbox has ended.
var ErrStale = errors.New("its processes are gone")

// Lookup is Find that tells a sandbox that has ended under its record
// (its pid is gone, or now another process's) from one that never was:
// the stale record is removed, and named in the error.
func Lookup(dirs []string, key string) (Record, error) {
	var stale []Record
	for _, r := range scan(dirs) {
		if (r.ID == key || (r.Name != "" && r.Name == key)) && (!r.Alive() || !r.ownsPID()) {
			stale = append(stale, r)
		}
	}
	r, err := Find(dirs, key)
	if err != nil && len(stale) > 0 {
		s := stale[0]
		return s, fmt.Errorf("sandbox %s has ended: its record names pid %d, which is gone or is now another process (the stale record is removed): %w",
			key, s.PID, ErrStale)
	}
	return r, err
}

func read(p string) (Record, bool) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return Record{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() > 1<<20 {
		return Record{}, false
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && fi.Size() > 0 {
		return Record{}, false
	}
	r, err := Parse(b)
	if err != nil || r.ID != filepath.Base(p) {
		return Record{}, false
	}
	r.Path = p
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		r.UID = int(st.Uid)
	}
	return r, true
}

// Find returns the live instance whose id or name is key.
func Find(dirs []string, key string) (Record, error) {
	var hits []Record
	for _, r := range List(dirs) {
		if r.ID == key || (r.Name != "" && r.Name == key) {
			hits = append(hits, r)
		}
	}
	switch len(hits) {
	case 0:
		return Record{}, fmt.Errorf("no running sandbox has the id or name %q ('sandbox ps' lists them)", key)
	case 1:
		return hits[0], nil
	}
	return Record{}, fmt.Errorf("%d running sandboxes are named %q; use the id ('sandbox ps' lists them)", len(hits), key)
}

// Tree lists pid and its descendants, which are the processes of the
// sandbox: inside a pid namespace an orphan is re-parented to the
// namespace's init, which is pid, so nothing escapes the tree.
func Tree(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := Stat(n); ok {
			children[st.PPID] = append(children[st.PPID], n)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// RSS is the resident memory of pids in bytes.
func RSS(pids []int) uint64 {
	var sum uint64
	page := uint64(os.Getpagesize())
	for _, p := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/statm")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 1 {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			sum += n * page
		}
	}
	return sum
}
