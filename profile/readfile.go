package profile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// maxFileSize bounds a profile file. Real profiles are a few KiB; the
// bound keeps a mistaken `sandbox check /var/log/huge.log` from reading
// 100 MB (checklist B7).
const maxFileSize = 1 << 20

// readDiskFile reads a profile file and returns its content, or a message
// saying why it is not a profile. It never blocks: a FIFO or device is
// refused after a stat, and the open uses O_NONBLOCK in case the path is
// swapped for a FIFO between the stat and the open; fstat then checks the
// opened file again (checklist B13).
func readDiskFile(src Source, path string) ([]byte, string) {
	lfi, err := src.lstat(path)
	if err != nil {
		return nil, statMessage(err)
	}
	fi := lfi
	if lfi.Mode()&fs.ModeSymlink != 0 {
		fi, err = src.stat(path)
		if err != nil {
			target, _ := src.readlink(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Sprintf("is a dangling symlink to %s; fix or remove the link", quote(target))
			}
			return nil, fmt.Sprintf("is a symlink to %s that cannot be followed: %v", quote(target), unwrapPathError(err))
		}
	}
	if msg := regularFileMessage(fi); msg != "" {
		return nil, msg
	}
	f, err := src.openProfile(path)
	if err != nil {
		return nil, statMessage(err)
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, fmt.Sprintf("cannot be read: %v", unwrapPathError(err))
	}
	if msg := regularFileMessage(fi); msg != "" {
		return nil, msg
	}
	return readBounded(f, fi.Size())
}

// readFSFile reads a profile from an fs.FS (the built-in profiles) with the
// same checks as a disk file.
func readFSFile(fsys fs.FS, name string) ([]byte, string) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, statMessage(err)
	}
	if msg := regularFileMessage(fi); msg != "" {
		return nil, msg
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, statMessage(err)
	}
	defer f.Close()
	return readBounded(f, fi.Size())
}

// readBounded reads r to its end, up to one byte past the bound. size is
// what a stat said: the buffer starts that large (bounded), so that a
// profile is read into one allocation instead of a buffer grown from 512
// bytes; a file that grew since is still read whole, up to the bound.
func readBounded(r io.Reader, size int64) ([]byte, string) {
	data := make([]byte, 0, min(max(size, 0), maxFileSize)+1)
	lr := io.LimitReader(r, maxFileSize+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := lr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Sprintf("cannot be read: %v", unwrapPathError(err))
		}
	}
	if len(data) > maxFileSize {
		return nil, fmt.Sprintf("is larger than %d bytes (1 MiB), the limit for a profile; is this the right file?", maxFileSize)
	}
	return data, ""
}

// regularFileMessage says why fi is not a readable profile file, or "".
func regularFileMessage(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
	case m.IsDir():
		return "is a directory, not a profile file; give a NAME.toml file or a profile name"
	case m&fs.ModeNamedPipe != 0:
		return "is a FIFO (named pipe), not a regular file; profiles must be regular files"
	case m&fs.ModeCharDevice != 0:
		return "is a character device, not a regular file; profiles must be regular files"
	case m&fs.ModeDevice != 0:
		return "is a block device, not a regular file; profiles must be regular files"
	case m&fs.ModeSocket != 0:
		return "is a socket, not a regular file; profiles must be regular files"
	default:
		return "is not a regular file; profiles must be regular files"
	}
	if fi.Size() > maxFileSize {
		return fmt.Sprintf("is %d bytes; profiles are limited to %d bytes (1 MiB); is this the right file?", fi.Size(), maxFileSize)
	}
	return ""
}

func statMessage(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "cannot be read: permission denied"
	}
	return fmt.Sprintf("cannot be read: %v", unwrapPathError(err))
}

// unwrapPathError drops the path from a *PathError: the message already
// starts with the file name.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
