// Package nofollow writes files on the host into directories that a
// sandbox may have been able to write (checklist H3): the launcher's
// desktop entries, D-Bus service files and helper sockets. A payload that
// could write such a directory could have planted a symlink where the
// launcher later writes, to make it overwrite ~/.bashrc.
//
// So nothing here follows a symlink below the directory the caller trusts:
// each directory is opened one name at a time with O_NOFOLLOW and held by
// its descriptor, files are created under a fresh name with O_EXCL and
// renamed into place inside that same descriptor, and a file is replaced
// or removed only when it is the very file the caller read and checked.
// Whatever is in the way instead is refused with an error that names it.
package nofollow

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrLink is wrapped by every refusal to go through a symlink.
var ErrLink = errors.New("a symbolic link is in the way; sandbox never writes through links in a directory a sandbox could write")

// Dir is an open directory, reached without following a symlink below
// the trusted directory it was opened from.
type Dir struct {
	fd   int
	path string
}

// Path is the directory's path, for messages.
func (d *Dir) Path() string { return d.path }

// Stat reports the directory's own status, from its descriptor.
func (d *Dir) Stat() (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstat(d.fd, &st)
	return st, err
}

// Close releases the descriptor.
func (d *Dir) Close() error { return unix.Close(d.fd) }

// Chown changes the owner of the directory itself, through its descriptor:
// never of what its path may lead to by now.
func (d *Dir) Chown(uid, gid int) error {
	if err := unix.Fchown(d.fd, uid, gid); err != nil {
		return pathError("chown", d.path, err)
	}
	return nil
}

// OpenDir opens dir. trusted, an ancestor of dir (or dir itself), is
// opened as it is: it is the caller's to trust (the home directory, whose
// own path may hold the administrator's links). Every name below it is
// opened with O_NOFOLLOW; missing ones are created with mode 0755 when
// create is set.
func OpenDir(trusted, dir string, create bool) (*Dir, error) {
	trusted, dir = filepath.Clean(trusted), filepath.Clean(dir)
	rel, err := filepath.Rel(trusted, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || !filepath.IsAbs(trusted) {
		return nil, fmt.Errorf("%s is not below %s", dir, trusted)
	}
	fd, err := unix.Open(trusted, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	for errors.Is(err, unix.ENOENT) && create && trusted != "/" {
		// A home that does not exist yet: trust the directory it
		// would be made in, and make the rest without following.
		rel = filepath.Join(filepath.Base(trusted), rel)
		trusted = filepath.Dir(trusted)
		fd, err = unix.Open(trusted, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: trusted, Err: err}
	}
	cur := trusted
	if rel == "." {
		return &Dir{fd: fd, path: cur}, nil
	}
	for _, name := range strings.Split(rel, "/") {
		next := filepath.Join(cur, name)
		nfd, err := openDirAt(fd, name)
		if errors.Is(err, unix.ENOENT) && create {
			if err = unix.Mkdirat(fd, name, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
				nfd, err = openDirAt(fd, name)
			}
		}
		unix.Close(fd)
		if err != nil {
			return nil, pathError("open", next, err)
		}
		fd, cur = nfd, next
	}
	return &Dir{fd: fd, path: cur}, nil
}

// openDirAt opens the directory name in dirfd, never through a symlink.
// O_DIRECTORY makes a symlink fail with ENOTDIR, not ELOOP: a symlink is
// then told apart from a file, for the message.
func openDirAt(dirfd int, name string) (int, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOTDIR) {
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			err = unix.ELOOP
		}
	}
	return fd, err
}

// pathError turns ELOOP, what O_NOFOLLOW gives for a symlink, into ErrLink.
func pathError(op, path string, err error) error {
	if errors.Is(err, unix.ELOOP) {
		return fmt.Errorf("%s: %w", path, ErrLink)
	}
	return &os.PathError{Op: op, Path: path, Err: err}
}

// FileID identifies a file, to check that the file about to be replaced
// is the one that was read, unchanged: device and inode, and the change
// time, since a file removed and made again often gets the same inode.
type FileID struct {
	Dev, Ino        uint64
	CtimeS, CtimeNs int64
}

func idOf(st *unix.Stat_t) FileID {
	return FileID{Dev: st.Dev, Ino: st.Ino, CtimeS: st.Ctim.Sec, CtimeNs: st.Ctim.Nsec}
}

// checkName refuses names that are not a single entry of the directory.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("%q is not a file name", name)
	}
	return nil
}

// ReadFile reads the regular file name, at most max bytes, never through
// a symlink. It returns the file's identity for a later Replace or Remove.
func (d *Dir) ReadFile(name string, max int64) ([]byte, FileID, error) {
	if err := checkName(name); err != nil {
		return nil, FileID{}, err
	}
	path := filepath.Join(d.path, name)
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, FileID{}, pathError("open", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, FileID{}, pathError("stat", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, FileID{}, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, FileID{}, err
	}
	if int64(len(data)) > max {
		return nil, FileID{}, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, idOf(&st), nil
}

// Lstat reports what name is, without following a symlink; ok is false
// when it does not exist.
func (d *Dir) Lstat(name string) (st unix.Stat_t, ok bool, err error) {
	if err := checkName(name); err != nil {
		return st, false, err
	}
	err = unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return st, false, nil
	}
	if err != nil {
		return st, false, pathError("stat", filepath.Join(d.path, name), err)
	}
	return st, true, nil
}

// same checks that name is still the file old.
func (d *Dir) same(name string, old FileID) error {
	st, ok, err := d.Lstat(name)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("%s: it disappeared since it was read", filepath.Join(d.path, name))
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return fmt.Errorf("%s: %w", filepath.Join(d.path, name), ErrLink)
	case idOf(&st) != old:
		return fmt.Errorf("%s: it was replaced since it was read; left alone", filepath.Join(d.path, name))
	}
	return nil
}

// Write puts data in the file name with mode perm, in one rename so that a
// reader never sees half of it. With replace nil, name must not exist:
// whatever is there, a symlink included, is left alone and the write
// fails. Otherwise the file there must still be the one replace
// identifies.
func (d *Dir) Write(name string, data []byte, perm uint32, replace *FileID) error {
	if err := checkName(name); err != nil {
		return err
	}
	path := filepath.Join(d.path, name)
	tmp, err := d.createTemp(data, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if replace == nil {
		err = unix.Renameat2(d.fd, tmp, d.fd, name, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.EEXIST) {
			st, _, _ := d.Lstat(name)
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				err = ErrLink
			} else {
				err = errors.New("a file appeared there; left alone")
			}
		}
	} else if err = d.same(name, *replace); err == nil {
		err = unix.Renameat(d.fd, tmp, d.fd, name)
	}
	if err != nil {
		unix.Unlinkat(d.fd, tmp, 0)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// createTemp creates a file of a fresh random name holding data.
func (d *Dir) createTemp(data []byte, perm uint32) (string, error) {
	// The kernel's random bytes, as crypto/rand reads them, without
	// crypto/rand's packages and their initialisers in every start.
	var rnd [8]byte
	if n, err := unix.Getrandom(rnd[:], 0); err != nil {
		return "", fmt.Errorf("getrandom: %w", err)
	} else if n != len(rnd) {
		return "", fmt.Errorf("getrandom: %d bytes of %d", n, len(rnd))
	}
	name := ".sandbox-" + hex.EncodeToString(rnd[:]) + ".tmp"
	fd, err := unix.Openat(d.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return "", err
	}
	f := os.NewFile(uintptr(fd), name)
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(os.FileMode(perm))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		unix.Unlinkat(d.fd, name, 0)
		return "", err
	}
	return name, nil
}

// Rename moves old to new inside the directory, never over something.
func (d *Dir) Rename(oldName, newName string) error {
	if err := checkName(oldName); err != nil {
		return err
	}
	if err := checkName(newName); err != nil {
		return err
	}
	if err := unix.Renameat2(d.fd, oldName, d.fd, newName, unix.RENAME_NOREPLACE); err != nil {
		return &os.LinkError{Op: "rename", Old: filepath.Join(d.path, oldName), New: filepath.Join(d.path, newName), Err: err}
	}
	return nil
}

// Remove deletes name if it is still the file id identifies.
func (d *Dir) Remove(name string, id FileID) error {
	if err := d.same(name, id); err != nil {
		return err
	}
	if err := unix.Unlinkat(d.fd, name, 0); err != nil {
		return pathError("remove", filepath.Join(d.path, name), err)
	}
	return nil
}

// Chmod changes the mode of name, which must be of type kind (unix.S_IFSOCK,
// ...), without following a symlink: the file is opened O_PATH|O_NOFOLLOW,
// checked, and changed through its descriptor.
func (d *Dir) Chmod(name string, kind, perm uint32) error {
	if err := checkName(name); err != nil {
		return err
	}
	path := filepath.Join(d.path, name)
	fd, err := unix.Openat(d.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return pathError("open", path, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return pathError("stat", path, err)
	}
	if st.Mode&unix.S_IFMT != kind {
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return fmt.Errorf("%s: %w", path, ErrLink)
		}
		return fmt.Errorf("%s is not the kind of file expected (mode %#o)", path, st.Mode)
	}
	// chmod(2) on /proc/self/fd/N reaches the inode the descriptor
	// holds, whatever the name leads to by now.
	if err := unix.Chmod(fmt.Sprintf("/proc/self/fd/%d", fd), perm); err != nil {
		return pathError("chmod", path, err)
	}
	return nil
}

// TrustedBase is the directory OpenDir should trust for dir: home when dir
// lies in it (a sandbox could write below it, never the path to it), else
// "/".
func TrustedBase(home, dir string) string {
	home = filepath.Clean(home)
	if filepath.IsAbs(home) && home != "/" && (dir == home || strings.HasPrefix(dir, home+"/")) {
		return home
	}
	return "/"
}
