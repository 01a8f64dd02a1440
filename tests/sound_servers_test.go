package tests

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The sound tests run real servers: PulseAudio, or PipeWire with
// WirePlumber and pipewire-pulse on a private session bus. They run as the
// unprivileged user whatever the mode, as a desktop user's servers do, in
// a directory of their own (home, runtime directory), with null sinks
// only: no sound hardware is needed. Every server is stopped when the
// test ends, and the test checks that none is left.

// soundSession is one test's sound servers and the files around them.
type soundSession struct {
	t    *testing.T
	dir  string // 0755, the server user's
	home string
	rt   string // the servers' XDG_RUNTIME_DIR
	env  []string
	// share is bound read-only into the sandboxes: the tone, the
	// attack script.
	share string
	// lib is a shared library whose constructor creates marker: the
	// library an attack asks a server to load.
	lib, markers, marker string
	procs                []*soundProc
}

type soundProc struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

func newSoundSession(t *testing.T) *soundSession {
	t.Helper()
	requireOrSkip(t, os.Geteuid() == 0, "the sound servers run as an unprivileged user, which needs the tests to run as root")
	requireProgram(t, "gcc", "gcc")
	dir, err := os.MkdirTemp("", "sandbox-it-sound-")
	if err != nil {
		t.Fatal(err)
	}
	s := &soundSession{t: t, dir: dir, home: filepath.Join(dir, "home"), rt: filepath.Join(dir, "run"),
		share: filepath.Join(dir, "share"), markers: filepath.Join(dir, "markers")}
	s.lib = filepath.Join(s.share, "payload.so")
	s.marker = filepath.Join(s.markers, "library-ran")
	t.Cleanup(s.stop)
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{dir, 0o755}, {s.home, 0o700}, {s.rt, 0o700}, {s.share, 0o755}, {s.markers, 0o777}} {
		if err := os.MkdirAll(d.path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d.path, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "client.conf")
	if err := os.WriteFile(conf, []byte("autospawn = no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + s.home, "XDG_RUNTIME_DIR=" + s.rt,
		"XDG_CONFIG_HOME=" + filepath.Join(s.home, ".config"), "XDG_STATE_HOME=" + filepath.Join(s.home, ".local", "state"),
		"XDG_DATA_HOME=" + filepath.Join(s.home, ".local", "share"), "PULSE_CLIENTCONFIG=" + conf}

	// The library a payload would have written: its constructor runs
	// as soon as a server dlopens it, whatever the server then makes
	// of it.
	src := filepath.Join(dir, "payload.c")
	code := fmt.Sprintf(`#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void ran(void) { int fd = open(%q, O_WRONLY|O_CREAT, 0644); if (fd >= 0) close(fd); }
`, s.marker)
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", s.lib, src).CombinedOutput(); err != nil {
		t.Fatalf("building the payload library: %v\n%s", err, out)
	}
	os.Chmod(s.lib, 0o644)
	if err := os.WriteFile(filepath.Join(s.share, "tone.wav"), toneWAV(), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// toneWAV is one second of a 440 Hz tone, 44.1 kHz 16-bit stereo.
func toneWAV() []byte {
	const rate, seconds = 44100, 1
	var data bytes.Buffer
	for i := 0; i < rate*seconds; i++ {
		v := int16(10000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		binary.Write(&data, binary.LittleEndian, [2]int16{v, v})
	}
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + data.Len()))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1)) // PCM
	le(uint16(2))
	le(uint32(rate))
	le(uint32(rate * 4))
	le(uint16(4))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(data.Len()))
	b.Write(data.Bytes())
	return b.Bytes()
}

// start runs a server as the unprivileged user, in a process group of its
// own so that stopping it stops whatever it started.
func (s *soundSession) start(name string, extraEnv []string, args ...string) *soundProc {
	s.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = s.home
	cmd.Env = append(append([]string(nil), s.env...), extraEnv...)
	p := &soundProc{name: name, cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	w := writerFunc(func(b []byte) (int, error) { p.out.WriteString(string(b)); return len(b), nil })
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true,
		Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", name, err)
	}
	s.procs = append(s.procs, p)
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p
}

// stop ends every server, last started first, and checks that nothing of
// theirs is left running.
func (s *soundSession) stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		pgid := p.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// Anything the server started in its group goes too.
		syscall.Kill(-pgid, syscall.SIGKILL)
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(-pgid, 0) == nil {
			if time.Now().After(deadline) {
				s.t.Errorf("processes of %s's group %d are still running", p.name, pgid)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	s.procs = nil
	os.RemoveAll(s.dir)
}

// logs is every server's output, for a failure message.
func (s *soundSession) logs() string {
	var b strings.Builder
	for _, p := range s.procs {
		fmt.Fprintf(&b, "--- %s:\n%s\n", p.name, p.out.String())
	}
	return b.String()
}

// host runs a client program on the host, as the servers' user.
func (s *soundSession) host(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = s.home
	cmd.Env = s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *soundSession) mustHost(args ...string) string {
	s.t.Helper()
	out, err := s.host(args...)
	if err != nil {
		s.t.Fatalf("%q on the host: %v\n%s\n%s", args, err, out, s.logs())
	}
	return out
}

// waitServer waits until what is true, or fails with the servers' logs.
func (s *soundSession) waitServer(what string, ok func() bool) {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		for _, p := range s.procs {
			select {
			case <-p.done:
				s.t.Fatalf("%s exited while waiting for %s:\n%s", p.name, what, s.logs())
			default:
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waited 30s for %s:\n%s", what, s.logs())
		}
	}
}

// pulseReady waits until the server at rt/pulse/native answers, then
// loads the null sink "hostsink" from the host side, as a desktop has a
// sink; the tests play into it and record from its monitor.
func (s *soundSession) pulseReady() {
	s.t.Helper()
	s.waitServer("the PulseAudio server to answer", func() bool { _, err := s.host("pactl", "info"); return err == nil })
	s.mustHost("pactl", "load-module", "module-null-sink", "sink_name=hostsink")
	s.mustHost("pactl", "set-default-sink", "hostsink")
}

// startPulseAudio starts a PulseAudio server with only its socket and a
// null sink, no autospawn, no session bus.
func (s *soundSession) startPulseAudio() {
	s.t.Helper()
	requireProgram(s.t, "pulseaudio", "pulseaudio")
	requireProgram(s.t, "pactl", "pulseaudio-utils")
	s.start("pulseaudio", nil, "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "-n",
		"-L", "module-native-protocol-unix", "--log-target=stderr")
	s.pulseReady()
}

// startPipeWire starts a private session bus, PipeWire, WirePlumber and
// pipewire-pulse.
func (s *soundSession) startPipeWire() {
	s.t.Helper()
	requireProgram(s.t, "dbus-daemon", "dbus-daemon")
	requireProgram(s.t, "pipewire", "pipewire-bin")
	requireProgram(s.t, "pw-cli", "pipewire-bin")
	requireProgram(s.t, "wireplumber", "wireplumber")
	requireProgram(s.t, "pipewire-pulse", "pipewire-pulse")
	requireProgram(s.t, "pactl", "pulseaudio-utils")
	bus := filepath.Join(s.rt, "bus")
	s.start("dbus-daemon", nil, "--session", "--nofork", "--nopidfile", "--nosyslog", "--address=unix:path="+bus)
	s.waitServer("the session bus", func() bool { _, err := os.Stat(bus); return err == nil })
	s.env = append(s.env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+bus)
	s.start("pipewire", nil)
	s.waitServer("PipeWire to answer", func() bool { _, err := s.host("pw-cli", "info", "0"); return err == nil })
	s.start("wireplumber", nil)
	s.waitServer("WirePlumber to connect", func() bool {
		for _, c := range s.pipeWireObjects("PipeWire:Interface:Client") {
			if c["application.name"] == "WirePlumber" {
				return true
			}
		}
		return false
	})
	s.start("pipewire-pulse", nil)
	s.pulseReady()
}

// pipeWireObjects lists the properties of the PipeWire objects of a type.
func (s *soundSession) pipeWireObjects(typ string) []map[string]any {
	out, err := s.host("pw-dump")
	if err != nil {
		return nil
	}
	var objs []struct {
		Type string `json:"type"`
		Info struct {
			Props map[string]any `json:"props"`
		} `json:"info"`
	}
	if json.Unmarshal([]byte(out), &objs) != nil {
		return nil
	}
	var props []map[string]any
	for _, o := range objs {
		if o.Type == typ {
			props = append(props, o.Info.Props)
		}
	}
	return props
}

// pipeWireNodes is the sorted list of the names of PipeWire's nodes.
func (s *soundSession) pipeWireNodes() []string {
	var names []string
	for _, p := range s.pipeWireObjects("PipeWire:Interface:Node") {
		names = append(names, fmt.Sprint(p["node.name"]))
	}
	sort.Strings(names)
	return names
}

// pulseState is what an attack must leave unchanged: the modules and
// sinks the pulse server lists (a sink's name and driver, not whether it
// is running just now).
func (s *soundSession) pulseState() string {
	s.t.Helper()
	state := s.mustHost("pactl", "list", "short", "modules") + "--\n"
	for _, line := range strings.Split(strings.TrimSpace(s.mustHost("pactl", "list", "short", "sinks")), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			state += strings.Join(f[:3], " ") + "\n"
		}
	}
	return state
}

// markerGone fails if the payload library ran, and removes its marker.
func (s *soundSession) libraryRan() bool {
	_, err := os.Stat(s.marker)
	if err == nil {
		os.Remove(s.marker)
		return true
	}
	if !errors.Is(err, os.ErrNotExist) {
		s.t.Fatal(err)
	}
	return false
}

// writeShare writes a file into the directory bound into the sandboxes.
func (s *soundSession) writeShare(name, text string) string {
	s.t.Helper()
	p := filepath.Join(s.share, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// profile writes a profile that binds the share at /sound, with body.
func (s *soundSession) profile(body string) string {
	s.t.Helper()
	return writeProfile(s.t, "sound.toml", "extends = [\"minimal\"]\n"+body+
		"\n[[mount]]\ntype = \"ro-bind\"\nsource = \""+s.share+"\"\ntarget = \"/sound\"\n")
}

// sandbox runs the sandbox in mode m against the session's servers. The
// launcher finds the server through XDG_RUNTIME_DIR, and its cookie
// through PULSE_COOKIE: in root mode the launcher is not the servers'
// user, so PulseAudio lets its filter in by the cookie only.
func (s *soundSession) sandbox(m mode, args ...string) result {
	s.t.Helper()
	return sandboxCmd(s.t, m, func(c *exec.Cmd) {
		c.Env = append(c.Env, "XDG_RUNTIME_DIR="+s.rt, "PULSE_COOKIE="+filepath.Join(s.home, ".config", "pulse", "cookie"))
	}, args...)
}
