package compile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sandbox/plan"
	"strings"
)

// What the payload sees as its working directory, read from a compiled
// plan: the chdir step, then the last mount of the view that covers the
// directory it names. The CLI tells the user before a launch when the
// directory they started from is not what the payload works in (a notice
// instead of a `git clone` that vanishes), and explain shows it; both read
// it here, from the plan the launch runs, not from a second copy of the
// mount rules.

// Cwd kinds: what the payload's working directory lies on.
const (
	CwdBind    = "bind"    // a bind of a host directory
	CwdTmpfs   = "tmpfs"   // a private tmpfs, gone on exit
	CwdOverlay = "overlay" // an overlay: writes go to its upper layer
	CwdRoot    = "root"    // the sandbox's own empty root
	CwdSpecial = "special" // /proc, /dev or a message queue filesystem
)

// CwdView is the payload's working directory as the plan makes it.
type CwdView struct {
	// Caller is the directory sandbox was started from, on the host.
	Caller string
	// Inside is the payload's working directory inside the sandbox.
	Inside string
	// Kind is what Inside lies on (CwdBind, CwdTmpfs, ...).
	Kind string
	// Source is the host directory shown at Inside, for a bind (and the
	// upper directory of an overlay with a persistent one); "" otherwise.
	Source string
	// Writable is whether the mount at Inside takes writes.
	Writable bool
	// Persistent is whether what the payload writes there reaches the
	// host (a writable bind, a persistent overlay upper).
	Persistent bool
	// Same is whether Inside shows the caller's own directory.
	Same bool
	// FellBack is true when the directory the plan names does not exist
	// inside and the payload starts in the chdir step's fallback.
	FellBack bool
	// Exists is whether the directory exists inside before the payload
	// runs.
	Exists bool
	// Step is the index in Plan.Steps of the mount Inside lies on, -1
	// for the empty root.
	Step int
}

// CwdOf reads the payload's working directory from plan, for a caller
// started in caller (a host path). stat is how it looks at the host (the
// caller's: this runs after the compile, for notices and explain).
func CwdOf(pl *plan.Plan, caller string, stat func(string) (fs.FileInfo, error)) CwdView {
	var ch plan.Chdir
	view := pl.Steps
	for i, s := range pl.Steps {
		if c, ok := s.(plan.Chdir); ok {
			ch = c
			view = pl.Steps[:i]
		}
	}
	dir := ch.Dir
	if dir == "" {
		dir = "/"
	}
	ll, hasLL := landlockOf(pl.Steps)
	v := cwdAt(view, dir, ll, hasLL, stat)
	if !v.Exists && ch.Fallback != "" {
		v = cwdAt(view, ch.Fallback, ll, hasLL, stat)
		v.FellBack = true
	}
	v.Caller = caller
	if v.Kind == CwdBind && caller != "" {
		v.Same = SameDir(stat, v.Source, caller)
	}
	return v
}

// PathIn is what the payload would find at dir, a path inside, before it
// runs: the same reading of the view as CwdOf, for another directory.
func PathIn(pl *plan.Plan, dir string, stat func(string) (fs.FileInfo, error)) CwdView {
	view := pl.Steps
	for i, s := range pl.Steps {
		if _, ok := s.(plan.Chdir); ok {
			view = pl.Steps[:i]
		}
	}
	ll, hasLL := landlockOf(pl.Steps)
	return cwdAt(view, filepath.Clean(dir), ll, hasLL, stat)
}

// Describe says what the directory is inside and what becomes of files
// written there, in words for a person.
func (v CwdView) Describe() string {
	switch v.Kind {
	case CwdBind:
		if v.Writable {
			return fmt.Sprintf("the host's %s, writable: files written there are kept", v.Source)
		}
		return fmt.Sprintf("the host's %s, read-only: files cannot be written there", v.Source)
	case CwdTmpfs:
		return "a private tmpfs: files written there are lost when the sandbox exits"
	case CwdOverlay:
		if v.Persistent {
			return fmt.Sprintf("an overlay whose changes are kept in %s", v.Source)
		}
		return "an overlay: files written there are lost when the sandbox exits"
	case CwdSpecial:
		return "a kernel filesystem of the sandbox: files cannot be kept there"
	}
	if v.Writable {
		return "the sandbox's own empty root: files written there are lost when the sandbox exits"
	}
	return "the sandbox's own empty root: files cannot be written there"
}

// cwdAt resolves dir against the view steps.
func cwdAt(view []plan.Step, dir string, ll plan.Landlock, hasLL bool, stat func(string) (fs.FileInfo, error)) CwdView {
	v := CwdView{Inside: dir, Kind: CwdRoot, Step: -1}
	at := -1
	target := "/"
	for i, s := range view {
		t, ok := coveringTarget(s)
		if ok && (t == dir || under(dir, t) || t == "/") {
			at, target = i, t
		}
	}
	rel := ""
	if dir != target {
		rel = strings.TrimPrefix(dir, strings.TrimSuffix(target, "/")+"/")
	}
	v.Step = at
	if at >= 0 {
		switch s := view[at].(type) {
		case plan.BindMount:
			v.Kind, v.Source = CwdBind, filepath.Join(s.Source, rel)
			v.Writable, v.Persistent = !s.ReadOnly, !s.ReadOnly
			fi, err := stat(v.Source)
			v.Exists = err == nil && fi.IsDir()
		case plan.Tmpfs:
			v.Kind, v.Writable = CwdTmpfs, true
		case plan.Overlay:
			v.Kind, v.Writable = CwdOverlay, true
			if s.Upper != "" {
				v.Source, v.Persistent = filepath.Join(s.Upper, rel), true
			}
			v.Exists = rel == ""
			for _, l := range s.Lower {
				if fi, err := stat(filepath.Join(l, rel)); err == nil && fi.IsDir() {
					v.Exists = true
				}
			}
		default:
			v.Kind = CwdSpecial
			v.Exists = rel == ""
		}
	}
	if v.Kind == CwdTmpfs || v.Kind == CwdRoot {
		// An empty filesystem holds only the mount points and
		// directories later steps make in it.
		v.Exists = rel == ""
		for _, s := range view[at+1:] {
			if t, ok := stepTarget(s); ok && (t == dir || under(t, dir)) {
				v.Exists = true
			}
		}
	}
	// A read-only remount at or above dir, after the mount, takes write
	// away; so does a read-only protection of dir itself.
	for _, s := range view[at+1:] {
		switch s := s.(type) {
		case plan.RemountReadOnly:
			if s.Target == dir || under(dir, s.Target) || s.Target == "/" {
				v.Writable, v.Persistent = false, false
			}
		case plan.Protect:
			if s.ReadOnly && (s.Target == dir || under(dir, s.Target)) {
				v.Writable, v.Persistent = false, false
			}
		}
	}
	switch {
	case v.Kind == CwdRoot:
		// The payload may own the empty root (uid 0 inside); only
		// Landlock keeps it from writing there.
		v.Writable = !hasLL
	case hasLL && !landlockWrites(ll, dir):
		v.Writable, v.Persistent = false, false
	}
	return v
}

// coveringTarget is where a step mounts a filesystem that replaces what was
// below it.
func coveringTarget(s plan.Step) (string, bool) {
	switch s := s.(type) {
	case plan.BindMount, plan.Tmpfs, plan.Proc, plan.Dev, plan.Mqueue, plan.Overlay:
		return mountTargetOf(s)
	}
	return "", false
}

// stepTarget is the path a step creates or mounts at, for the steps that
// make a directory on their way.
func stepTarget(s plan.Step) (string, bool) {
	switch s := s.(type) {
	case plan.Dir:
		return s.Target, true
	case plan.Symlink:
		return filepath.Dir(s.Target), true
	case plan.File:
		return filepath.Dir(s.Target), true
	}
	return coveringTarget(s)
}

// landlockWrites reports whether the ruleset lets the payload write in dir.
func landlockWrites(ll plan.Landlock, dir string) bool {
	best, write := "", false
	for _, p := range ll.Paths {
		if (p.Path == dir || under(dir, p.Path) || p.Path == "/") && len(p.Path) >= len(best) {
			best, write = p.Path, p.Write
		}
	}
	return write
}

// landlockOf finds the plan's Landlock step, when this kernel applies it.
func landlockOf(steps []plan.Step) (plan.Landlock, bool) {
	for _, s := range steps {
		if ll, ok := s.(plan.Landlock); ok && ll.ABI > 0 {
			return ll, true
		}
	}
	return plan.Landlock{}, false
}

// SameDir reports whether a and b are the same host directory, looked at
// with stat.
func SameDir(stat func(string) (fs.FileInfo, error), a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, err1 := stat(a)
	fb, err2 := stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
