package main

import (
	"fmt"
	"os"
	"path"
	"sandbox/compile"
	"syscall"
)

// runtimeDirFinding: $XDG_RUNTIME_DIR holds the desktop's sockets, the
// plan cache and the records of running sandboxes. It must be the
// caller's and closed to others (mode 0700), or another user could read
// or replace what a launch trusts there. Without it a launch still runs
// (root keeps its records in /run/sandbox), so this only warns.
func runtimeDirFinding(h doctorHost) doctorFinding {
	const check = "xdg_runtime_dir"
	dir := h.Env["XDG_RUNTIME_DIR"]
	switch {
	case dir == "" && h.root():
		return findOK(check, "$XDG_RUNTIME_DIR is not set; root launches keep the plan cache and their records in /run/sandbox")
	case dir == "":
		return findWarn(check, "log in through a session manager (systemd-logind sets it), or export XDG_RUNTIME_DIR=/run/user/$(id -u) when that exists",
			"$XDG_RUNTIME_DIR is not set: no plan cache, no records for sandbox ps, and the desktop profiles find no sockets")
	case !path.IsAbs(dir):
		return findWarn(check, "set XDG_RUNTIME_DIR to an absolute path such as /run/user/$(id -u)",
			"$XDG_RUNTIME_DIR=%q is not an absolute path and is ignored", dir)
	}
	st, err := os.Stat(h.path(dir))
	if err != nil {
		return findWarn(check, fmt.Sprintf("create it: sudo install -d -m 0700 -o %d %s (logind does so at login)", h.UID, dir),
			"$XDG_RUNTIME_DIR=%s cannot be used: %v", dir, err)
	}
	if !st.IsDir() {
		return findWarn(check, "point XDG_RUNTIME_DIR at your runtime directory, /run/user/$(id -u)",
			"$XDG_RUNTIME_DIR=%s is not a directory", dir)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid != h.UID {
		return findWarn(check, fmt.Sprintf("sudo chown %d %s, or point XDG_RUNTIME_DIR at your own /run/user/%d", h.UID, dir, h.UID),
			"$XDG_RUNTIME_DIR=%s is owned by uid %d, not by you (uid %d)", dir, sys.Uid, h.UID)
	}
	if perm := st.Mode().Perm(); perm != 0o700 {
		return findWarn(check, "chmod 0700 "+dir,
			"$XDG_RUNTIME_DIR=%s has mode %04o, not 0700: other users can reach what sandbox keeps there", dir, perm)
	}
	return findOK(check, "$XDG_RUNTIME_DIR=%s is yours, mode 0700", dir)
}

// sessionFindings: the sockets of the desktop profiles, found by the
// compiler's own functions (compile/desktop_sockets.go). A missing one only
// matters to a profile that asks for it, and a launch then leaves it out
// with a warning: never a failure here.
func sessionFindings(h doctorHost) []doctorFinding {
	getenv := func(name string) (string, bool) {
		v, ok := h.Env[name]
		return v, ok
	}
	rt := compile.RuntimeDir(getenv)
	// inRuntime says why there is no socket to check: the compiler's
	// functions give none for one in a runtime directory that is not set.
	inRuntime := func(sock string) string {
		if sock == "" {
			return "$XDG_RUNTIME_DIR is not set"
		}
		return ""
	}
	var fs []doctorFinding

	sock, _ := compile.HostWaylandSocket(getenv, rt)
	fs = append(fs, socketFinding(h, "wayland", "the Wayland display", sock, inRuntime(sock),
		"run from a Wayland session; profiles with desktop.wayland leave it out until then"))

	sock, why := "", ""
	if d := h.Env["DISPLAY"]; d == "" {
		why = "$DISPLAY is not set"
	} else if s, err := compile.X11Socket(d); err != nil {
		why = err.Error()
	} else {
		sock = s
	}
	fs = append(fs, socketFinding(h, "x11", "the X display", sock, why,
		"run from an X session (or Xwayland); profiles with desktop.x11 leave it out until then"))

	sock, _ = compile.HostPulseSocket(getenv, rt)
	fs = append(fs, socketFinding(h, "pulseaudio", "the PulseAudio server", sock, inRuntime(sock),
		"start the sound server (systemctl --user start pulseaudio, or pipewire-pulse); profiles with desktop.pulseaudio leave it out until then"))

	sock = compile.HostPipeWireSocket(rt)
	fs = append(fs, socketFinding(h, "pipewire", "PipeWire", sock, inRuntime(sock),
		"start PipeWire (systemctl --user start pipewire); profiles with desktop.pipewire leave it out until then"))

	bus := compile.FindBus("session", getenv, rt)
	if bus.FromEnv && !bus.File {
		// Abstract and tcp addresses only the proxy can try.
		fs = append(fs, findOK("session_bus", "the session bus is at %s (not a socket file: xdg-dbus-proxy will try it)", bus.Addr))
		return fs
	}
	why = ""
	if !bus.File {
		why = inRuntime("")
	}
	fs = append(fs, socketFinding(h, "session_bus", "the session bus", bus.Socket, why,
		"run from a desktop session (dbus-daemon or dbus-broker as a user service); profiles with D-Bus rules cannot run until then"))
	return fs
}

// socketFinding checks that sock is a socket; why, when set, says why
// there is no path to check.
func socketFinding(h doctorHost, check, what, sock, why, fix string) doctorFinding {
	if why != "" {
		return findWarn(check, fix, "%s cannot be found: %s", what, why)
	}
	st, err := os.Stat(h.path(sock))
	switch {
	case err != nil:
		return findWarn(check, fix, "%s is missing: %s does not exist", what, sock)
	case st.Mode()&os.ModeSocket == 0:
		return findWarn(check, fix, "%s is not a socket, so %s is not there", sock, what)
	}
	return findOK(check, "%s at %s", what, sock)
}
