package launcher

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"sandbox/plan"
	"testing"
	"time"
)

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestPulseProxyService starts the sound filter as Run does, against a
// fake server: the plan's PulseSocket becomes a read-only bind of the
// filter's socket, a client's handshake reaches the server with the
// cookie the launcher read, and stop closes every connection and
// descriptor and leaves no file.
func TestPulseProxyService(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	server := filepath.Join(dir, "native")
	l, err := net.Listen("unix", server)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cookie := bytes.Repeat([]byte{0x5A}, 256)
	cookieFile := filepath.Join(dir, "cookie")
	if err := os.WriteFile(cookieFile, cookie, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b := make([]byte, 20+10+5+5+256)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.ReadFull(c, b)
		got <- b
		io.Copy(io.Discard, c)
	}()

	before := openFDs(t)
	p := &plan.Plan{PulseProxy: &plan.PulseProxy{Server: server, Cookie: cookieFile},
		Steps: []plan.Step{plan.PulseSocket{Target: "/run/user/1/pulse/native"}}}
	svc, rp, err := startServices(p)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := rp.Steps[0].(plan.BindMount)
	// The private directory is in the caller's runtime directory, or in
	// /run for root, whose sandbox runs as another host id (R1).
	base := dir
	if os.Geteuid() == 0 {
		base = "/run"
	}
	if !ok || !b.ReadOnly || b.Target != "/run/user/1/pulse/native" || filepath.Dir(filepath.Dir(b.Source)) != base {
		t.Fatalf("step %+v, want a read-only bind of the filter's socket in the private directory", rp.Steps[0])
	}
	if _, ok := p.Steps[0].(plan.PulseSocket); !ok {
		t.Error("startServices changed the caller's plan")
	}
	c, err := net.Dial("unix", b.Source)
	if err != nil {
		t.Fatal(err)
	}
	svc.setupDone()
	if _, err := os.Stat(filepath.Dir(b.Source)); !os.IsNotExist(err) {
		t.Errorf("the private directory is still there after setup: %v", err)
	}
	var body []byte
	for _, v := range []uint32{8, 0, 35 | 0x80000000} {
		body = binary.BigEndian.AppendUint32(append(body, 'L'), v)
	}
	body = binary.BigEndian.AppendUint32(append(body, 'x'), 256)
	body = append(body, bytes.Repeat([]byte{1}, 256)...)
	hdr := make([]byte, 20)
	binary.BigEndian.PutUint32(hdr, uint32(len(body)))
	binary.BigEndian.PutUint32(hdr[4:], 0xFFFFFFFF)
	c.Write(append(hdr, body...))
	select {
	case frame := <-got:
		if !bytes.HasSuffix(frame, cookie) || binary.BigEndian.Uint32(frame[20+11:]) != 35 {
			t.Errorf("the server got %x; want version 35 without flags and the launcher's cookie", frame)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handshake did not reach the server")
	}
	svc.stop()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("the client's connection is still open after stop (read %d bytes)", n)
	}
	c.Close()
	<-served // the fake server's end closes once the filter's does
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open before the filter, %d after it stopped", before, after)
	}
}
