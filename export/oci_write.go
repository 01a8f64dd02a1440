package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// WriteOCI writes the bundle into dir, which must not exist or be empty:
// config.json, rootfs with the plan's own entries and the mount points,
// and the files the plan creates with inline content.
//
// Nothing is written through a symlink: the plan puts symlinks into rootfs
// (/bin -> usr/bin, and a profile may add absolute ones), and following one
// while creating a mount point would create directories on the host, with
// the rights of whoever exports (often root). A mount point behind a
// symlink is left to the runtime, which resolves it inside rootfs.
func WriteOCI(dir string, b *OCIBundle) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("export oci: %s exists and is not empty; give a new directory", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("export oci: %w", err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return fmt.Errorf("export oci: %w", err)
	}
	for _, e := range b.Root {
		parent, ok, err := mkdirInside(rootfs, filepath.Dir(e.Path))
		if err != nil {
			return fmt.Errorf("export oci: rootfs %s: %w", e.Path, err)
		}
		if !ok {
			continue
		}
		p := filepath.Join(parent, filepath.Base(e.Path))
		if _, err := os.Lstat(p); err == nil {
			continue // already there (a directory made for an earlier entry)
		}
		switch {
		case e.LinkTo != "":
			err = os.Symlink(e.LinkTo, p)
		case e.Dir:
			if err = os.Mkdir(p, 0o700); err == nil {
				err = os.Chmod(p, e.Mode)
			}
		default:
			err = writeNew(p, e.Content, e.Mode)
		}
		if err != nil {
			return fmt.Errorf("export oci: rootfs %s: %w", e.Path, err)
		}
	}
	for name, content := range b.Files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("export oci: %s: %w", name, err)
		}
		if err := writeNew(p, content, 0o644); err != nil {
			return fmt.Errorf("export oci: %s: %w", name, err)
		}
	}
	// Sources relative to the bundle are resolved by the runtime from its
	// working directory; make them absolute so any caller works.
	for i, m := range b.Spec.Mounts {
		if m.Type == "bind" && !filepath.IsAbs(m.Source) {
			abs, err := filepath.Abs(filepath.Join(dir, m.Source))
			if err != nil {
				return fmt.Errorf("export oci: %w", err)
			}
			b.Spec.Mounts[i].Source = abs
		}
	}
	// Every mount point exists before the runtime starts: in a user
	// namespace it creates them as the container's root, which cannot
	// write to a rootfs the caller owns.
	for _, m := range b.Spec.Mounts {
		if err := mountPoint(rootfs, m); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(b.Spec, "", "\t")
	if err != nil {
		return fmt.Errorf("export oci: config.json: %w", err)
	}
	if err := writeNew(filepath.Join(dir, "config.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("export oci: %w", err)
	}
	return nil
}

// writeNew creates a file that must not exist yet (O_EXCL: never through a
// symlink planted there).
func writeNew(p string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mkdirInside makes the directory rel (absolute inside rootfs) and its
// parents, component by component, without following a symlink. ok is
// false when a symlink or a non-directory is in the way.
func mkdirInside(rootfs, rel string) (string, bool, error) {
	cur := rootfs
	for _, c := range strings.Split(strings.Trim(filepath.Clean(rel), "/"), "/") {
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			return "", false, nil
		}
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.Mkdir(cur, 0o755); err != nil {
				return "", false, err
			}
		case err != nil:
			return "", false, err
		case !fi.IsDir(): // a symlink or a file: not ours to follow
			return "", false, nil
		}
	}
	return cur, true, nil
}

// mountPoint creates the mount point of m in rootfs: a file when a bind's
// source is not a directory, a directory otherwise.
func mountPoint(rootfs string, m specs.Mount) error {
	parent, ok, err := mkdirInside(rootfs, filepath.Dir(m.Destination))
	if err != nil {
		return fmt.Errorf("export oci: mount point %s: %w", m.Destination, err)
	}
	if !ok || m.Destination == "/" {
		return nil
	}
	p := filepath.Join(parent, filepath.Base(m.Destination))
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	isFile := false
	if m.Type == "bind" {
		if fi, err := os.Stat(m.Source); err == nil && !fi.IsDir() {
			isFile = true
		}
	}
	if isFile {
		err = writeNew(p, nil, 0o644)
	} else {
		err = os.Mkdir(p, 0o755)
	}
	if err != nil {
		return fmt.Errorf("export oci: mount point %s: %w", m.Destination, err)
	}
	return nil
}
