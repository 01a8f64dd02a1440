package profile

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// The loader's only ways to look at the host's files. Each tells
// Source.Observe the path before it looks, so what a loaded profile was
// built from is recorded by construction: a plan cached from it is used
// only while every one of these paths is as it was. TestHostReadsRecorded
// (docs) fails on a host read anywhere else in this package.

func (src Source) lstat(path string) (fs.FileInfo, error) {
	if src.Look != nil {
		return src.Look(path, false)
	}
	src.observe(path)
	return os.Lstat(path)
}

func (src Source) stat(path string) (fs.FileInfo, error) {
	if src.Look != nil {
		return src.Look(path, true)
	}
	src.observe(path)
	return os.Stat(path)
}

func (src Source) readlink(path string) (string, error) {
	src.observe(path)
	return os.Readlink(path)
}

// openProfile opens a profile file without blocking and without making it
// the controlling terminal (checklist B13).
func (src Source) openProfile(path string) (*os.File, error) {
	src.observe(path)
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
}

func (src Source) readDir(path string) ([]os.DirEntry, error) {
	src.observe(path)
	return os.ReadDir(path)
}
