package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"

	"sandbox/internal/instance"
	"sandbox/launcher"
)

// validName keeps names printable in one ps column and usable as an
// argument: no "/" and no space. 1 to 64 letters, digits, '.', '_' or '-',
// starting with a letter or digit. (Written out rather than as a regular
// expression: compiling `{0,63}` at every start cost most of the
// command's package initialisation, some 0.9 ms.)
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

func (inv *invocation) setInstanceOption(opt, v string) error {
	switch opt {
	case "--name":
		if !validName(v) {
			return fmt.Errorf("--name %q: a name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", v)
		}
		inv.name = v
	case "--status-fd":
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			return fmt.Errorf("--status-fd %q: give a descriptor number of 3 or more that is open for writing", v)
		}
		inv.statusFD, inv.hasFD = n, true
	}
	return nil
}

// runInstance is the launch's instance: its record and its status stream.
type runInstance struct {
	name   string
	base   string
	dirs   []string
	mu     sync.Mutex // emit comes from the egress proxy's goroutines too
	status *os.File
	id     string
	path   string
}

// newRunInstance checks --name and --status-fd before anything starts: a
// name a running sandbox of this user already has is refused.
func newRunInstance(inv invocation, env []string) (*runInstance, error) {
	ri := &runInstance{name: inv.name, base: launcher.InstanceBase(env, os.Geteuid())}
	if ri.base != "" {
		ri.dirs = []string{ri.base + "/sandbox/instances"}
	}
	if inv.name != "" {
		if ri.base == "" {
			return nil, fmt.Errorf("--name %s: there is no runtime directory to record it in ($XDG_RUNTIME_DIR is not set)", inv.name)
		}
		for _, r := range instance.List(ri.dirs) {
			if r.Name == inv.name {
				return nil, fmt.Errorf("--name %s: a running sandbox already has this name (id %s, pid %d); choose another or stop it with 'sandbox stop %s'", inv.name, r.ID, r.PID, inv.name)
			}
		}
	}
	if inv.hasFD {
		fl, err := runFcntlGet(inv.statusFD)
		if err != nil || fl&syscall.O_ACCMODE == syscall.O_RDONLY {
			return nil, fmt.Errorf("--status-fd %d: the descriptor is not open for writing", inv.statusFD)
		}
		// Not inherited by the sandbox: the child closes every
		// descriptor but the standard files and process.pass_fds.
		syscall.CloseOnExec(inv.statusFD)
		ri.status = os.NewFile(uintptr(inv.statusFD), "status-fd")
	}
	return ri, nil
}

func runFcntlGet(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// started records the instance and writes the status stream's first line.
func (ri *runInstance) started(pid int, ns map[string]uint64, args []string, rep reporter) {
	if ri.base != "" {
		id, path, err := launcher.WriteInstance(ri.base, pid, ri.name, args)
		if err != nil {
			rep.warnf("%v; 'sandbox ps' will not list this sandbox", err)
		}
		ri.id, ri.path = id, path
	}
	ri.emit(map[string]any{"instance": ri.id, "name": ri.name, "child_pid": pid, "namespaces": ns})
}

// finish writes the status stream's last line.
func (ri *runInstance) finish(code int, err error) {
	if ri.status == nil {
		return
	}
	if err != nil {
		ri.emit(map[string]any{"exit_code": code, "error": err.Error()})
		return
	}
	ri.emit(map[string]any{"exit_code": code})
}

// ended is called with the payload's wait status.
func (ri *runInstance) ended(ws syscall.WaitStatus) {
	if ws.Signaled() {
		ri.emit(map[string]any{"signal": int(ws.Signal())})
		ri.mu.Lock()
		ri.status = nil // the last line is written
		ri.mu.Unlock()
	}
}

// egress writes one line for each connection the egress proxy of a
// filtered network decides, for a program to offer the user the
// network.allow line a refusal calls for.
func (ri *runInstance) egress(verdict, target, reason string) {
	v := map[string]any{"egress": verdict, "target": target}
	if reason != "" {
		v["reason"] = reason
	}
	ri.emit(v)
}

func (ri *runInstance) end() {
	launcher.RemoveInstance(ri.path)
	if ri.status != nil {
		ri.status.Close()
	}
}

func (ri *runInstance) emit(v map[string]any) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.status == nil {
		return
	}
	b, _ := json.Marshal(v)
	_, _ = ri.status.Write(append(b, '\n'))
}
