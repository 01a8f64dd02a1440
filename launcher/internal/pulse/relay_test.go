package pulse

import (
	"bytes"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// connPair is a connected pair of unix stream sockets, like the ones the
// relay runs between.
func connPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cs [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	return cs[0], cs[1]
}

// session is a relay with the test as both its client and its server.
type session struct {
	t              *testing.T
	client, server net.Conn
	done           chan error
}

var testCookie = bytes.Repeat([]byte{0xC0}, cookieLength)

func newSession(t *testing.T) *session {
	t.Helper()
	c, relayClient := connPair(t)
	relayServer, s := connPair(t)
	done := make(chan error, 1)
	go func() { done <- Relay(relayClient, relayServer, testCookie) }()
	t.Cleanup(func() {
		c.Close()
		s.Close()
		<-done
	})
	return &session{t: t, client: c, server: s, done: done}
}

func cmdPacket(cmd, tag uint32, args ...uint32) []byte {
	b := putU32(putU32(nil, cmd), tag)
	for _, a := range args {
		b = putU32(b, a)
	}
	return packet(b)
}

func authPacket(tag, version uint32, cookie []byte) []byte {
	return packet(putArbitrary(putU32(putU32(putU32(nil, cmdAuth), tag), version), cookie))
}

// readFrame reads one frame and returns its descriptor and body.
func readFrame(t *testing.T, c net.Conn) (descriptor, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, descriptorSize)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	d := parseDescriptor(hdr)
	body := make([]byte, d.length)
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatalf("reading a frame's body: %v", err)
	}
	return d, body
}

func (s *session) write(c net.Conn, b []byte) {
	s.t.Helper()
	if _, err := c.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

// expectPacket reads a packet from c and checks its command and tag.
func (s *session) expectPacket(c net.Conn, cmd, tag uint32) []byte {
	s.t.Helper()
	d, body := readFrame(s.t, c)
	if d.channel != channelPacket {
		s.t.Fatalf("got a data frame for channel %d, want command %d", d.channel, cmd)
	}
	gc, gt, rest, err := packetHeader(body)
	if err != nil || gc != cmd || gt != tag {
		s.t.Fatalf("got command %d tag %d (%v), want command %d tag %d", gc, gt, err, cmd, tag)
	}
	return rest
}

// expectDenied checks that the client got "access denied" for tag.
func (s *session) expectDenied(tag uint32) {
	s.t.Helper()
	rest := s.expectPacket(s.client, cmdError, tag)
	if code, _, err := getU32(rest); err != nil || code != errAccess {
		s.t.Fatalf("error code %d (%v), want %d", code, err, errAccess)
	}
}

// expectClosed checks that the relay ended the connection with an error.
func (s *session) expectClosed() {
	s.t.Helper()
	select {
	case err := <-s.done:
		if err == nil {
			s.t.Fatal("relay ended without an error, want a protocol error")
		}
		s.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		s.t.Fatal("the relay did not end the connection")
	}
}

// handshake runs the authentication and returns the tag after it.
func (s *session) handshake() uint32 {
	s.t.Helper()
	s.write(s.client, authPacket(0, 35|0x80000000|0x40000000, bytes.Repeat([]byte{'A'}, cookieLength)))
	rest := s.expectPacket(s.server, cmdAuth, 0)
	v, rest, _ := getU32(rest)
	cookie, _, err := getArbitrary(rest)
	if v != 35 || err != nil || !bytes.Equal(cookie, testCookie) {
		s.t.Fatalf("server got version %#x and cookie %q (%v); want 35 without flags and the launcher's cookie", v, cookie, err)
	}
	s.write(s.server, cmdPacket(cmdReply, 0, 35|0x80000000))
	rest = s.expectPacket(s.client, cmdReply, 0)
	if v, _, _ := getU32(rest); v != 35 {
		s.t.Fatalf("client got server version %#x, want 35 without the shared-memory flag", v)
	}
	return 1
}

// TestRelayHandshake checks that the client's shared-memory flags and
// cookie never reach the server, and the server's flags never the client.
func TestRelayHandshake(t *testing.T) {
	s := newSession(t)
	tag := s.handshake()
	s.write(s.client, cmdPacket(cmdGetServerInfo, tag))
	s.expectPacket(s.server, cmdGetServerInfo, tag)
}

// TestRelayDenies sends each refused command and checks that the client
// gets "access denied" and the server never sees it: the next, allowed,
// command is the server's next packet.
func TestRelayDenies(t *testing.T) {
	denied := []uint32{0, 1, 2, 7, 8, 15, 16, 17, 19, 25, 26, 27, 28, 30, 32, 33, 34, 36, 38, 39, 40, 44, 45,
		48, 49, 50, 51, 52, 53, 54, 55, 56, 61, 66, 67, 68, 70, 71, 86, 87, 88, 89, 90, 91, 96, 97, 100,
		101, 102, 103, 104, 105, 1000, 0xFFFFFFFF}
	s := newSession(t)
	tag := s.handshake()
	for _, cmd := range denied {
		s.write(s.client, cmdPacket(cmd, tag, 0))
		s.expectDenied(tag)
		tag++
	}
	s.write(s.client, cmdPacket(cmdGetServerInfo, tag))
	s.expectPacket(s.server, cmdGetServerInfo, tag)
}

// TestRelayOwnStreams checks that commands naming a stream by its index
// pass only for this connection's own streams, while they exist.
func TestRelayOwnStreams(t *testing.T) {
	s := newSession(t)
	tag := s.handshake()

	// A playback stream on channel 0 with sink input 42, a record
	// stream on channel 1 with source output 7.
	s.write(s.client, cmdPacket(cmdCreatePlaybackStream, tag))
	s.expectPacket(s.server, cmdCreatePlaybackStream, tag)
	s.write(s.server, cmdPacket(cmdReply, tag, 0, 42, 4096))
	s.expectPacket(s.client, cmdReply, tag)
	tag++
	s.write(s.client, cmdPacket(cmdCreateRecordStream, tag))
	s.expectPacket(s.server, cmdCreateRecordStream, tag)
	s.write(s.server, cmdPacket(cmdReply, tag, 1, 7))
	s.expectPacket(s.client, cmdReply, tag)
	tag++

	pass := func(cmd, index uint32) {
		t.Helper()
		s.write(s.client, cmdPacket(cmd, tag, index))
		s.expectPacket(s.server, cmd, tag)
		tag++
	}
	deny := func(cmd, index uint32) {
		t.Helper()
		s.write(s.client, cmdPacket(cmd, tag, index))
		s.expectDenied(tag)
		tag++
	}
	for _, cmd := range []uint32{cmdSetSinkInputVolume, cmdSetSinkInputMute, cmdGetSinkInputInfo} {
		pass(cmd, 42)
		deny(cmd, 41) // another program's
		deny(cmd, 7)  // a source output's index, not a sink input's
	}
	for _, cmd := range []uint32{cmdSetSourceOutputVolume, cmdSetSourceOutputMute, cmdGetSourceOutputInfo} {
		pass(cmd, 7)
		deny(cmd, 42)
	}
	// Deleted or killed, a stream is no longer the connection's: the
	// server may give its index to another program's.
	pass(cmdDeletePlaybackStream, 0)
	deny(cmdSetSinkInputVolume, 42)
	s.write(s.server, cmdPacket(cmdRecordStreamKilled, 0xFFFFFFFF, 1))
	s.expectPacket(s.client, cmdRecordStreamKilled, 0xFFFFFFFF)
	deny(cmdSetSourceOutputVolume, 7)
	// A failed creation gives nothing.
	s.write(s.client, cmdPacket(cmdCreatePlaybackStream, tag))
	s.expectPacket(s.server, cmdCreatePlaybackStream, tag)
	s.write(s.server, cmdPacket(cmdError, tag, 3))
	s.expectPacket(s.client, cmdError, tag)
	tag++
	deny(cmdSetSinkInputVolume, 3)
}

// TestRelayData checks that audio frames pass both ways unchanged.
func TestRelayData(t *testing.T) {
	s := newSession(t)
	s.handshake()
	data := bytes.Repeat([]byte{1, 2, 3, 4}, 5000)
	frame := append(descriptor{length: uint32(len(data)), channel: 0, flags: 1}.bytes(), data...)
	s.write(s.client, frame)
	d, body := readFrame(t, s.server)
	if d.channel != 0 || d.flags != 1 || !bytes.Equal(body, data) {
		t.Fatalf("server got %+v and %d bytes, want the client's frame", d, len(body))
	}
	s.write(s.server, frame)
	d, body = readFrame(t, s.client)
	if d.channel != 0 || !bytes.Equal(body, data) {
		t.Fatalf("client got %+v and %d bytes, want the server's frame", d, len(body))
	}
}

// TestRelayProtocolErrors checks what ends a connection: anything that
// would let a command past the filter or refer to shared memory.
func TestRelayProtocolErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		run  func(s *session)
	}{
		{"command before the handshake", func(s *session) {
			s.write(s.client, cmdPacket(cmdGetServerInfo, 0))
		}},
		{"tag reused", func(s *session) {
			tag := s.handshake()
			s.write(s.client, cmdPacket(cmdGetServerInfo, tag))
			s.expectPacket(s.server, cmdGetServerInfo, tag)
			s.write(s.client, cmdPacket(cmdGetServerInfo, tag))
		}},
		{"shared memory from the client", func(s *session) {
			s.handshake()
			s.write(s.client, descriptor{length: 0, channel: 0, flags: 0x80000000}.bytes())
		}},
		{"shared memory release packet", func(s *session) {
			s.handshake()
			s.write(s.client, descriptor{length: 0, channel: channelPacket, flags: 0x40000000}.bytes())
		}},
		{"unknown seek mode", func(s *session) {
			s.handshake()
			s.write(s.client, descriptor{length: 0, channel: 0, flags: 9}.bytes())
		}},
		{"huge packet", func(s *session) {
			s.handshake()
			s.write(s.client, descriptor{length: maxClientPacket + 1, channel: channelPacket}.bytes())
		}},
		{"short packet", func(s *session) {
			s.handshake()
			s.write(s.client, append(descriptor{length: 5, channel: channelPacket}.bytes(), putU32(nil, cmdStat)...))
		}},
		{"malformed cookie", func(s *session) {
			s.write(s.client, authPacket(0, 35, []byte("short")))
		}},
		{"server offers a shared ring buffer", func(s *session) {
			s.handshake()
			s.write(s.server, cmdPacket(cmdEnableSRBChannel, 0xFFFFFFFF, 0))
		}},
		{"server sends shared memory", func(s *session) {
			s.handshake()
			s.write(s.server, descriptor{length: 0, channel: 0, flags: 0x80000000}.bytes())
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t)
			tt.run(s)
			s.expectClosed()
		})
	}
}

const cmdLoadModule = 51

// FuzzRelayClient feeds the relay arbitrary bytes from the client and
// checks what reaches the server: the handshake first, then only commands
// on the lists. The server side answers nothing.
func FuzzRelayClient(f *testing.F) {
	auth := authPacket(0, 35, testCookie)
	f.Add(auth)
	f.Add(append(append([]byte{}, auth...), cmdPacket(cmdLoadModule, 1)...))
	f.Add(append(append([]byte{}, auth...), cmdPacket(cmdSetSinkInputVolume, 1, 3)...))
	f.Add(append(append([]byte{}, auth...), descriptor{length: 4, channel: 0}.bytes()...))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, relayClient := connPair(t)
		relayServer, s := connPair(t)
		done := make(chan error, 1)
		go func() { done <- Relay(relayClient, relayServer, testCookie) }()
		// The client reads its denials while it writes, as a
		// client that writes much must.
		go io.Copy(io.Discard, c)
		go func() {
			c.Write(in)
			// Let the relay read everything, then hang up.
			c.(*net.UnixConn).CloseWrite()
		}()
		got, _ := io.ReadAll(s)
		s.Close()
		<-done
		c.Close()
		first := true
		for len(got) > 0 {
			if len(got) < descriptorSize {
				t.Fatalf("a partial descriptor reached the server: %x", got)
			}
			d := parseDescriptor(got)
			got = got[descriptorSize:]
			if uint64(d.length) > uint64(len(got)) {
				// The relay stopped inside a data frame it was
				// streaming: the client's input ended early.
				if d.channel == channelPacket {
					t.Fatalf("a partial packet reached the server")
				}
				return
			}
			body := got[:d.length]
			got = got[d.length:]
			if d.flags&flagSHMMask != 0 {
				t.Fatalf("a shared-memory frame reached the server: %+v", d)
			}
			if d.channel != channelPacket {
				continue
			}
			cmd, _, _, err := packetHeader(body)
			if err != nil {
				t.Fatalf("a malformed packet reached the server: %v", err)
			}
			switch {
			case first:
				if cmd != cmdAuth {
					t.Fatalf("command %d reached the server before the handshake", cmd)
				}
				first = false
			case cmd == cmdAuth || !allowed(cmd) && ownStream(cmd) == 0:
				t.Fatalf("command %d reached the server", cmd)
			case ownStream(cmd) != 0:
				// The server never replied, so the client owns no
				// stream.
				t.Fatalf("command %d on a stream the client does not own reached the server", cmd)
			}
		}
	})
}
