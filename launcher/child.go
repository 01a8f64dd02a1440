package launcher

// The launcher and the sandbox's first process.
//
// Run converts the plan into a flat C structure (child.h) in C memory and
// calls sbx_spawn on the spawner thread (see spawn), which clones without
// CLONE_VM: the child is a copy of the launcher with one thread, running C
// only, from clone to exec. It never
// returns into Go (the Go runtime's other threads do not exist in it, and
// their locks may be held), uses raw system calls and stack buffers, and
// reads the plan from its copy of the address space. There is exactly one
// Go runtime per launch and nothing slow between clone and exec.
//
//	launcher (Go)                               sandbox (C, one thread)
//	-------------                               -----------------------
//	plan -> C memory
//	pipe2(report), pipe2(sync) O_CLOEXEC
//	signal.Notify(forwarded signals)
//	block all signals
//	clone(CLONE_NEW* | SIGCHLD) -------------->  reset every handler to SIG_DFL
//	restore signals                              [die_with_parent] PDEATHSIG=KILL;
//	                                               poll(sync): HUP -> _exit
//	                                             dup stdio to 0, 1, 2
//	                                             setpgid(0, 0) [terminal was
//	                                               ours] TIOCSPGRP (jobctl.c)
//	[ids by launcher: write /proc/PID/*_map
//	 or run newuidmap/newgidmap PID ...]
//	write(sync, 1) --------------------------->  [wait_release] read(sync)
//	                                             [write_maps] setgroups=deny,
//	                                               uid_map, gid_map (own ids)
//	[nat: start pasta or slirp4netns,
//	 wait until it is ready (services.go)]
//	write(sync, 1) --------------------------->  [wait_network] read(sync)
//	                                             [time_ns] unshare(CLONE_NEWTIME)
//	                                             steps 0..n-1, in plan order
//	                                               [init] at seccomp/exec: hide
//	                                               (non-dumpable, argv blanked,
//	                                               fds closed), vfork the payload
//	                                               on its own stack; the parent
//	                                               becomes the init
//	                                             failure:
//	read(report) <----------------------------     write(report, {step, errno,
//	  -> *SetupError (125)                           op, path}); _exit(125)
//	                                             exec failure:
//	read(report) <----------------------------     write(report, {EXEC, errno});
//	  -> message, 127 or 126                         _exit(127 or 126)
//	                                             execve succeeds: the report
//	read(report) == EOF <---------------------     pipe closes (O_CLOEXEC)
//	close(sync)
//	forward signals to the child
//	[terminal] on a stop (the child's,        [init] payload stopped:
//	  or "S" on the job pipe) <--------------    write(job, "S")
//	  stop as the caller's job
//	waitid(WNOWAIT), then wait4 -> exit code
//	restore the terminals (jobctl.c)
//
// The sync pipe serves two purposes: the launcher releases a child waiting
// for id maps the kernel only lets the parent write, and the child learns
// whether the launcher died before PR_SET_PDEATHSIG took effect (in a new
// pid namespace getppid() is 0 either way). The launcher closes its end only
// after the report pipe reached EOF, so a live launcher is never taken for
// a dead one.

/*
#cgo CFLAGS: -O2 -Wall
#include <stdlib.h>
#include "child.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// childPlan is a plan in C memory, ready for sbx_spawn.
type childPlan struct {
	arena childArena
	c     *C.struct_sbx_plan
}

func (cp *childPlan) free() { cp.arena.free() }

// spawn clones the sandbox's first process, on the spawner thread.
//
// The child's PR_SET_PDEATHSIG fires when the thread that cloned it exits,
// not the process (golang/go#27505). A goroutine's thread is only borrowed:
// once the caller's goroutine parks (waiting for newuidmap, say), another
// goroutine may run on that thread, lock it and exit, and the Go runtime
// then ends the thread, killing the sandbox (L3). So a clone whose child
// may outlive the caller's wait (a helper's) happens on one thread that a
// goroutine locks and never releases: it lives as long as the process.
// The sandbox therefore starts from the process's namespaces, not from a
// calling thread's own (after setns on a locked thread, say).
func (cp *childPlan) spawn() (int, syscall.Errno) {
	s := &childSpawner
	s.once.Do(func() {
		s.req = make(chan childSpawn)
		go childSpawnLoop(s.req)
	})
	done := make(chan childSpawned, 1)
	s.req <- childSpawn{cp: cp, done: done}
	r := <-done
	return r.pid, r.errno
}

// spawnLocked clones the sandbox's first process from the calling thread,
// which the caller has locked (runtime.LockOSThread) and keeps locked
// until it has reaped the child. While it is locked no other goroutine
// runs on the thread, and a locked goroutine that is still running cannot
// lose it, so the death signal is tied to a thread that outlives the
// child, as spawn's is. It spares spawn's two hand-offs between threads,
// a wake-up each (the way back alone measured 0.74 ms; a cold launch
// gained 0.28 ms). The caller's thread must be in the process's
// namespaces (Run never calls setns).
func (cp *childPlan) spawnLocked() (int, syscall.Errno) {
	var e C.int
	pid := C.sbx_spawn(cp.c, &e)
	if pid < 0 {
		return -1, syscall.Errno(e)
	}
	return int(pid), 0
}

var childSpawner struct {
	once sync.Once
	req  chan childSpawn
}

type childSpawn struct {
	cp   *childPlan
	done chan<- childSpawned
}

type childSpawned struct {
	pid   int
	errno syscall.Errno
}

func childSpawnLoop(req <-chan childSpawn) {
	// Never unlocked, and the goroutine never returns: the thread
	// stays.
	runtime.LockOSThread()
	for r := range req {
		var e C.int
		pid := C.sbx_spawn(r.cp.c, &e)
		if pid < 0 {
			r.done <- childSpawned{pid: -1, errno: syscall.Errno(e)}
			continue
		}
		r.done <- childSpawned{pid: int(pid)}
	}
}

// childReport is the decoded failure record of the child.
type childReport struct {
	step   int
	errno  syscall.Errno
	exec   bool
	op     string
	detail string
}

const childReportSize = C.sizeof_struct_sbx_report

// decodeChildReport reads the record the child wrote.
func decodeChildReport(b []byte) childReport {
	var r C.struct_sbx_report
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&r)), childReportSize), b)
	return childReport{
		step:   int(r.step),
		errno:  syscall.Errno(r.err),
		exec:   r.code == C.SBX_REPORT_EXEC,
		op:     C.GoString(&r.op[0]),
		detail: C.GoString(&r.detail[0]),
	}
}
