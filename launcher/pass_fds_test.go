package launcher

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFDRefusedKinds checks D4's classification on real descriptors: the
// kinds that reach beyond their object are refused, data channels pass.
func TestFDRefusedKinds(t *testing.T) {
	var fds []int
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	keep := func(fd int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
		return fd
	}
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	fds = append(fds, pipe[0], pipe[1])
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fds = append(fds, pair[0], pair[1])
	cases := []struct {
		name string
		fd   int
		want string // a word of the reason, "" for allowed
	}{
		{"pipe", pipe[0], ""},
		{"socket", pair[0], ""},
		{"regular file", keep(unix.Open("/etc/passwd", unix.O_RDONLY|unix.O_CLOEXEC, 0)), ""},
		{"character device", keep(unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)), ""},
		{"memfd", keep(unix.MemfdCreate("d4", unix.MFD_CLOEXEC)), ""},
		{"eventfd", keep(unix.Eventfd(0, unix.EFD_CLOEXEC)), ""},
		{"directory", keep(unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)), "a directory"},
		{"O_PATH directory", keep(unix.Open("/", unix.O_PATH|unix.O_CLOEXEC, 0)), "O_PATH"},
		{"O_PATH file", keep(unix.Open("/etc/passwd", unix.O_PATH|unix.O_CLOEXEC, 0)), "O_PATH"},
		{"namespace", keep(unix.Open("/proc/self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)), "namespace"},
		{"pidfd", keep(unix.PidfdOpen(unix.Getpid(), 0)), "pidfd"},
		{"closed", 1000, ""},
	}
	for _, c := range cases {
		got := fdRefused(c.fd)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: refused %q, want %q", c.name, got, c.want)
		}
	}
}
