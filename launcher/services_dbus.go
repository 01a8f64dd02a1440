package launcher

import (
	"fmt"
	"os"
	"path/filepath"
	"sandbox/plan"
	"strconv"

	"golang.org/x/sys/unix"
)

// startDBusProxy starts one xdg-dbus-proxy for every filtered bus, each
// listening on a socket in the private directory, and waits until it
// listens. The proxy runs in a namespace of its own, in which portals take
// it for a sandboxed app (services_dbus_ns.go).
//
// The proxy's --fd is the write end of a pipe: it writes one byte when its
// sockets listen, and exits when the read end, which the launcher keeps
// until the sandbox is gone, is closed. So the proxy stops with the
// launcher however the launcher ends.
func (s *services) startDBusProxy(p *plan.DBusProxy) error {
	dir, err := s.privateDir()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("D-Bus proxy sync pipe: %w", err)
	}
	// Fd makes the pipe blocking; the number is the one the proxy
	// inherits (the child keeps passed fds where they are).
	readyFD := int(w.Fd())
	s.sockets = map[string]string{}
	args := []string{"--fd=" + strconv.Itoa(readyFD)}
	for _, b := range p.Buses {
		sock := filepath.Join(dir, b.Bus+"-bus")
		s.sockets[b.Bus] = sock
		args = append(args, b.Address, sock, "--filter")
		args = append(args, b.Rules...)
	}
	instance := fmt.Sprintf("sandbox-%d", os.Getpid())
	h, err := s.startInNamespace("xdg-dbus-proxy", proxyPlan(p, p.Program, args, dir, readyFD, instance))
	w.Close()
	if err != nil {
		r.Close()
		if h != nil {
			return h.failure(err.Error())
		}
		return err
	}
	h.keep = append(h.keep, r)
	s.proxy = h
	got, err := readReady(nil, r, 1)
	if err != nil {
		return h.failure(err.Error())
	}
	if len(got) == 0 {
		return h.failure("did not start: check the bus address and the rules")
	}
	for _, b := range p.Buses {
		// The payload may run as another host uid than the proxy (root
		// launcher, identity.uid without a user namespace), and
		// connect(2) needs write permission on the socket. The socket
		// is reachable only through the private directory (0700) and
		// the sandbox's bind.
		if err := s.dirFD.Chmod(filepath.Base(s.sockets[b.Bus]), unix.S_IFSOCK, 0o666); err != nil {
			return h.failure(fmt.Sprintf("said it was ready, but its %s bus socket is missing (%v)", b.Bus, err))
		}
	}
	return nil
}
