package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The plan cache's files: its directory, writing a plan so that readers
// see it whole, and keeping the directory small.

// planCacheMkdir makes dir and its parent "sandbox" private to the
// effective user, and checks that they are (the reader refuses anything
// else, F15).
func planCacheMkdir(dir string) error {
	// Nothing is made in a directory of another user's ($XDG_RUNTIME_DIR
	// kept across sudo, say): its owner could swap what is made there.
	base := filepath.Dir(filepath.Dir(dir))
	var bst unix.Stat_t
	if err := unix.Stat(base, &bst); err != nil {
		return fmt.Errorf("plan cache: %w", err)
	}
	if int(bst.Uid) != os.Geteuid() && bst.Uid != 0 {
		return fmt.Errorf("plan cache: %s belongs to another user", base)
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("plan cache: %w", err)
		}
		var st unix.Stat_t
		if err := unix.Lstat(d, &st); err != nil {
			return fmt.Errorf("plan cache: %w", err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
			return fmt.Errorf("plan cache: %s is not a directory only this user may write", d)
		}
	}
	return nil
}

// planCacheWrite writes the file whole and then gives it its name, so that
// a reader sees the old file or the new one. The content is written to an
// unnamed file (O_TMPFILE), which a launcher killed while writing leaves
// nowhere; it is linked under a temporary name only to be renamed at once.
// Where O_TMPFILE is not supported, a named temporary file is written.
func planCacheWrite(dir, name string, data []byte) error {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return planCacheWriteNamed(dir, name, data)
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".new-%d-%x", os.Getpid(), time.Now().UnixNano()))
	werr := planWriteAll(fd, data)
	if werr == nil {
		werr = unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", fd), unix.AT_FDCWD, tmp, unix.AT_SYMLINK_FOLLOW)
	}
	unix.Close(fd)
	if werr == nil {
		if werr = os.Rename(tmp, name); werr != nil {
			os.Remove(tmp)
		}
	}
	if werr != nil {
		return fmt.Errorf("plan cache: %w", werr)
	}
	return nil
}

func planWriteAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// planCacheWriteNamed is planCacheWrite through a named temporary file.
func planCacheWriteNamed(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return fmt.Errorf("plan cache: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), name)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("plan cache: %w", werr)
	}
	return nil
}

// planCachePrune removes the oldest plans beyond planCacheKeep, and
// temporary files a launcher killed while writing left.
func planCachePrune(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".new-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Minute {
			_ = syscall.Unlink(filepath.Join(dir, e.Name()))
		}
	}
	if len(ents) <= planCacheKeep {
		return
	}
	type aged struct {
		name  string
		mtime int64
	}
	var plans []aged
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			continue
		}
		plans = append(plans, aged{e.Name(), info.ModTime().UnixNano()})
	}
	sort.Slice(plans, func(i, j int) bool { return plans[i].mtime < plans[j].mtime })
	for _, p := range plans[:len(plans)-planCacheKeep] {
		_ = syscall.Unlink(filepath.Join(dir, p.name))
	}
}
