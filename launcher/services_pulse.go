package launcher

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"sandbox/launcher/internal/pulse"
	"sandbox/plan"
)

// pulseProxy is the sound filter, run inside the launcher: it listens on a
// socket in the private directory, which the sandbox gets bound as its
// PulseAudio socket, and relays each connection to the host's server
// through pulse.Relay. It lives as long as the launcher, which waits for
// the sandbox anyway, so it needs no process of its own and stops with
// the launcher however the launcher ends.
type pulseProxy struct {
	socket string
	l      net.Listener
	server string
	cookie []byte
	// ctx ends with stop, so that no relay waits on a server that does
	// not accept.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// maxPulseConns bounds the connections one sandbox may hold open at once:
// a player needs one or two, a browser a few.
const maxPulseConns = 64

// pulseDialTimeout bounds the wait for the host's server to accept.
const pulseDialTimeout = 10 * time.Second

// startPulseProxy listens for the sandbox's sound connections.
func (s *services) startPulseProxy(p *plan.PulseProxy) error {
	dir, err := s.privateDir()
	if err != nil {
		return err
	}
	cookie, err := readPulseCookie(p.Cookie)
	if err != nil {
		return err
	}
	sock := filepath.Join(dir, "pulse")
	l, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("sound filter: listening on %s: %w", sock, err)
	}
	// As for the D-Bus proxy: the payload may run as another host uid
	// than the launcher, and connect(2) needs write permission on the
	// socket, which is reachable only through the private directory
	// (0700) and the sandbox's bind. Through the directory's
	// descriptor, never its path (H3).
	if err := s.dirFD.Chmod(filepath.Base(sock), unix.S_IFSOCK, 0o666); err != nil {
		l.Close()
		return fmt.Errorf("sound filter: %w", err)
	}
	// The listener must not unlink the socket when it closes: the
	// private directory is removed once the sandbox has bound it.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	pp := &pulseProxy{socket: sock, l: l, server: p.Server, cookie: cookie, conns: map[net.Conn]bool{}}
	pp.ctx, pp.cancel = context.WithCancel(context.Background())
	s.pulse = pp
	pp.wg.Add(1)
	go pp.serve()
	return nil
}

// readPulseCookie reads the server's cookie; a cookie that is not there
// or not the protocol's 256 bytes is none.
func readPulseCookie(name string) ([]byte, error) {
	if name == "" {
		return nil, nil
	}
	f, err := os.Open(name)
	if err != nil {
		// The server may trust the launcher by its uid instead.
		return nil, nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 257))
	if err != nil {
		return nil, fmt.Errorf("reading the PulseAudio cookie %s: %w", name, err)
	}
	if len(b) != 256 {
		return nil, nil
	}
	return b, nil
}

func (pp *pulseProxy) serve() {
	defer pp.wg.Done()
	for {
		c, err := pp.l.Accept()
		if err != nil {
			return
		}
		if !pp.track(c, true) {
			c.Close()
			continue
		}
		pp.wg.Add(1)
		go func() {
			defer pp.wg.Done()
			defer pp.track(c, false)
			ctx, cancel := context.WithTimeout(pp.ctx, pulseDialTimeout)
			srv, err := (&net.Dialer{}).DialContext(ctx, "unix", pp.server)
			cancel()
			if err != nil {
				// The client sees the connection close, as it
				// would with the server gone.
				c.Close()
				return
			}
			if !pp.track(srv, true) {
				c.Close()
				srv.Close()
				return
			}
			defer pp.track(srv, false)
			// A protocol violation only ends this connection.
			_ = pulse.Relay(c, srv, pp.cookie)
		}()
	}
}

// track adds or removes a connection; adding fails once the proxy is
// stopping or holds its limit of client connections.
func (pp *pulseProxy) track(c net.Conn, add bool) bool {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if !add {
		delete(pp.conns, c)
		return true
	}
	if pp.closed || len(pp.conns) >= 2*maxPulseConns {
		return false
	}
	pp.conns[c] = true
	return true
}

// stop closes the listener and every connection, and waits for the
// relays to end.
func (pp *pulseProxy) stop() {
	pp.cancel()
	pp.mu.Lock()
	pp.closed = true
	pp.l.Close()
	for c := range pp.conns {
		c.Close()
	}
	pp.mu.Unlock()
	pp.wg.Wait()
}
