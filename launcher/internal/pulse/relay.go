package pulse

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Relay carries one client connection to the server until either side
// closes or breaks the protocol, filtering what the client sends. cookie
// is the server's authentication cookie, or nil for none (the server then
// trusts the launcher by its uid). Both connections are closed on return;
// the error says why the relay stopped (nil for a clean close by either
// end).
func Relay(client, server net.Conn, cookie []byte) error {
	r := &relay{client: client, server: server, cookie: make([]byte, cookieLength),
		pending: map[uint32]streamKind{}, streams: map[streamKind]map[uint32]uint32{playback: {}, record: {}}}
	copy(r.cookie, cookie)
	errc := make(chan error, 2)
	go func() { errc <- r.fromClient() }()
	go func() { errc <- r.fromServer() }()
	err := <-errc
	// Either side ending ends both: closing unblocks the other loop.
	client.Close()
	server.Close()
	<-errc
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

type relay struct {
	client, server net.Conn
	cookie         []byte

	// clientMu serialises whole frames to the client: the server's
	// frames and the filter's own denials are written by two loops.
	clientMu sync.Mutex

	mu       sync.Mutex
	authed   bool   // the client sent its handshake
	authWait bool   // its reply has not come yet
	authTag  uint32 // the handshake's tag
	// nextTag is the least tag the client's next command may carry.
	// Clients number their commands upwards; holding them to it means
	// no two commands in flight share a tag, so a reply is matched to
	// the one command it answers.
	nextTag uint32
	tagsOut bool // the last tag was 2^32-1
	// pending maps the tag of a stream creation to its kind, until
	// the server replies with the stream's channel and index.
	pending map[uint32]streamKind
	// streams maps, per kind, each of this connection's stream
	// channels to the stream's server-wide index.
	streams map[streamKind]map[uint32]uint32
}

func (r *relay) toClient(b []byte) error {
	r.clientMu.Lock()
	defer r.clientMu.Unlock()
	_, err := r.client.Write(b)
	return err
}

// fromClient reads the client's frames: data for its streams goes on to
// the server as it comes, each command packet only once it is checked.
func (r *relay) fromClient() error {
	hdr := make([]byte, descriptorSize)
	for {
		if _, err := io.ReadFull(r.client, hdr); err != nil {
			return err
		}
		d := parseDescriptor(hdr)
		if err := d.check(maxClientPacket); err != nil {
			return fmt.Errorf("from the client: %w", err)
		}
		if d.channel != channelPacket {
			// The server checks that the channel is one of this
			// connection's streams.
			if _, err := r.server.Write(hdr); err != nil {
				return err
			}
			if _, err := io.CopyN(r.server, r.client, int64(d.length)); err != nil {
				return err
			}
			continue
		}
		body := make([]byte, d.length)
		if _, err := io.ReadFull(r.client, body); err != nil {
			return err
		}
		out, deny, err := r.filter(body)
		if err != nil {
			return fmt.Errorf("from the client: %w", err)
		}
		if deny {
			_, tag, _, _ := packetHeader(body)
			if err := r.toClient(denial(tag)); err != nil {
				return err
			}
			continue
		}
		if _, err := r.server.Write(packet(out)); err != nil {
			return err
		}
	}
}

// filter decides on one command packet of the client: the packet to send
// on (perhaps rewritten), or deny, or an error that ends the connection.
func (r *relay) filter(body []byte) (out []byte, deny bool, err error) {
	cmd, tag, rest, err := packetHeader(body)
	if err != nil {
		return nil, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if tag < r.nextTag || r.tagsOut {
		return nil, false, fmt.Errorf("command %d reuses tag %d; tags must go up", cmd, tag)
	}
	r.nextTag, r.tagsOut = tag+1, tag == ^uint32(0)
	if !r.authed {
		// The server accepts nothing before the handshake; neither
		// does the filter, so that the handshake is always seen.
		if cmd != cmdAuth {
			return nil, false, fmt.Errorf("command %d before the handshake", cmd)
		}
		out, err := rewriteAuth(tag, rest, r.cookie)
		if err != nil {
			return nil, false, err
		}
		r.authed, r.authWait, r.authTag = true, true, tag
		return out, false, nil
	}
	switch {
	case cmd == cmdCreatePlaybackStream:
		r.pending[tag] = playback
	case cmd == cmdCreateRecordStream:
		r.pending[tag] = record
	case cmd == cmdDeletePlaybackStream || cmd == cmdDeleteRecordStream:
		kind := playback
		if cmd == cmdDeleteRecordStream {
			kind = record
		}
		// Forget the stream now: its index may name another
		// program's stream once the server reuses it.
		if ch, _, err := getU32(rest); err == nil {
			delete(r.streams[kind], ch)
		}
	case ownStream(cmd) != 0:
		index, _, err := getU32(rest)
		if err != nil || !r.owns(ownStream(cmd), index) {
			return nil, true, nil
		}
		return body, false, nil
	}
	if !allowed(cmd) {
		return nil, true, nil
	}
	return body, false, nil
}

// owns reports whether index is one of this connection's streams.
func (r *relay) owns(kind streamKind, index uint32) bool {
	for _, i := range r.streams[kind] {
		if i == index {
			return true
		}
	}
	return false
}

// fromServer relays the server's frames, noting the replies that tell a
// new stream's index and the events that end a stream. The server is
// trusted, but a frame that refers to shared memory, or a command that
// would set it up, ends the connection: the filter relays only the byte
// stream it reads.
func (r *relay) fromServer() error {
	hdr := make([]byte, descriptorSize)
	for {
		if _, err := io.ReadFull(r.server, hdr); err != nil {
			return err
		}
		d := parseDescriptor(hdr)
		if err := d.check(maxFrame); err != nil {
			return fmt.Errorf("from the server: %w", err)
		}
		frame := make([]byte, descriptorSize+int(d.length))
		copy(frame, hdr)
		if _, err := io.ReadFull(r.server, frame[descriptorSize:]); err != nil {
			return err
		}
		if d.channel == channelPacket {
			if err := r.observe(frame[descriptorSize:]); err != nil {
				return fmt.Errorf("from the server: %w", err)
			}
		}
		if err := r.toClient(frame); err != nil {
			return err
		}
	}
}

// observe reads a server packet for what the filter tracks. It may
// rewrite the handshake reply in place.
func (r *relay) observe(body []byte) error {
	cmd, tag, rest, err := packetHeader(body)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch cmd {
	case cmdEnableSRBChannel, cmdRegisterMemfdSHMID:
		return fmt.Errorf("the server offered shared memory (command %d) though the client's flags were cleared", cmd)
	case cmdReply, cmdError:
		if r.authWait && tag == r.authTag {
			r.authWait = false
			if cmd == cmdReply && len(rest) >= 5 && rest[0] == tagU32 {
				// The server's flags answer the client's, which were
				// cleared; clear them here too, so the client never
				// expects shared memory.
				v := uint32(rest[1])<<24 | uint32(rest[2])<<16 | uint32(rest[3])<<8 | uint32(rest[4])
				v &= versionMask
				rest[1], rest[2], rest[3], rest[4] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
			}
			return nil
		}
		kind, ok := r.pending[tag]
		if !ok {
			return nil
		}
		delete(r.pending, tag)
		if cmd != cmdReply {
			return nil
		}
		ch, rest, err := getU32(rest)
		if err != nil {
			return fmt.Errorf("stream creation reply: channel: %w", err)
		}
		index, _, err := getU32(rest)
		if err != nil {
			return fmt.Errorf("stream creation reply: index: %w", err)
		}
		r.streams[kind][ch] = index
	case cmdPlaybackStreamKilled, cmdRecordStreamKilled:
		kind := playback
		if cmd == cmdRecordStreamKilled {
			kind = record
		}
		if ch, _, err := getU32(rest); err == nil {
			delete(r.streams[kind], ch)
		}
	}
	return nil
}
