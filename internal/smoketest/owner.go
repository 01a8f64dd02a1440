package smoketest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"sandbox/plan"
	"sandbox/profile"
)

// A sandbox that root starts runs as an unprivileged host id (checklist
// R1), which may not write what root creates. So that a smoke test passes
// as root as it does for a user, `sandbox test` gives that id the
// directories the test works in: the scratch project, and what the test's
// setup created where the profile binds a writable directory. Nothing that
// existed before the setup changes owner.

// smokeWritableSources lists the host paths the profile binds writable
// that do not exist yet: those the test's setup may create.
func smokeWritableSources(p *profile.Profile) []string {
	var out []string
	for _, m := range p.Filesystem.Mounts {
		writable := m.Type == profile.MountBind || (m.Type == profile.MountDevBind && m.Writable)
		if !writable || m.Source == "" {
			continue
		}
		if _, err := os.Lstat(m.Source); errors.Is(err, fs.ErrNotExist) {
			out = append(out, m.Source)
		}
	}
	return out
}

// smokeGiveToSandbox makes the directories in dirs (the project and the
// test's scratch home, not what is in them) and the paths in created that
// now exist the payload's own on the host, for a root launcher whose plan
// maps to another id. Links are never followed: only what the test made
// is changed.
func smokeGiveToSandbox(pl *plan.Plan, dirs []string, created []string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, ok := pl.HostIDs()
	if !ok {
		return nil
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if err := os.Lchown(d, int(uid), int(gid)); err != nil {
			return err
		}
	}
	if uid == 0 {
		return nil
	}
	for _, root := range created {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll // the setup did not make it
			}
			if err != nil {
				return err
			}
			return os.Lchown(path, int(uid), int(gid))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// smokeOutputOwner is the host ids the output pipe of a root launch's
// sandbox belongs to: the payload's, when they are not root's; nil
// otherwise (the launcher's own pipe then serves).
func smokeOutputOwner(pl *plan.Plan) *[2]uint32 {
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, ok := pl.HostIDs()
	if !ok || uid == 0 {
		return nil
	}
	return &[2]uint32{uid, gid}
}
