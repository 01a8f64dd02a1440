package launcher

import (
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var childHostOnce struct {
	sync.Once
	lastCap            int
	argvStart, argvLen uintptr
}

// childHost reads, once per process, what the child needs from the host:
// the highest capability number the kernel knows (every one up to it is
// dropped from the bounding set) and where the launcher's arguments are in
// memory (blanked in the init).
func childHost() (lastCap int, argvStart, argvLen uintptr) {
	h := &childHostOnce
	h.Do(func() {
		h.lastCap = capLastCap()
		h.argvStart, h.argvLen = childArgvArea()
	})
	return h.lastCap, h.argvStart, h.argvLen
}

// childReadProc reads a small /proc file (less than 4 KiB) with plain
// system calls. os.ReadFile would register the file with the runtime's
// poller (procfs files accept epoll), setting the poller up on the way: an
// epoll instance, an eventfd and a few more calls, in a launch that polls
// nothing else.
func childReadProc(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	n := 0
	for {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
		if n == len(buf) {
			return nil, syscall.EFBIG
		}
	}
}

// childArgvArea returns the process's argument area (fields arg_start and
// arg_end of /proc/self/stat), or zeros.
func childArgvArea() (uintptr, uintptr) {
	b, err := childReadProc("/proc/self/stat")
	if err != nil {
		return 0, 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0
	}
	// Fields after the command name start with field 3 (state);
	// arg_start and arg_end are fields 48 and 49.
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 47 {
		return 0, 0
	}
	start, err1 := strconv.ParseUint(f[45], 10, 64)
	end, err2 := strconv.ParseUint(f[46], 10, 64)
	if err1 != nil || err2 != nil || end <= start || end-start > 1<<20 {
		return 0, 0
	}
	return uintptr(start), uintptr(end - start)
}
