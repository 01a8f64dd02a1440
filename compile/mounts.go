package compile

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
)

// maxCopySize bounds a `file` entry that copies a host file: the copy is
// made inside the sandbox at setup, and a huge or endless source must not
// stall the launch.
const maxCopySize = 16 << 20

// mountSteps turns the profile's ordered filesystem view into steps,
// checking on the host what the profile language cannot: that sources exist
// and have a type the entry can use.
func (c *compiler) mountSteps() []plan.Step {
	var out []plan.Step
	for _, m := range c.p.Filesystem.Mounts {
		key := mountKey(m)
		from := plan.From{At: plan.Origin(m.At)}
		switch m.Type {
		case profile.MountBind, profile.MountROBind, profile.MountDevBind:
			if m.Home {
				// Each launch looks for a running sandbox with this
				// home first (cmd/sandbox home_running.go), which the
				// fast path cannot.
				c.h.Inputs.Refuse("a persistent home: each launch first looks for a running sandbox that has it")
			}
			if m.Home && c.homeMissing(m) {
				// The launch creates it (cmd/sandbox home.go) after
				// the compile has said whose it is; explain shows it
				// as it will be.
				out = append(out, plan.BindMount{From: from, Source: m.Source, Target: m.Target})
				continue
			}
			if !c.checkSource(m, key+".source", m.Source) {
				continue
			}
			out = append(out, plan.BindMount{From: from, Source: m.Source, Target: m.Target,
				ReadOnly: readOnlyBind(m), Devices: m.Type == profile.MountDevBind, Optional: m.Optional})
		case profile.MountTmpfs:
			out = append(out, plan.Tmpfs{From: from, Target: m.Target, Size: m.Size, Mode: m.Perm()})
		case profile.MountProc:
			// Without a pid namespace the profile is refused
			// (check proc-needs-pid).
			out = append(out, plan.Proc{From: from, Target: m.Target})
		case profile.MountDev:
			out = append(out, plan.Dev{From: from, Target: m.Target})
		case profile.MountMqueue:
			// Without an ipc namespace the profile is refused
			// (check mqueue-needs-ipc).
			out = append(out, plan.Mqueue{From: from, Target: m.Target})
		case profile.MountOverlay:
			if st, ok := c.overlay(m, key); ok {
				out = append(out, st)
			}
		case profile.MountSymlink:
			out = append(out, plan.Symlink{From: from, Target: m.Target, LinkTo: m.LinkTo})
		case profile.MountDir:
			out = append(out, plan.Dir{From: from, Target: m.Target, Mode: m.Perm()})
		case profile.MountFile:
			if st, ok := c.file(m, key); ok {
				out = append(out, st)
			}
		case profile.MountRemountRO:
			out = append(out, plan.RemountReadOnly{From: from, Target: m.Target})
		default:
			c.fail(m.At, key+".type", "unknown mount type %q", m.Type)
		}
	}
	return out
}

// checkSource reports whether a bind source can be used. A missing source
// is an error unless the entry is optional, in which case it is dropped
// here, before launch (B5).
func (c *compiler) checkSource(m profile.Mount, key, src string) bool {
	_, err := c.h.Stat(src)
	switch {
	case err == nil:
		return true
	case os.IsNotExist(err) && m.Optional:
		return false
	case os.IsNotExist(err) && m.At.File == profile.CommandLineFile:
		// A flag has no optional = true to add.
		c.fail(m.At, key, "%s does not exist on this machine", src)
	case os.IsNotExist(err):
		c.fail(m.At, key, "%s does not exist on this machine; fix the path or add optional = true to skip it when missing", src)
	case os.IsPermission(err):
		c.fail(m.At, key, "%s cannot be reached by %s (permission denied); bind a path you can read", src, c.who())
	default:
		c.fail(m.At, key, "cannot use %s: %v", src, err)
	}
	return false
}

// homeMissing reports whether the persistent home is not there yet. The
// lookup is recorded, so that a plan cached while it was missing is not
// used once it exists, nor one cached while it existed once it is gone.
// Anything but a directory there is refused: a link planted by a sandbox
// that could write the homes directory would otherwise make the next
// launch bind whatever it points to (~/.ssh) as a writable home.
func (c *compiler) homeMissing(m profile.Mount) bool {
	fi, err := c.h.Lstat(m.Source)
	switch {
	case os.IsNotExist(err):
		return true
	case err != nil:
		c.fail(m.At, "filesystem.persistent_home", "cannot use the persistent home %s: %v", m.Source, err)
	case !fi.IsDir():
		c.fail(m.At, "filesystem.persistent_home", "the persistent home %s is a %s, not a directory; remove it and launch again to get a new, empty home", m.Source, fileKind(fi.Mode()))
	}
	return false
}

func (c *compiler) who() string {
	if c.h.User != "" {
		return c.h.User
	}
	return fmt.Sprintf("uid %d", c.h.UID)
}

func (c *compiler) overlay(m profile.Mount, key string) (plan.Overlay, bool) {
	var lower []string
	for j, l := range m.Lower {
		if c.checkSource(m, fmt.Sprintf("%s.lower[%d]", key, j), l) {
			lower = append(lower, l)
		}
	}
	if len(lower) == 0 {
		// Every lower dir is missing: an error was reported, or the
		// entry is optional and is skipped.
		return plan.Overlay{}, false
	}
	for _, d := range []struct{ k, p string }{{"upper", m.Upper}, {"work", m.Work}} {
		if d.p == "" {
			continue
		}
		fi, err := c.h.Stat(d.p)
		if err != nil || !fi.IsDir() {
			c.fail(m.At, key+"."+d.k, "%s must be an existing directory on the host; create it first (mkdir -p %s)", d.p, d.p)
		}
	}
	return plan.Overlay{From: plan.From{At: plan.Origin(m.At)}, Target: m.Target, Lower: lower, Upper: m.Upper, Work: m.Work, Size: m.Size}, true
}

// file builds a File step. A copy source must be a regular file of bounded
// size: a FIFO or device would block or never end (B6).
func (c *compiler) file(m profile.Mount, key string) (plan.File, bool) {
	st := plan.File{From: plan.From{At: plan.Origin(m.At)}, Target: m.Target, Mode: m.Perm(), Optional: m.Optional}
	if m.Content != nil {
		st.Content = []byte(*m.Content)
		return st, true
	}
	if !c.checkSource(m, key+".source", m.Source) {
		return plan.File{}, false
	}
	// The size checked here is the file's: its content matters, not
	// only its presence.
	c.h.Inputs.Observe(m.Source)
	fi, err := c.h.Stat(m.Source)
	if err != nil {
		return plan.File{}, false
	}
	if !fi.Mode().IsRegular() {
		c.fail(m.At, key+".source", "%s is a %s, not a regular file; a file entry copies regular files only (use a bind to expose it)", m.Source, fileKind(fi.Mode()))
		return plan.File{}, false
	}
	if fi.Size() > maxCopySize {
		c.fail(m.At, key+".source", "%s is %d bytes; a file entry copies at most %d bytes (bind it instead)", m.Source, fi.Size(), maxCopySize)
		return plan.File{}, false
	}
	st.CopyFrom = m.Source
	return st, true
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

// chdir picks the working directory: the profile's, else the caller's when
// a mount makes it visible inside, else HOME, else "/".
func (c *compiler) chdir(env []string) plan.Step {
	if d := c.p.Filesystem.Cwd; d != "" {
		return plan.Chdir{From: plan.From{At: plan.Origin(c.origin("filesystem.cwd"))}, Dir: d}
	}
	home, _ := plan.LookupEnv(env, "HOME")
	for _, d := range []string{c.h.Cwd, home} {
		if d != "" && c.visible(d) {
			return plan.Chdir{Dir: d, Fallback: "/"}
		}
	}
	return plan.Chdir{Dir: "/"}
}

// visible reports whether dir lies under a mount target of the view.
func (c *compiler) visible(dir string) bool {
	for _, m := range c.p.Filesystem.Mounts {
		switch m.Type {
		case profile.MountSymlink, profile.MountFile, profile.MountRemountRO:
			continue
		}
		if m.Target == "/" || dir == m.Target || strings.HasPrefix(dir, strings.TrimSuffix(m.Target, "/")+"/") {
			return path.IsAbs(dir)
		}
	}
	return false
}

// readOnlyBind reports whether a bind entry is mounted read-only: a
// ro-bind, and a dev-bind unless the profile says writable = true. Device
// nodes in a read-only mount still work (the kernel needs no write access
// to the mount for I/O on a node), but their modes, owners, times and
// attributes, which are the host's, cannot be changed (R2).
func readOnlyBind(m profile.Mount) bool {
	return m.Type == profile.MountROBind || (m.Type == profile.MountDevBind && !m.Writable)
}

// mountKey names a [[mount]] entry in messages as every profile error
// does: its index among its own file's entries (profile.Mount.Key), not
// its place in the merged list.
func mountKey(m profile.Mount) string {
	if m.Key != "" {
		return m.Key
	}
	return "mount"
}
