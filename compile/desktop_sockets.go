package compile

import (
	"path"
	"strings"
)

// Where the caller's desktop session keeps its sockets. The compiler
// binds what these name and `sandbox doctor` checks the same paths, so
// the rules live here once.

// Getenv reads one variable of the caller's environment: the compiler's
// Host (which records the variables a plan depends on) or doctor's view.
type Getenv func(name string) (string, bool)

// RuntimeDir is the caller's $XDG_RUNTIME_DIR, cleaned, or "" when it is
// unset or not an absolute path (such a value is ignored).
func RuntimeDir(getenv Getenv) string {
	if v, ok := getenv("XDG_RUNTIME_DIR"); ok && path.IsAbs(v) {
		return path.Clean(v)
	}
	return ""
}

// HostWaylandSocket is the Wayland display's socket: $WAYLAND_DISPLAY, or
// wayland-0 when it is unset, in the runtime directory unless it is an
// absolute path. sock is "" when it is in the runtime directory and
// runtime is "". named says $WAYLAND_DISPLAY chose it: then a missing
// socket is a fault, not a session without Wayland.
func HostWaylandSocket(getenv Getenv, runtime string) (sock string, named bool) {
	name, _ := getenv("WAYLAND_DISPLAY")
	named = name != ""
	if !named {
		name = "wayland-0"
	}
	if path.IsAbs(name) {
		return name, named
	}
	if runtime == "" {
		return "", named
	}
	return path.Join(runtime, name), named
}

// HostPulseSocket is the PulseAudio server's socket: the path of a
// "unix:/..." $PULSE_SERVER (named), else pulse/native in the runtime
// directory, or "" without one.
func HostPulseSocket(getenv Getenv, runtime string) (sock string, named bool) {
	if v, ok := getenv("PULSE_SERVER"); ok && strings.HasPrefix(v, "unix:") && path.IsAbs(v[5:]) {
		return path.Clean(v[5:]), true
	}
	if runtime == "" {
		return "", false
	}
	return path.Join(runtime, "pulse", "native"), false
}

// HostPipeWireSocket is PipeWire's own socket, pipewire-0 in the runtime
// directory, or "" without one.
func HostPipeWireSocket(runtime string) string {
	if runtime == "" {
		return ""
	}
	return path.Join(runtime, "pipewire-0")
}

// BusLocation is where a D-Bus bus is.
type BusLocation struct {
	// Addr is its address: $DBUS_SESSION_BUS_ADDRESS or
	// $DBUS_SYSTEM_BUS_ADDRESS when set, else unix:path= the bus's
	// usual socket; "" for a session bus with neither the variable nor
	// a runtime directory.
	Addr string
	// FromEnv says the variable gave Addr.
	FromEnv bool
	// File says Addr names a socket file, Socket; an abstract or tcp
	// address only the proxy can try.
	File   bool
	Socket string
}

// FindBus finds a bus, "session" or "system", as the compiler binds it:
// the session bus's usual socket is bus in the runtime directory.
func FindBus(bus string, getenv Getenv, runtime string) BusLocation {
	usual := systemBusSocket
	if bus == "session" {
		usual = ""
		if runtime != "" {
			usual = path.Join(runtime, "bus")
		}
	}
	if v, ok := getenv(BusEnv(bus)); ok && v != "" {
		b := BusLocation{Addr: v, FromEnv: true}
		if p, ok := strings.CutPrefix(v, "unix:path="); ok {
			b.Socket, _, _ = strings.Cut(p, ",")
			b.File = true
		}
		return b
	}
	if usual == "" {
		return BusLocation{}
	}
	return BusLocation{Addr: "unix:path=" + usual, File: true, Socket: usual}
}

// BusEnv is the variable that names a bus's address.
func BusEnv(bus string) string {
	if bus == "session" {
		return "DBUS_SESSION_BUS_ADDRESS"
	}
	return "DBUS_SYSTEM_BUS_ADDRESS"
}
