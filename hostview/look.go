package hostview

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Look records path as a content dependency (Observe) and returns what
// lstat(2), or stat(2) when follow is set, found there when it was
// recorded. The record already made that call: looking again would cost
// one or two more system calls for each path the load and the compile
// consult, and a cold launch consults dozens.
func (in *PlanInputs) Look(path string, follow bool) (fs.FileInfo, error) {
	return in.look(path, false, follow)
}

func (in *PlanInputs) look(path string, presence, follow bool) (fs.FileInfo, error) {
	d, ok := in.record(path, presence)
	switch {
	case !ok && follow:
		return os.Stat(path)
	case !ok:
		return os.Lstat(path)
	}
	st, err, op := &d.lst, d.lstErr, "lstat"
	if follow {
		st, err, op = &d.st, d.stErr, "stat"
	}
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: path, Err: err}
	}
	return &statInfo{name: filepath.Base(path), sys: *st}, nil
}

// statInfo is a recorded stat(2) result as package os would have returned
// it (TestLookMatchesOS holds the two together).
type statInfo struct {
	name string
	sys  syscall.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.sys.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.sys.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.sys }

func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.sys.Mode & 0o777)
	switch s.sys.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if s.sys.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.sys.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.sys.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
