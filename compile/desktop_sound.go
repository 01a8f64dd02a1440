package compile

import (
	"fmt"
	"path"

	"sandbox/plan"
	"sandbox/profile"
)

// Sound. A sound server runs as the caller, outside the sandbox, and its
// protocols let a client do far more than play and record: load a module
// into the server (module-ladspa-sink dlopens any path, so the server runs
// the payload's code; module-native-protocol-tcp opens a listener), change
// defaults, devices and other programs' streams (checklist W1, W2).
//
//   - PulseAudio (the server, or pipewire-pulse in its place) is reached
//     only through the launcher's filter (launcher/internal/pulse): the
//     payload's socket is the launcher's, and only the commands playing
//     and recording need reach the server. PulseAudio has no restriction
//     of its own for a client, and pipewire-pulse 0.3.65 loads modules
//     even for a client it classifies as a Flatpak app.
//   - PipeWire's own socket is refused unless the profile accepts host
//     code execution with desktop.pipewire_unrestricted. PipeWire's access
//     control for sandboxed clients (module-access, then the session
//     manager's permissions) still lets a restricted client create a node
//     from spa-node-factory with any library.name, which the server
//     dlopens; WirePlumber also grants everything to a Flatpak client that
//     calls itself a "Manager". Filtering the PipeWire protocol would mean
//     checking every method of every object type, so no filter is offered.

func (d *desktopCompiler) pulseAudio(at profile.Origin) {
	src, named := HostPulseSocket(d.c.h.Getenv, d.hostRuntime)
	if !d.sessionSocket("desktop.pulseaudio", at, src, named,
		"$XDG_RUNTIME_DIR is not set, so the PulseAudio socket cannot be found; run from a desktop session or set desktop.pulseaudio = false",
		"there is no PulseAudio socket at %s; start PulseAudio (or pipewire-pulse), or set desktop.pulseaudio = false") {
		return
	}
	target := path.Join(d.runtime, "pulse", "native")
	d.runtimeUsed(at)
	d.inRuntime = append(d.inRuntime, plan.PulseSocket{From: plan.From{At: plan.Origin(at)}, Target: target})
	d.pl.PulseProxy = &plan.PulseProxy{Server: src, Cookie: d.pulseCookie(), At: plan.Origin(at)}
	d.env["PULSE_SERVER"] = "unix:" + target
	desc := fmt.Sprintf("sound through PulseAudio, filtered: %s leads to a filter the launcher runs, which relays to the host's %s only what playing and recording need; "+
		"loading or unloading modules, server settings (defaults, device volumes, cards, ports, suspending), the sample cache, other clients and their streams are refused; PULSE_SERVER=unix:%s",
		target, src, target)
	if c := d.pl.PulseProxy.Cookie; c != "" {
		desc += "; the server's cookie " + c + " stays outside (the launcher adds it)"
	}
	d.item("desktop.pulseaudio", at, "%s", desc)
}

// pulseCookie is the caller's PulseAudio cookie file, found as libpulse
// finds it, or "". The launcher reads it at launch and puts it into the
// payload's handshake: a server that does not know the launcher by its
// uid (a root launcher, a server of another user) accepts the cookie.
func (d *desktopCompiler) pulseCookie() string {
	var candidates []string
	if v, ok := d.c.h.Getenv("PULSE_COOKIE"); ok && path.IsAbs(v) {
		candidates = append(candidates, path.Clean(v))
	}
	if d.c.h.Home != "" {
		candidates = append(candidates, path.Join(d.configHome(), "pulse", "cookie"), path.Join(d.c.h.Home, ".pulse-cookie"))
	}
	for _, c := range candidates {
		if d.exists(c) {
			return c
		}
	}
	return ""
}

func (d *desktopCompiler) pipeWire(at profile.Origin) {
	if !d.c.p.Desktop.PipeWireUnrestricted {
		// The profile refuses it (check pipewire-unrestricted): no
		// filter restricts the PipeWire socket.
		return
	}
	src := HostPipeWireSocket(d.hostRuntime)
	if src == "" {
		d.absent("desktop.pipewire", at, "$XDG_RUNTIME_DIR is not set, so the PipeWire socket cannot be found; run from a desktop session or set desktop.pipewire = false")
		return
	}
	if !d.exists(src) {
		d.absent("desktop.pipewire", at, "there is no PipeWire socket at %s; start PipeWire, or set desktop.pipewire = false", src)
		return
	}
	target := d.socket(at, src, "pipewire-0")
	d.item("desktop.pipewire", at, "%s", PipeWireUnrestrictedRisk+fmt.Sprintf(": the host's %s is bound unfiltered at %s (desktop.pipewire_unrestricted)", src, target))
}

// PipeWireUnrestrictedRisk is what explain and check say of
// desktop.pipewire_unrestricted.
const PipeWireUnrestrictedRisk = "host code execution possible: the payload can make the host's PipeWire load a library of its choosing, create and destroy nodes and links, and change the server's settings"
