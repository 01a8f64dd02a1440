package egress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sandbox/plan"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The egress proxy of a filtered sandbox (network.mode = "filtered").
//
//	launcher                               sandbox (own netns, only lo)
//	--------                               ----------------------------
//	socketpair (unix, seqpacket)
//	clone ------------------------------->  lo up
//	                                         socket, bind 127.0.0.1:3128,
//	                                         listen
//	recvmsg <------- SCM_RIGHTS ------------ sendmsg, close both fds
//	accept on the socket                     ... payload ...
//	  CONNECT host:port / GET http://...  <- connect(127.0.0.1:3128)
//	  check network.allow, resolve,
//	  refuse internal addresses,
//	  connect to the checked address
//	  and copy both ways
//	sandbox ends: close everything, print
//	  the refused connections
//
// The proxy is goroutines of the launcher, in the host's namespaces: the
// sandbox sees no process of it, holds none of its descriptors (the
// socketpair's launcher end is closed in the child first, the listening
// socket right after it is handed over), and it ends with the launcher.
type Proxy struct {
	e    *plan.Egress
	pol  *egressPolicy
	rep  *egressReport
	peer *net.UnixConn // the launcher's end of the socketpair

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// egressMaxConns bounds the connections served at once: each holds two
// descriptors of the launcher's.
const egressMaxConns = 2048

// egressHeaderTimeout bounds the wait for a request's header, and
// egressDialTimeout a connection to the destination.
const (
	egressHeaderTimeout = 30 * time.Second
	egressDialTimeout   = 15 * time.Second
)

// NewProxy makes the socketpair; child is the end the sandbox's
// setup gets, peer the launcher's, which the child closes first.
func NewProxy(e *plan.Egress, w io.Writer, verbose bool) (x *Proxy, child, peer int, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, -1, fmt.Errorf("egress proxy socketpair: %w", err)
	}
	f := os.NewFile(uintptr(fds[0]), "egress")
	c, err := net.FileConn(f) // a duplicate, in the poller
	f.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, -1, -1, fmt.Errorf("egress proxy socketpair: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		syscall.Close(fds[1])
		return nil, -1, -1, errors.New("egress proxy socketpair is not a unix socket")
	}
	x = &Proxy{e: e, pol: newEgressPolicy(e), rep: newEgressReport(w, verbose), peer: uc,
		conns: map[net.Conn]struct{}{}}
	x.ctx, x.cancel = context.WithCancel(context.Background())
	// The number of the launcher's end: the duplicate's, which the
	// child inherits and must close.
	raw, err := uc.SyscallConn()
	if err == nil {
		err = raw.Control(func(fd uintptr) { peer = int(fd) })
	}
	if err != nil {
		uc.Close()
		syscall.Close(fds[1])
		return nil, -1, -1, fmt.Errorf("egress proxy socketpair: %w", err)
	}
	return x, fds[1], peer, nil
}

// start waits, in the background, for the listening socket the child
// hands over, then serves it. Called once the child is cloned.
func (x *Proxy) Start() {
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		ln, err := x.receive()
		x.peer.Close()
		if err != nil {
			return // the child failed before; its report says why
		}
		x.mu.Lock()
		if x.closed {
			x.mu.Unlock()
			ln.Close()
			return
		}
		x.ln = ln
		x.mu.Unlock()
		x.acceptLoop(ln)
	}()
}

// receive reads the one message carrying the listening socket.
func (x *Proxy) receive() (net.Listener, error) {
	buf := make([]byte, 1)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	_, oobn, _, _, err := x.peer.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		got, err := syscall.ParseUnixRights(&m)
		if err == nil {
			fds = append(fds, got...)
		}
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, errors.New("no listening socket received")
	}
	syscall.CloseOnExec(fds[0])
	f := os.NewFile(uintptr(fds[0]), "egress-listener")
	defer f.Close()
	return net.FileListener(f)
}

func (x *Proxy) acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if !x.track(c, true) {
			c.Close()
			continue
		}
		x.wg.Add(1)
		go func() {
			defer x.wg.Done()
			defer x.track(c, false)
			x.handle(c)
		}()
	}
}

// track adds or removes a connection; false when the proxy is stopping
// or full.
func (x *Proxy) track(c net.Conn, add bool) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !add {
		delete(x.conns, c)
		c.Close()
		return true
	}
	if x.closed || len(x.conns) >= egressMaxConns {
		return false
	}
	x.conns[c] = struct{}{}
	return true
}

// stop ends the proxy with the sandbox: no more connections, every open
// one cut, then the refused connections reported.
func (x *Proxy) Stop() {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return
	}
	x.closed = true
	x.cancel()
	x.peer.Close()
	if x.ln != nil {
		x.ln.Close()
	}
	for c := range x.conns {
		c.Close()
	}
	x.mu.Unlock()
	x.wg.Wait()
	x.rep.summary(x.e)
}

// handle serves one connection: one CONNECT tunnel, or one plain HTTP
// request with an absolute http:// URI.
func (x *Proxy) handle(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(egressHeaderTimeout))
	br := bufio.NewReaderSize(c, 8<<10)
	req, err := readEgressRequest(br)
	if err != nil {
		egressReply(c, 400, "sandbox egress proxy: not an HTTP proxy request\n")
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	hostport, defPort := req.target, 0
	if req.method != "CONNECT" {
		if req.url.Scheme != "http" || req.url.Host == "" {
			egressReply(c, 400, "sandbox egress proxy: send an absolute http:// URI, or CONNECT host:port for anything else\n")
			return
		}
		hostport, defPort = req.url.Host, 80
	}
	host, port, err := egressSplit(hostport, defPort)
	if err != nil {
		target := hostport
		x.rep.refuse(target, "not a host:port")
		egressReply(c, 400, "sandbox egress proxy: "+target+" is not host:port\n")
		return
	}
	target := egressTarget(host, port)
	ctx, cancel := context.WithTimeout(x.ctx, egressDialTimeout)
	addrs, why := x.pol.decide(ctx, host, port)
	if why != "" {
		cancel()
		x.rep.refuse(target, why)
		egressReply(c, 403, fmt.Sprintf("sandbox egress proxy: %s refused: %s\n", target, why))
		return
	}
	up, addr, err := egressDial(ctx, addrs, port)
	cancel()
	if err != nil {
		x.rep.refuse(target, "allowed, but the connection failed: "+err.Error())
		egressReply(c, 502, fmt.Sprintf("sandbox egress proxy: %s: %v\n", target, err))
		return
	}
	if !x.track(up, true) {
		up.Close()
		return
	}
	defer x.track(up, false)
	x.rep.allow(target, addr)
	if req.method == "CONNECT" {
		if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			return
		}
		// Bytes the client sent after the header (a TLS hello that
		// did not wait for the answer) go first.
		if n := br.Buffered(); n > 0 {
			b, _ := br.Peek(n)
			if _, err := up.Write(b); err != nil {
				return
			}
		}
		egressPipe(c, up)
		return
	}
	// Plain HTTP: one request, in origin form, then the answer. The
	// connection closes after it, so that a second request on it cannot
	// reach another host unchecked.
	if err := req.writeOrigin(bufio.NewWriter(up), br); err != nil {
		return
	}
	_, _ = io.Copy(c, up)
}

// egressSplit reads host and port; defPort is used when there is none
// (0: a port is required, as for CONNECT).
func egressSplit(hostport string, defPort int) (string, int, error) {
	host, ps, err := net.SplitHostPort(hostport)
	if err != nil {
		if defPort == 0 {
			return "", 0, err
		}
		host, ps = hostport, strconv.Itoa(defPort)
		if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 || host == "" {
		return "", 0, fmt.Errorf("bad host:port %q", hostport)
	}
	return host, port, nil
}

// egressDial connects to the first of addrs that answers.
func egressDial(ctx context.Context, addrs []netip.Addr, port int) (net.Conn, string, error) {
	var d net.Dialer
	var last error
	for _, a := range addrs {
		ap := netip.AddrPortFrom(a, uint16(port)).String()
		c, err := d.DialContext(ctx, "tcp", ap)
		if err == nil {
			return c, ap, nil
		}
		last = err
	}
	return nil, "", last
}

// egressPipe copies both ways. When the destination is done, everything
// it sent has reached the client and both close; when the client is done
// sending, the destination is told (half close) and may still answer.
func egressPipe(c, up net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(up, c)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(c, up)
	c.Close()
	up.Close()
	<-done
}

func egressReply(w io.Writer, code int, msg string) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, egressStatusText(code), len(msg), msg)
}

// Notify makes the proxy tell fn of each connection as it is decided
// (`sandbox -v`, and the tests).
func (x *Proxy) Notify(fn func(verdict, target, reason string)) { x.rep.notify = fn }
