// Package pulse filters the PulseAudio native protocol, so that a sandboxed
// client of a sound server can play and record and do nothing else.
//
// A client of the native protocol can ask the server to load a module
// (which runs code in the server: module-ladspa-sink dlopens any path, a
// TCP module opens a listener), to unload one, to change defaults, cards,
// ports and device volumes, or to kill other clients. PulseAudio has no
// per-client restriction and pipewire-pulse (0.3.65) none for modules, so
// the launcher puts this filter between the sandbox and the server: every
// command the client sends is checked against a list of what playing and
// recording need, and anything else is answered "access denied" without
// reaching the server.
//
// The filter also keeps the connection to one byte stream. It clears the
// client's shared-memory and memfd flags in the handshake, so the server
// never offers a shared ring buffer (through which commands would bypass
// the filter) or memory blocks by reference; a frame that still refers to
// shared memory ends the connection. File descriptors sent either way are
// dropped by the kernel, as the filter reads with read(2).
package pulse

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A frame starts with a descriptor of five big-endian 32-bit words.
const (
	descriptorSize = 20
	// channelPacket in the channel word marks a command packet; any
	// other value is audio data for that stream channel.
	channelPacket = 0xFFFFFFFF
	// flagSHMMask covers the descriptor flags that refer to shared
	// memory (data by reference, release, revoke, memfd blocks). The
	// low byte of a data frame's flags is its seek mode.
	flagSHMMask  = 0xFF000000
	seekModeMask = 0x000000FF
	maxSeekMode  = 3 // PA_SEEK_RELATIVE_END
)

// Size limits. The server itself refuses frames over 16 MiB. A client's
// command packet is small (the largest is a stream with its property
// list); the bound keeps a client from making the launcher hold much.
const (
	maxFrame        = 16 << 20
	maxClientPacket = 1 << 20
)

// Tag types of the tagstruct encoding that the filter reads.
const (
	tagU32       = 'L'
	tagArbitrary = 'x'
)

// Commands, numbered as in the protocol (each fixed by its position in
// the protocol's command list since it was introduced).
const (
	cmdError                  = 0
	cmdReply                  = 2
	cmdCreatePlaybackStream   = 3
	cmdDeletePlaybackStream   = 4
	cmdCreateRecordStream     = 5
	cmdDeleteRecordStream     = 6
	cmdAuth                   = 8
	cmdSetClientName          = 9
	cmdLookupSink             = 10
	cmdLookupSource           = 11
	cmdDrainPlaybackStream    = 12
	cmdStat                   = 13
	cmdGetPlaybackLatency     = 14
	cmdPlaySample             = 18
	cmdGetServerInfo          = 20
	cmdGetSinkInfo            = 21
	cmdGetSinkInfoList        = 22
	cmdGetSourceInfo          = 23
	cmdGetSourceInfoList      = 24
	cmdGetSinkInputInfo       = 29
	cmdGetSourceOutputInfo    = 31
	cmdSubscribe              = 35
	cmdSetSinkInputVolume     = 37
	cmdCorkPlaybackStream     = 41
	cmdFlushPlaybackStream    = 42
	cmdTriggerPlaybackStream  = 43
	cmdSetPlaybackStreamName  = 46
	cmdSetRecordStreamName    = 47
	cmdGetRecordLatency       = 57
	cmdCorkRecordStream       = 58
	cmdFlushRecordStream      = 59
	cmdPrebufPlaybackStream   = 60
	cmdPlaybackStreamKilled   = 64
	cmdRecordStreamKilled     = 65
	cmdSetSinkInputMute       = 69
	cmdSetPlaybackBufferAttr  = 72
	cmdSetRecordBufferAttr    = 73
	cmdUpdatePlaybackRate     = 74
	cmdUpdateRecordRate       = 75
	cmdUpdateRecordProplist   = 80
	cmdUpdatePlaybackProplist = 81
	cmdUpdateClientProplist   = 82
	cmdRemoveRecordProplist   = 83
	cmdRemovePlaybackProplist = 84
	cmdRemoveClientProplist   = 85
	cmdSetSourceOutputVolume  = 98
	cmdSetSourceOutputMute    = 99
	cmdEnableSRBChannel       = 101
	cmdRegisterMemfdSHMID     = 103
)

// errAccess is PA_ERR_ACCESS, what a client reports as "Access denied".
const errAccess = 1

// Protocol version word: the low 16 bits are the version, the high bits
// flags the two ends exchange in the handshake (shared memory, memfd).
const versionMask = 0x0000FFFF

// cookieLength is the size of the authentication cookie in the handshake.
const cookieLength = 256

// allowed says which commands a client may send as they are: each acts on the
// client itself, on a stream channel of its own connection (the server
// resolves channels per connection, so another client's streams are out
// of reach), or reads the server's devices, which choosing where to play
// needs. Anything not here or in ownStream is refused: modules, samples
// in the shared cache, defaults, device volumes and mutes, suspending,
// cards and ports, killing, moving streams, extensions, object messages,
// other clients and their streams.
func allowed(cmd uint32) bool {
	switch cmd {
	case cmdCreatePlaybackStream,
		cmdDeletePlaybackStream,
		cmdCreateRecordStream,
		cmdDeleteRecordStream,
		cmdSetClientName,
		cmdLookupSink,
		cmdLookupSource,
		cmdDrainPlaybackStream,
		cmdStat,
		cmdGetPlaybackLatency,
		cmdPlaySample,
		cmdGetServerInfo,
		cmdGetSinkInfo,
		cmdGetSinkInfoList,
		cmdGetSourceInfo,
		cmdGetSourceInfoList,
		cmdSubscribe,
		cmdCorkPlaybackStream,
		cmdFlushPlaybackStream,
		cmdTriggerPlaybackStream,
		cmdSetPlaybackStreamName,
		cmdSetRecordStreamName,
		cmdGetRecordLatency,
		cmdCorkRecordStream,
		cmdFlushRecordStream,
		cmdPrebufPlaybackStream,
		cmdSetPlaybackBufferAttr,
		cmdSetRecordBufferAttr,
		cmdUpdatePlaybackRate,
		cmdUpdateRecordRate,
		cmdUpdateRecordProplist,
		cmdUpdatePlaybackProplist,
		cmdUpdateClientProplist,
		cmdRemoveRecordProplist,
		cmdRemovePlaybackProplist,
		cmdRemoveClientProplist:
		return true
	}
	return false
}

// ownStream says which commands name a stream by its server-wide index
// (a sink input or a source output) as their first argument. They pass
// only for a stream this connection created: a player reads and sets its
// own stream's volume this way, and must not reach other programs'.
func ownStream(cmd uint32) streamKind {
	switch cmd {
	case cmdGetSinkInputInfo, cmdSetSinkInputVolume, cmdSetSinkInputMute:
		return playback
	case cmdGetSourceOutputInfo, cmdSetSourceOutputVolume, cmdSetSourceOutputMute:
		return record
	}
	return 0
}

type streamKind int

const (
	playback streamKind = iota + 1
	record
)

// descriptor is a frame's header.
type descriptor struct {
	length, channel, offsetHi, offsetLo, flags uint32
}

func parseDescriptor(b []byte) descriptor {
	be := binary.BigEndian
	return descriptor{be.Uint32(b), be.Uint32(b[4:]), be.Uint32(b[8:]), be.Uint32(b[12:]), be.Uint32(b[16:])}
}

func (d descriptor) bytes() []byte {
	b := make([]byte, descriptorSize)
	be := binary.BigEndian
	be.PutUint32(b, d.length)
	be.PutUint32(b[4:], d.channel)
	be.PutUint32(b[8:], d.offsetHi)
	be.PutUint32(b[12:], d.offsetLo)
	be.PutUint32(b[16:], d.flags)
	return b
}

// check refuses what the filter does not relay: frames over the size
// limit and anything referring to shared memory.
func (d descriptor) check(maxPacket uint32) error {
	if d.flags&flagSHMMask != 0 {
		return fmt.Errorf("a frame refers to shared memory (flags %#x); only data in the stream is relayed", d.flags)
	}
	if d.channel == channelPacket {
		if d.length > maxPacket {
			return fmt.Errorf("a command packet of %d bytes is over the limit of %d", d.length, maxPacket)
		}
		if d.length < 10 {
			return fmt.Errorf("a command packet of %d bytes is too short", d.length)
		}
		return nil
	}
	if d.length > maxFrame {
		return fmt.Errorf("a data frame of %d bytes is over the limit of %d", d.length, maxFrame)
	}
	if d.flags&seekModeMask > maxSeekMode {
		return fmt.Errorf("a data frame has an unknown seek mode %d", d.flags&seekModeMask)
	}
	return nil
}

// packetHeader reads a packet's command and tag.
func packetHeader(p []byte) (cmd, tag uint32, rest []byte, err error) {
	if cmd, rest, err = getU32(p); err != nil {
		return 0, 0, nil, fmt.Errorf("command: %w", err)
	}
	if tag, rest, err = getU32(rest); err != nil {
		return 0, 0, nil, fmt.Errorf("tag: %w", err)
	}
	return cmd, tag, rest, nil
}

var errShort = errors.New("the packet ends early")

// getU32 reads one tagged 32-bit value.
func getU32(b []byte) (uint32, []byte, error) {
	if len(b) < 5 {
		return 0, nil, errShort
	}
	if b[0] != tagU32 {
		return 0, nil, fmt.Errorf("expected a 32-bit value, found tag %q", b[0])
	}
	return binary.BigEndian.Uint32(b[1:]), b[5:], nil
}

// getArbitrary reads one tagged byte string.
func getArbitrary(b []byte) ([]byte, []byte, error) {
	if len(b) < 5 {
		return nil, nil, errShort
	}
	if b[0] != tagArbitrary {
		return nil, nil, fmt.Errorf("expected a byte string, found tag %q", b[0])
	}
	n := binary.BigEndian.Uint32(b[1:])
	if uint64(len(b)-5) < uint64(n) {
		return nil, nil, errShort
	}
	return b[5 : 5+n], b[5+n:], nil
}

func putU32(b []byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, tagU32), v)
}

func putArbitrary(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(append(b, tagArbitrary), uint32(len(v)))
	return append(b, v...)
}

// packet frames a command packet.
func packet(body []byte) []byte {
	d := descriptor{length: uint32(len(body)), channel: channelPacket}
	return append(d.bytes(), body...)
}

// denial is the error reply to the command with tag.
func denial(tag uint32) []byte {
	body := putU32(nil, cmdError)
	body = putU32(body, tag)
	body = putU32(body, errAccess)
	return packet(body)
}

// rewriteAuth returns the handshake with the client's flags cleared (no
// shared memory, no memfd) and its cookie replaced by cookie: the payload
// never holds the server's cookie; the launcher, which may read it, puts
// it in.
func rewriteAuth(tag uint32, rest, cookie []byte) ([]byte, error) {
	version, rest, err := getU32(rest)
	if err != nil {
		return nil, fmt.Errorf("handshake version: %w", err)
	}
	old, rest, err := getArbitrary(rest)
	if err != nil {
		return nil, fmt.Errorf("handshake cookie: %w", err)
	}
	if len(old) != cookieLength {
		return nil, fmt.Errorf("handshake cookie of %d bytes, not %d", len(old), cookieLength)
	}
	body := putU32(nil, cmdAuth)
	body = putU32(body, tag)
	body = putU32(body, version&versionMask)
	body = putArbitrary(body, cookie)
	return append(body, rest...), nil
}
