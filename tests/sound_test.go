package tests

import (
	"fmt"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pulseAttack runs inside the sandbox with the host's paths of the payload
// library ($1), a free host port ($2) and a directory the server may write
// ($3). Each module command would run code in the server, open a listener
// or write a host file; the others change the server or reach other
// clients. (module-ladspa-sink fails even when the server runs the library,
// which is not a LADSPA plugin: its verdict is the library's marker.) Then the sandbox plays the tone into the host's null sink while
// recording that sink's monitor: what a profile with sound must still do.
const pulseAttack = `
lib=$1 port=$2 dir=$3
pactl info >/dev/null && echo "server reached" || echo "server not reached"
try() {
	if "$@" >/dev/null 2>&1; then echo "ALLOWED: $*"; else echo "refused: $2"; fi
}
try pactl load-module module-null-sink sink_name=fromsandbox
try pactl load-module module-native-protocol-tcp port=$port listen=127.0.0.1 auth-anonymous=1
try pactl load-module module-ladspa-sink sink_name=ladspa plugin=$lib label=x
try pactl load-module module-pipe-sink file=$dir/pipe sink_name=pipe
try pactl set-default-source hostsink.monitor
try pactl set-sink-volume hostsink 10%
try pactl set-sink-mute hostsink 1
try pactl suspend-sink hostsink 1
try pactl list clients
try pactl unload-module module-null-sink
try pactl exit
parecord --latency-msec=20 --raw -d hostsink.monitor /tmp/rec.raw &
rec=$!
sleep 0.5
paplay -d hostsink /sound/tone.wav
echo "paplay exit $?"
sleep 0.3
kill $rec
wait $rec
n=$(od -An -v -tx1 /tmp/rec.raw | tr -s ' ' '\n' | grep -c -v -e '^00$' -e '^$')
if [ "$n" -gt 20000 ]; then echo "recorded the tone"; else echo "recorded $n non-zero bytes"; fi
`

const pulseAttackWant = `server reached
refused: load-module
refused: load-module
refused: load-module
refused: load-module
refused: set-default-source
refused: set-sink-volume
refused: set-sink-mute
refused: suspend-sink
refused: list
refused: unload-module
refused: exit
paplay exit 0
recorded the tone
`

// runPulseAttack runs pulseAttack in a sandbox with desktop.pulseaudio and
// checks the verdicts inside and the server's state outside.
func runPulseAttack(t *testing.T, s *soundSession, m mode) {
	t.Helper()
	script := s.writeShare("attack.sh", pulseAttack)
	prof := s.profile("[desktop]\npulseaudio = true\n")
	before := s.pulseState()
	port := freePort(t)
	r := s.sandbox(m, "-p", prof, "--", "/bin/sh", "/sound/"+strings.TrimPrefix(script, s.share+"/"),
		s.lib, strconv.Itoa(port), s.markers)
	if r.code != 0 || r.stdout != pulseAttackWant {
		t.Fatalf("got %s\nwant stdout:\n%s\nservers:\n%s", r, pulseAttackWant, s.logs())
	}
	if s.libraryRan() {
		t.Error("the server ran the payload's library")
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
		c.Close()
		t.Errorf("the server listens on 127.0.0.1:%d", port)
	}
	if _, err := os.Stat(s.markers + "/pipe"); err == nil {
		t.Error("the server made the payload's pipe")
	}
	if after := s.pulseState(); after != before {
		t.Errorf("the server changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestW1PulseAudioFiltered attacks a real PulseAudio server through
// desktop.pulseaudio: loading modules (a library the server would run, a
// TCP listener, a pipe on the host), unloading them, changing the
// server's settings, reading other clients and stopping the server all
// fail, and nothing changes on the server, while the sandbox plays a tone
// and records it from the sink's monitor. The server first runs the
// library for a host client, which shows the attack is real here.
func TestW1PulseAudioFiltered(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		s := newSoundSession(t)
		s.startPulseAudio()
		// The control: a client outside the sandbox makes the server
		// run the library (the module then fails to load).
		s.host("pactl", "load-module", "module-ladspa-sink", "sink_name=control", "plugin="+s.lib, "label=x")
		requireOrSkip(t, s.libraryRan(), "this PulseAudio does not run a module's library for a host client either, so the attack would prove nothing")
		runPulseAttack(t, s, m)
	})
}

// pipeWireAttack asks the host's PipeWire, from inside the sandbox, to
// load the payload's library ($1, without ".so", reached from the plugin
// directory by "..") as a node: what the host's PipeWire does for any
// client of its socket (W2).
const pipeWireAttack = `
if pw-cli create-node spa-node-factory "{ factory.name = payload library.name = \"$1\" node.name = payload }" >/dev/null 2>&1; then
	echo "ALLOWED: create-node"
else
	echo "refused: create-node"
fi
pw-cli info 0 >/dev/null 2>&1 && echo "PipeWire reached" || echo "PipeWire not reached"
`

// TestW2PipeWire runs PipeWire, WirePlumber and pipewire-pulse. Through
// desktop.pulseaudio, served by pipewire-pulse, the W1 attacks fail as
// with PulseAudio and sound plays and records. PipeWire's own socket is
// not in the sandbox, so creating a node from the payload's library fails,
// though the host's PipeWire does load it for a host client; a profile
// asking for the socket is refused before anything runs, and
// desktop.pipewire_unrestricted binds it only with explain saying that
// host code execution is possible, and pw-play then works.
func TestW2PipeWire(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		s := newSoundSession(t)
		s.startPipeWire()
		requireProgram(t, "pw-play", "pipewire-bin")
		libName := strings.Repeat("../", 8) + strings.TrimPrefix(strings.TrimSuffix(s.lib, ".so"), "/")

		t.Run("pipewire-pulse", func(t *testing.T) {
			// The control: pipewire-pulse loads modules for a host
			// client.
			s.mustHost("pactl", "load-module", "module-null-sink", "sink_name=control")
			if !strings.Contains(s.pulseState(), "control") {
				t.Fatalf("pipewire-pulse did not load a module for a host client: the attack would prove nothing\n%s", s.logs())
			}
			s.mustHost("pactl", "unload-module", "module-null-sink")
			s.mustHost("pactl", "load-module", "module-null-sink", "sink_name=hostsink")
			s.waitServer("the control sink to go", func() bool { return !strings.Contains(s.pulseState(), "control") })
			runPulseAttack(t, s, m)
		})

		t.Run("native", func(t *testing.T) {
			// The control: PipeWire loads the library for a host client.
			s.host("pw-cli", "create-node", "spa-node-factory",
				fmt.Sprintf("{ factory.name = payload library.name = %q node.name = control }", libName))
			requireOrSkip(t, s.libraryRan(), "this PipeWire does not load a node's library for a host client either, so the attack would prove nothing")
			nodes := s.pipeWireNodes()
			script := s.writeShare("pw-attack.sh", pipeWireAttack)
			prof := s.profile("[desktop]\npulseaudio = true\n")
			r := s.sandbox(m, "-p", prof, "--", "/bin/sh", "/sound/"+strings.TrimPrefix(script, s.share+"/"), libName)
			want := "refused: create-node\nPipeWire not reached\n"
			if r.code != 0 || r.stdout != want {
				t.Fatalf("got %s\nwant stdout:\n%s", r, want)
			}
			if s.libraryRan() {
				t.Error("PipeWire ran the payload's library")
			}
			if after := s.pipeWireNodes(); !reflect.DeepEqual(after, nodes) {
				t.Errorf("PipeWire's nodes changed: %v, then %v", nodes, after)
			}

			// Asked for, the socket is refused at compile time,
			// naming the line, and the payload never runs.
			prof = s.profile("[desktop]\npipewire = true\n")
			r = s.sandbox(m, "-p", prof, "--", "/bin/sh", "/sound/"+strings.TrimPrefix(script, s.share+"/"), libName)
			if r.code != 125 || r.stdout != "" || !strings.Contains(r.stderr, "sound.toml:3:1: desktop.pipewire: the PipeWire socket cannot be restricted") {
				t.Fatalf("desktop.pipewire alone: got %s\nwant exit 125 and the error at sound.toml:3:1", r)
			}
			if s.libraryRan() {
				t.Error("PipeWire ran the payload's library")
			}
		})

		t.Run("unrestricted", func(t *testing.T) {
			prof := s.profile("[desktop]\npipewire = true\npipewire_unrestricted = true\n")
			r := s.sandbox(m, "explain", prof)
			if r.code != 0 || !strings.Contains(r.stdout, "LOOSENED: desktop.pipewire_unrestricted: host code execution possible") {
				t.Fatalf("explain: %s\nwant a LOOSENED line saying host code execution is possible", r)
			}
			r = s.sandbox(m, "check", prof)
			if r.code != 0 || !strings.Contains(r.stderr, "desktop.pipewire_unrestricted: host code execution possible") {
				t.Fatalf("check: %s\nwant a note that host code execution is possible", r)
			}
			if !m.rootless() {
				// A root launcher cannot bind a socket from another
				// user's runtime directory (0700): the sandbox's setup
				// holds capabilities only in its own user namespace.
				// The servers here are the unprivileged user's.
				return
			}
			r = s.sandbox(m, "-p", prof, "--", "pw-play", "/sound/tone.wav")
			if r.code != 0 {
				t.Fatalf("pw-play: %s\n%s", r, s.logs())
			}
		})
	})
}
