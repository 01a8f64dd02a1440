package main

import (
	"fmt"

	"sandbox/profile"
)

// Every [desktop] switch and every D-Bus rule connects the sandbox to a
// service of the caller's session, which acts for the payload with the
// caller's rights. explain lists each among the loosenings with what it
// exposes, so that a profile's reader sees what a payload could do with
// it, not only that a socket is bound.

// looseLine is one loosening: the key that makes it and what it exposes,
// with where the key was set.
type looseLine struct {
	Key  string `json:"key,omitempty"`
	Text string `json:"text"`
}

// desktopExposes says, per [desktop] switch, what a payload can do with
// it. A service that checks nothing of its clients is described by what
// it offers every client.
var desktopExposes = []struct {
	key  string
	on   func(profile.Desktop) bool
	text string
}{
	{"desktop.wayland", func(d profile.Desktop) bool { return d.Wayland },
		"the Wayland display: the payload shows windows and receives the input sent to them; the compositor keeps other clients' input and pixels from it, except through what it offers every client (some compositors, wlroots-based ones for instance, offer screen capture and virtual keyboards)"},
	{"desktop.x11", func(d profile.Desktop) bool { return d.X11 },
		"the X display: X11 does not separate clients, so the payload can capture the keystrokes typed into other windows (XInput2 raw events), inject keystrokes and clicks into other windows (XTEST), capture the whole screen (GetImage of the root window), and learn the host pids of the other clients (X-Resource QueryClientIds)"},
	{"desktop.pulseaudio", func(d profile.Desktop) bool { return d.PulseAudio },
		"the PulseAudio server: the payload plays and records sound, microphones included, and uses whatever else the server grants its clients; a server that does not restrict clients lets them load modules, which run code in the host's sound server"},
	{"desktop.pipewire", func(d profile.Desktop) bool { return d.PipeWire },
		"the PipeWire daemon: the payload plays and records sound and reaches the cameras and screen casts the daemon offers; a daemon that does not restrict clients lets them create objects from its factories, which can load libraries into it"},
	{"desktop.gpu", func(d profile.Desktop) bool { return d.GPU },
		"the GPU: its device nodes (/dev/dri) and its own sysfs entries, read-only: the payload runs code on the GPU and reaches its kernel driver's ioctls, a large attack surface"},
	{"desktop.fonts", func(d profile.Desktop) bool { return d.Fonts },
		"the host's and the user's fonts and fontconfig settings: read-only data, which shows what the user installed"},
	{"desktop.themes", func(d profile.Desktop) bool { return d.Themes },
		"the user's GTK themes, icons and GTK settings: read-only data"},
	{"desktop.portal", func(d profile.Desktop) bool { return d.Portal },
		"the desktop portals (org.freedesktop.portal.*) on the session bus: file chooser, opening files and URIs in host applications, screenshots and screen casts, notifications, and every other portal installed on the host; which of them ask the user first is the portals' decision, made from how they identify the caller"},
}

// dbusExposes says what each kind of D-Bus rule lets the payload do.
var dbusExposes = []struct {
	kind  string
	names func(profile.DBusBus) []string
	text  string
}{
	{"talk", func(b profile.DBusBus) []string { return b.Talk },
		"the payload may call every method of %s on the %s bus, and receive its signals: it can do whatever that service does for its callers"},
	{"own", func(b profile.DBusBus) []string { return b.Own },
		"the payload may own %s on the %s bus: other clients that call that name reach the payload, which can pose as the service"},
	{"see", func(b profile.DBusBus) []string { return b.See },
		"the payload may see that %s exists on the %s bus, and who owns it, without calling it"},
	{"broadcast", func(b profile.DBusBus) []string { return b.Broadcast },
		"signals matching %s reach the payload from the %s bus"},
}

// desktopLoosenings lists every [desktop] switch that is on and every
// D-Bus rule of p.
func desktopLoosenings(p *profile.Profile) []looseLine {
	var out []looseLine
	for _, s := range desktopExposes {
		if s.on(p.Desktop) {
			out = append(out, looseLine{s.key, fmt.Sprintf("%s: %s (%s)", s.key, s.text, originString(p.Origins[s.key]))})
		}
	}
	for _, bus := range []struct {
		name  string
		rules profile.DBusBus
	}{{"session", p.DBus.Session}, {"system", p.DBus.System}} {
		for _, r := range dbusExposes {
			key := "dbus." + bus.name + "." + r.kind
			for _, n := range r.names(bus.rules) {
				at, ok := p.Origins[key+"."+n]
				if !ok {
					at = p.Origins[key]
				}
				out = append(out, looseLine{key, fmt.Sprintf("%s %s: %s (%s)", key, n, fmt.Sprintf(r.text, n, bus.name), originString(at))})
			}
		}
	}
	return out
}
