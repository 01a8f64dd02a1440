package launcher

// The caller's job and terminal on the ordinary path: the decisions are
// jobctl.c's, which the fast path calls too; this file only feeds it the
// events (R3, R4).

/*
#include <stdlib.h>
#include "jobctl.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"syscall"
	"unsafe"
)

// runJob is one launch's side of the caller's process group and terminal.
type runJob struct {
	mu   sync.Mutex // jobctl.c's state is used by the reader and the waiter
	j    *C.struct_sbx_job
	pipe [2]int // the job pipe (the init reports the payload's stops), or -1s
	read sync.WaitGroup
}

// newRunJob notes the terminal and its state before clone and tells the
// child (cp) whether to take the terminal's foreground. With an init and
// a terminal to share, it makes the job pipe.
func newRunJob(cp *childPlan, stdio [3]int) (*runJob, error) {
	j := &runJob{j: (*C.struct_sbx_job)(C.calloc(1, C.sizeof_struct_sbx_job)), pipe: [2]int{-1, -1}}
	if j.j == nil {
		return nil, fmt.Errorf("out of memory")
	}
	cstdio := [3]C.int{C.int(stdio[0]), C.int(stdio[1]), C.int(stdio[2])}
	fg := C.sbx_job_begin(j.j, &cstdio[0], C.sbx_plan_new_session(cp.c))
	if cp.c.init != 0 && C.sbx_job_watch(j.j) != 0 {
		if err := syscall.Pipe2(j.pipe[:], syscall.O_CLOEXEC); err != nil {
			C.free(unsafe.Pointer(j.j))
			return nil, fmt.Errorf("job pipe: %w", err)
		}
	}
	cp.setJob(int(fg), j.pipe)
	return j, nil
}

// started records the sandbox's first process and, with an init, follows
// its reports of the payload's stops until the init is gone.
func (j *runJob) started(pid int) {
	C.sbx_job_started(j.j, C.pid_t(pid))
	if j.pipe[1] < 0 {
		return
	}
	// The init has its copy; ours would hide the init's end.
	syscall.Close(j.pipe[1])
	j.pipe[1] = -1
	j.read.Add(1)
	go func() {
		defer j.read.Done()
		buf := make([]byte, 64)
		for {
			n, err := syscall.Read(j.pipe[0], buf)
			if err == syscall.EINTR {
				continue
			}
			if n <= 0 {
				return
			}
			// The latest stop is the one that counts.
			j.stopped(syscall.Signal(buf[n-1]))
		}
	}()
}

// watch reports whether the sandbox's first process itself is watched for
// stops (it is the payload: no init reports them).
func (j *runJob) watch() bool { return C.sbx_job_watch(j.j) != 0 }

// takeStop takes the stop report of the child pid: its stop signal, or 0.
func (j *runJob) takeStop(pid int) syscall.Signal {
	return syscall.Signal(C.sbx_job_take_stop(C.pid_t(pid)))
}

// stopped acts on a stop of the sandbox by sig; it returns once the
// sandbox can go on.
func (j *runJob) stopped(sig syscall.Signal) {
	j.mu.Lock()
	C.sbx_job_stopped(j.j, C.int(sig))
	j.mu.Unlock()
}

// end takes the terminal back and restores the terminals once the sandbox
// is gone (or never started).
func (j *runJob) end() {
	for _, fd := range j.pipe[1:] {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
	j.read.Wait()
	if j.pipe[0] >= 0 {
		syscall.Close(j.pipe[0])
	}
	j.mu.Lock()
	C.sbx_job_end(j.j)
	j.mu.Unlock()
	C.free(unsafe.Pointer(j.j))
}
