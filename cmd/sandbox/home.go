package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"sandbox/internal/nofollow"
	"sandbox/plan"
	"sandbox/profile"
)

// ensureHome creates the persistent home of p (filesystem.persistent_home)
// before the launch binds it: mode 0700 and owned by the host id the
// payload runs as, so that the application can write its home and no one
// else can read it. For a root launch that is the unprivileged id the
// sandbox maps to (the sudo caller's, or nobody), never root.
//
// The path is walked one name at a time without following a symlink below
// the trusted base (the caller's home): a sandbox that can write
// ~/.local/share could otherwise plant a link that makes the launcher
// create or chown a directory elsewhere. Directories made on the way
// belong to the owner of the directory they are made in, so a root launch
// under a user's $HOME leaves nothing of root's there.
func ensureHome(p *profile.Profile, pl *plan.Plan, home string) error {
	dir := p.Filesystem.HomeDir
	if !p.Filesystem.PersistentHome || dir == "" {
		return nil
	}
	uid, gid, ok := pl.HostIDs()
	if !ok {
		return fmt.Errorf("persistent home %s: the payload's ids map to no host id, so no one could own it; map identity.uid and identity.gid", dir)
	}
	base := nofollow.TrustedBase(home, dir)
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("persistent home %s: %w", dir, &os.PathError{Op: "open", Path: base, Err: err})
	}
	rel, err := filepath.Rel(base, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		unix.Close(fd)
		return fmt.Errorf("persistent home %s is not below %s", dir, base)
	}
	names := strings.Split(rel, "/")
	cur := base
	for i, name := range names {
		last := i == len(names)-1
		mode := uint32(0o755)
		if last {
			mode = 0o700
		}
		next, created, err := openOrMake(fd, cur, name, mode)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("persistent home %s: %w", dir, err)
		}
		fd, cur = next, filepath.Join(cur, name)
		if err := homeOwner(fd, cur, last, created, uid, gid, p.Identity.HostRoot); err != nil {
			unix.Close(fd)
			return fmt.Errorf("persistent home %s: %w", dir, err)
		}
	}
	return unix.Close(fd)
}

// openOrMake opens the directory name in dirfd, never through a link,
// creating it with mode when it is missing.
func openOrMake(dirfd int, parent, name string, mode uint32) (fd int, created bool, err error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	path := filepath.Join(parent, name)
	fd, err = unix.Openat(dirfd, name, flags, 0)
	if errors.Is(err, unix.ENOENT) {
		if err = unix.Mkdirat(dirfd, name, mode); err == nil {
			created = true
		} else if errors.Is(err, unix.EEXIST) {
			err = nil
		}
		if err == nil {
			fd, err = unix.Openat(dirfd, name, flags, 0)
		}
	}
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		return -1, false, fmt.Errorf("%s is not a directory (or is a symbolic link): %w", path, nofollow.ErrLink)
	}
	if err != nil {
		return -1, false, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, created, nil
}

// homeOwner gives a directory just made its owner: the home itself the
// payload's host ids, one on the way the owner of its parent. An existing
// home must already be the payload's, or the application could not write
// it; it is not taken over silently, since it may hold another id's data.
func homeOwner(fd int, path string, last, created bool, uid, gid uint32, hostRoot bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if !last {
		if !created {
			return nil
		}
		var parent unix.Stat_t
		if err := unix.Fstatat(fd, "..", &parent, 0); err != nil {
			return &os.PathError{Op: "stat", Path: filepath.Dir(path), Err: err}
		}
		return chownIfNeeded(fd, path, &st, parent.Uid, parent.Gid)
	}
	if created {
		if err := chownIfNeeded(fd, path, &st, uid, gid); err != nil {
			return err
		}
		// The mode is set again: a umask wider than 077 is no concern
		// for 0700, but an ACL default on the parent could add bits.
		return unix.Fchmod(fd, 0o700)
	}
	if st.Uid != uid && !(hostRoot && uid == 0) {
		return fmt.Errorf("%s belongs to uid %d, but the sandbox runs as host uid %d and could not write it; give it to that id (chown -R %d:%d %s) or remove it",
			path, st.Uid, uid, uid, gid, path)
	}
	return nil
}

func chownIfNeeded(fd int, path string, st *unix.Stat_t, uid, gid uint32) error {
	if st.Uid == uid && st.Gid == gid {
		return nil
	}
	if err := unix.Fchown(fd, int(uid), int(gid)); err != nil {
		return fmt.Errorf("cannot give %s to host uid %d gid %d: %w", path, uid, gid, err)
	}
	return nil
}

// homeLine is what explain and check say about the persistent home.
func homeLine(p *profile.Profile, pl *plan.Plan) string {
	dir := p.Filesystem.HomeDir
	if !p.Filesystem.PersistentHome || dir == "" {
		return ""
	}
	state := "created at the first launch"
	if fi, err := os.Lstat(dir); err == nil && fi.IsDir() {
		state = "exists"
	}
	owner := ""
	if uid, gid, ok := pl.HostIDs(); ok {
		owner = fmt.Sprintf(", mode 0700, owned by host uid %d gid %d", uid, gid)
	}
	return fmt.Sprintf("persistent home %s (%s%s) is the payload's $HOME and outlives it (filesystem.persistent_home, %s)",
		dir, state, owner, originString(p.Origins["filesystem.persistent_home"]))
}
