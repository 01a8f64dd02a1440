package testutil

import (
	"net"
	"path/filepath"
	"syscall"
	"testing"
)

// FIFOAndSocket makes a named pipe "fifo" with mode perm and a listening
// unix socket "sock" in dir, the special files a test of host paths
// binds, stats or refuses. The socket is closed when the test ends.
func FIFOAndSocket(t testing.TB, dir string, perm uint32) (fifo, sock string) {
	t.Helper()
	fifo = filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, perm); err != nil {
		t.Fatal(err)
	}
	sock = filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return fifo, sock
}
