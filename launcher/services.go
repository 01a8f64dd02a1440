package launcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"sandbox/egress"
	"sandbox/internal/nofollow"
	"sandbox/plan"
)

// Services are the helper processes a plan runs on the host next to the
// sandbox: the D-Bus proxy, started before clone because its sockets are
// bound during setup, and the NAT helper, attached to the sandbox's
// network namespace after clone, while the sandbox waits.
//
//	launcher                          helpers                 sandbox
//	--------                          -------                 -------
//	mkdir private dir (0700)
//	start xdg-dbus-proxy --fd=N ----> [own namespaces: a root
//	  (services_dbus_ns.go)             with /.flatpak-info]
//	                                  listens, writes "x"
//	read ready <----------------------'
//	clone --------------------------------------------------> [maps]
//	start pasta/slirp4netns PID ----> joins the netns,        wait_network:
//	                                  configures it             read(sync)
//	read ready <----------------------'
//	[slirp4netns: add_hostfwd]
//	write(sync, 1) -------------------------------------------> steps...
//	report pipe EOF (exec'd)
//	remove the private dir: the sockets stay reachable
//	  through the binds, and nothing is left on the host
//	  if the launcher is killed later
//	... the sandbox exits ...
//	stop: close the proxy's sync fd and slirp4netns's exit fd,
//	  SIGTERM, wait (SIGKILL if it lingers)
//
// A helper never outlives the launcher: each gets PR_SET_PDEATHSIG from a
// thread that lives as long as the process (see servicesSpawn), the proxy
// also stops when its sync pipe closes and slirp4netns when its exit pipe
// does. Helpers get their own process group, so a ^C at the terminal
// reaches the sandbox (through the launcher) but does not cut its network
// or its bus.
type services struct {
	// abort ends a wait for a helper when a signal stopped the setup
	// (runSignals); nil before the sandbox is cloned.
	abort context.Context
	dir   string // private directory for sockets, "" when none
	// dirFD holds dir open from the moment it was made: the sockets in
	// it are changed through it, never through its path, which a
	// payload that can write the directory above could have swapped
	// for a symlink (checklist H3).
	dirFD   *nofollow.Dir
	helpers []*helper
	proxy   *helper // the D-Bus proxy, for its socket paths
	sockets map[string]string
	pulse   *pulseProxy // the sound filter, nil when none
	// egress is the filtered sandbox's proxy, and egressChild the
	// child's end of its socketpair until the clone.
	egress      *egress.Proxy
	egressChild int
}

// egressStarted closes the launcher's copy of the child's socketpair end,
// so that a child that fails before handing over the listening socket
// ends the wait for it, and starts the proxy.
func (s *services) egressStarted() {
	if s.egress == nil {
		return
	}
	syscall.Close(s.egressChild)
	s.egressChild = -1
	s.egress.Start()
}

// helper is one running helper process.
type helper struct {
	name   string
	pid    int // the leader of its own process group
	output *boundedBuffer
	// keep are the launcher's ends of pipes whose closing tells the
	// helper to stop (the proxy's sync fd, slirp4netns's exit fd).
	keep   []*os.File
	waited chan struct{}
	err    error
}

// maxHelperOutput bounds what is kept of a helper's output for an error
// message.
const maxHelperOutput = 4 << 10

// helperStopGrace is how long a helper may take to exit after SIGTERM
// before it is killed.
const helperStopGrace = 2 * time.Second

// helperReadyTimeout bounds the wait for a helper to say it is ready: a
// helper that hangs must not hang the launch.
const helperReadyTimeout = 20 * time.Second

// startServices starts what the plan needs before clone and returns the
// plan the child runs: p itself, or a copy whose DBusSocket and
// PulseSocket steps are binds of the helpers' sockets.
func startServices(p *plan.Plan) (*services, *plan.Plan, error) {
	s := &services{}
	if p.DBusProxy == nil && p.PulseProxy == nil {
		return s, p, nil
	}
	if p.DBusProxy != nil {
		if err := s.startDBusProxy(p.DBusProxy); err != nil {
			s.stop()
			return nil, nil, &SetupError{Step: -1, Kind: "dbus-proxy", Origin: p.DBusProxy.Buses[0].At,
				Msg:  err.Error(),
				Hint: "check that the bus is running and its address ($DBUS_SESSION_BUS_ADDRESS, $DBUS_SYSTEM_BUS_ADDRESS) is right, or remove the profile's D-Bus rules"}
		}
	}
	if p.PulseProxy != nil {
		if err := s.startPulseProxy(p.PulseProxy); err != nil {
			s.stop()
			return nil, nil, &SetupError{Step: -1, Kind: "pulse-proxy", Origin: p.PulseProxy.At,
				Msg: err.Error()}
		}
	}
	if err := s.giveDir(p); err != nil {
		s.stop()
		kind, at := "pulse-proxy", plan.Origin{}
		if p.PulseProxy != nil {
			at = p.PulseProxy.At
		}
		if p.DBusProxy != nil {
			kind, at = "dbus-proxy", p.DBusProxy.Buses[0].At
		}
		return nil, nil, &SetupError{Step: -1, Kind: kind, Origin: at,
			Msg: "giving the helpers' socket directory to the sandbox's host id: " + err.Error()}
	}
	rp := *p
	rp.Steps = append([]plan.Step(nil), p.Steps...)
	for i, st := range rp.Steps {
		if d, ok := st.(plan.PulseSocket); ok {
			if s.pulse == nil {
				s.stop()
				return nil, nil, &SetupError{Step: i, Kind: d.Kind(), Path: d.Target, Origin: d.At,
					Errno: syscall.EINVAL, Msg: "the plan has no sound filter"}
			}
			rp.Steps[i] = plan.BindMount{From: d.From, Source: s.pulse.socket, Target: d.Target, ReadOnly: true}
			continue
		}
		if d, ok := st.(plan.DBusSocket); ok {
			src, ok := s.sockets[d.Bus]
			if !ok {
				s.stop()
				return nil, nil, &SetupError{Step: i, Kind: d.Kind(), Path: d.Target, Origin: d.At,
					Errno: syscall.EINVAL, Msg: "the plan has no D-Bus proxy for the " + d.Bus + " bus"}
			}
			rp.Steps[i] = plan.BindMount{From: d.From, Source: src, Target: d.Target, ReadOnly: true}
		}
	}
	return s, &rp, nil
}

// privateDir makes the directory for the helpers' sockets: mode 0700 with
// a random name (F15: no predictable path in a shared directory), in /run
// for root (whose sandbox, an unprivileged host id, must be able to pass
// through it: root's own $XDG_RUNTIME_DIR is closed to it), else in the
// caller's $XDG_RUNTIME_DIR when it has one and it is the launcher's own,
// else in the temporary directory. A runtime directory of another user
// (root launching with a user's session) may be closed to the sandbox's
// setup, which binds the sockets from there holding capabilities only in
// its own user namespace.
func (s *services) privateDir() (string, error) {
	if s.dir != "" {
		return s.dir, nil
	}
	var bases []string
	if os.Geteuid() == 0 {
		bases = append(bases, "/run")
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); strings.HasPrefix(rt, "/") {
		var st syscall.Stat_t
		if syscall.Stat(rt, &st) == nil && int(st.Uid) == os.Geteuid() {
			bases = append(bases, rt)
		}
	}
	bases = append(bases, os.TempDir())
	var err error
	for _, b := range bases {
		var dir string
		if dir, err = os.MkdirTemp(b, "sandbox-helpers-"); err == nil {
			if s.dirFD, err = openPrivateDir(b, dir); err != nil {
				os.Remove(dir)
				return "", err
			}
			s.dir = dir
			return dir, nil
		}
	}
	return "", fmt.Errorf("creating a private directory for helper sockets: %w", err)
}

// giveDir gives the private directory to the host ids the sandbox of a
// root launch runs as (R1): the sandbox opens the sockets it binds as that
// id, and only that id, besides root, may then pass through.
func (s *services) giveDir(p *plan.Plan) error {
	if s.dirFD == nil || os.Geteuid() != 0 {
		return nil
	}
	uid, gid, ok := p.HostIDs()
	if !ok || uid == 0 {
		return nil
	}
	return s.dirFD.Chown(int(uid), int(gid))
}

// openPrivateDir opens dir, just made in base, without following a link,
// and checks that it is still the caller's private directory.
func openPrivateDir(base, dir string) (*nofollow.Dir, error) {
	d, err := nofollow.OpenDir(base, dir, false)
	if err != nil {
		return nil, fmt.Errorf("opening the private directory for helper sockets: %w", err)
	}
	st, err := d.Stat()
	if err == nil && (st.Uid != uint32(os.Geteuid()) || st.Mode&0o777 != 0o700) {
		err = fmt.Errorf("%s is not the launcher's private directory (owner %d, mode %#o)", dir, st.Uid, st.Mode&0o7777)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("%w", err)
	}
	return d, nil
}

// setupDone removes the private directory once the sandbox has bound what
// it needs: a bound socket stays reachable through its bind after its
// name is gone, and a launcher killed from now on leaves nothing behind.
func (s *services) setupDone() {
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
	if s.dirFD != nil {
		s.dirFD.Close()
		s.dirFD = nil
	}
}

// stop ends every helper and removes what they left.
func (s *services) stop() {
	if s.egress != nil && s.egressChild >= 0 {
		syscall.Close(s.egressChild) // never cloned
		s.egressChild = -1
	}
	for _, h := range s.helpers {
		h.stop()
	}
	s.helpers = nil
	if s.pulse != nil {
		s.pulse.stop()
		s.pulse = nil
	}
	s.setupDone()
}

// start runs a helper. extra become its fds 3, 4, ...
func (s *services) start(name, prog string, args []string, extra []*os.File) (*helper, error) {
	h := &helper{name: name, output: &boundedBuffer{max: maxHelperOutput}, waited: make(chan struct{})}
	cmd := exec.Command(prog, args...)
	cmd.Env = os.Environ()
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = h.output, h.output
	cmd.ExtraFiles = extra
	cmd.WaitDelay = time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := servicesSpawn(cmd); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, prog, err)
	}
	h.pid = cmd.Process.Pid
	s.helpers = append(s.helpers, h)
	go func() {
		h.err = cmd.Wait()
		close(h.waited)
	}()
	return h, nil
}

// exited reports whether the helper has ended.
func (h *helper) exited() bool {
	select {
	case <-h.waited:
		return true
	default:
		return false
	}
}

// failure describes a helper that did not become ready.
func (h *helper) failure(what string) error {
	// A closed ready pipe usually means the helper is exiting: give it
	// the moment it takes, so that its status and its last words are
	// in the message.
	select {
	case <-h.waited:
	case <-time.After(helperStopGrace):
	}
	msg := strings.TrimSpace(h.output.String())
	state := "it is still running"
	if h.exited() {
		state = "it exited"
		if h.err != nil {
			state += " (" + h.err.Error() + ")"
		}
	}
	if msg != "" {
		msg = ": " + msg
	}
	return fmt.Errorf("%s %s; %s%s", h.name, what, state, msg)
}

func (h *helper) stop() {
	for _, f := range h.keep {
		f.Close()
	}
	h.keep = nil
	if !h.exited() {
		// The group, in case the helper forked.
		_ = syscall.Kill(-h.pid, syscall.SIGTERM)
		select {
		case <-h.waited:
		case <-time.After(helperStopGrace):
			_ = syscall.Kill(-h.pid, syscall.SIGKILL)
			<-h.waited
		}
	}
}

// readReady reads a helper's readiness pipe until a newline, n bytes,
// EOF, the timeout or the end of abort (nil: none), and returns what was
// read. What counts as ready is the caller's to decide: one byte, a pid,
// nothing at all at EOF.
func readReady(abort context.Context, f *os.File, n int) ([]byte, error) {
	if err := f.SetReadDeadline(time.Now().Add(helperReadyTimeout)); err != nil {
		return nil, err
	}
	if abort != nil {
		// A helper that never gets ready must not hold a launcher
		// that was told to stop for the whole timeout.
		defer context.AfterFunc(abort, func() { _ = f.SetReadDeadline(time.Now()) })()
	}
	var got []byte
	buf := make([]byte, 64)
	for len(got) < n && bytes.IndexByte(got, '\n') < 0 {
		m, err := f.Read(buf)
		got = append(got, buf[:m]...)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && abort != nil && abort.Err() != nil {
				return got, errors.New("was still starting when a signal stopped the setup")
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return got, fmt.Errorf("did not get ready within %s", helperReadyTimeout)
			}
			return got, nil
		}
	}
	return got, nil
}

// servicesSpawn starts cmd on one OS thread that lives as long as the
// process. PR_SET_PDEATHSIG fires when the thread that forked the helper
// exits, not the process (golang/go#27505); a goroutine's thread is only
// borrowed, and the Go runtime ends a thread whose locked goroutine
// returns. Forking every helper from a thread that never ends ties their
// death signal to the launcher's.
func servicesSpawn(cmd *exec.Cmd) error {
	s := &servicesSpawner
	s.once.Do(func() {
		s.req = make(chan servicesSpawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread stays
			for r := range s.req {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	s.req <- servicesSpawnReq{cmd: cmd, done: done}
	return <-done
}

var servicesSpawner struct {
	once sync.Once
	req  chan servicesSpawnReq
}

type servicesSpawnReq struct {
	cmd  *exec.Cmd
	done chan<- error
}

// boundedBuffer keeps the first max bytes written to it.
type boundedBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.b.Len(); room > 0 {
		if len(p) > room {
			w.b.Write(p[:room])
		} else {
			w.b.Write(p)
		}
	}
	return len(p), nil
}

func (w *boundedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
