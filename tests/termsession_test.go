package tests

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// termSession is a program on a pseudo-terminal of its own (its
// controlling terminal, in a session of its own), driven by what a test
// types.
type termSession struct {
	t    *testing.T
	p    pty
	mu   sync.Mutex
	cond *sync.Cond
	buf  bytes.Buffer
	seen int // what expect consumed
	eof  bool
}

func newTermSession(t *testing.T, p pty, m mode, env []string, argv ...string) *termSession {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.slave, p.slave, p.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if m.rootless() {
		cmd.SysProcAttr.Credential = m.cred
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &termSession{t: t, p: p}
	s.cond = sync.NewCond(&s.mu)
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := p.master.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:max(n, 0)])
			if err != nil {
				s.eof = true
			}
			s.cond.Broadcast()
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		// The whole session: the shell, the launcher and anything left.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	return s
}

func (s *termSession) send(text string) {
	if _, err := s.p.master.Write([]byte(text)); err != nil {
		s.t.Fatal(err)
	}
}

// expect waits up to 20 seconds for want in what came after the last
// expected text, and consumes up to its end.
func (s *termSession) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	timer := time.AfterFunc(20*time.Second, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		rest := s.buf.String()[s.seen:]
		if i := strings.Index(rest, want); i >= 0 {
			s.seen += i + len(want)
			return
		}
		if s.eof || time.Now().After(deadline) {
			s.t.Fatalf("waited for %q on the terminal; it showed:\n%s", want, s.buf.String())
		}
		s.cond.Wait()
	}
}

// pending is what came after the last expected text.
func (s *termSession) pending() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()[s.seen:]
}

// all is everything the terminal showed.
func (s *termSession) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.ReplaceAll(s.buf.String(), "\r\n", "\n")
}
