package launcher

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// startDBusProxy starts one xdg-dbus-proxy for every filtered bus, each
// listening on a socket in the private directory, and waits until it
// listens.
//
// The proxy's --fd is the write end of a pipe: it writes one byte when its
// sockets listen, and exits when the read end, which the launcher keeps
// until the sandbox is gone, is closed. So the proxy stops with the
// launcher however the launcher ends.
func (s *services) startDBusProxy(p *DBusProxy) error {
	dir, err := s.privateDir()
	if err != nil {
		return err
	}
	s.sockets = map[string]string{}
	args := []string{"--fd=3"}
	for _, b := range p.Buses {
		sock := filepath.Join(dir, b.Bus+"-bus")
		s.sockets[b.Bus] = sock
		args = append(args, b.Address, sock, "--filter")
		args = append(args, b.Rules...)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("sandbox: D-Bus proxy sync pipe: %w", err)
	}
	h, err := s.start("xdg-dbus-proxy", p.Program, args, []*os.File{w})
	w.Close()
	if err != nil {
		r.Close()
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
