package main

import (
	"fmt"
	"strings"

	"sandbox/compile"
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
		"the PulseAudio server (or pipewire-pulse), through the launcher's filter: the payload plays and records sound, microphones included, and the monitors of the sinks, which carry what other applications play; the filter refuses everything else: modules, server settings, the sample cache, other clients"},
	{"desktop.pipewire_unrestricted", func(d profile.Desktop) bool { return d.PipeWire && d.PipeWireUnrestricted },
		pipeWireExposes},
	{"desktop.gpu", func(d profile.Desktop) bool { return d.GPU },
		"the GPU: its device nodes (/dev/dri) and its own sysfs entries, read-only: the payload runs code on the GPU and reaches its kernel driver's ioctls, a large attack surface"},
	{"desktop.fonts", func(d profile.Desktop) bool { return d.Fonts },
		"the host's and the user's fonts and fontconfig settings: read-only data, which shows what the user installed"},
	{"desktop.themes", func(d profile.Desktop) bool { return d.Themes },
		"the user's GTK themes, icons and GTK settings: read-only data"},
	{"desktop.portal", func(d profile.Desktop) bool { return d.Portal },
		"the desktop portal interfaces " + portalNamesMark + " of org.freedesktop.portal.Desktop on the session bus, through a D-Bus proxy that the portals take for a sandboxed app: the payload can ask for files through the file chooser, print, notify, inhibit the screen saver, and read the desktop's settings and the network, memory and power state; which requests ask the user first is the portals' decision"},
}

// pipeWireExposes is what desktop.pipewire_unrestricted, the switch that
// lets desktop.pipewire bind PipeWire's unfiltered socket, gives the
// payload; desktop.pipewire alone is a compile error.
const pipeWireExposes = compile.PipeWireUnrestrictedRisk + "; it also plays and records sound and reaches the cameras and screen casts PipeWire offers"

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
	{"call", func(b profile.DBusBus) []string { return b.Call },
		"the payload may call the methods that %s names on the %s bus: it can do whatever they do for their callers"},
	{"broadcast", func(b profile.DBusBus) []string { return b.Broadcast },
		"signals matching %s reach the payload from the %s bus"},
}

// desktopLoosenings lists every [desktop] switch that is on and every
// D-Bus rule of p.
func desktopLoosenings(p *profile.Profile) []looseLine {
	var out []looseLine
	for _, s := range desktopExposes {
		if s.on(p.Desktop) {
			text := strings.Replace(s.text, portalNamesMark, portalNames(), 1)
			out = append(out, looseLine{s.key, fmt.Sprintf("%s: %s (%s)", s.key, text, originString(p.Origins[s.key]))})
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
				text := fmt.Sprintf(r.text, n, bus.name)
				if what, ok := compile.PortalRuleReach(r.kind, n); ok && bus.name == "session" {
					text += "; it reaches " + what + ", beyond desktop.portal's interfaces"
				}
				out = append(out, looseLine{key, fmt.Sprintf("%s %s: %s (%s)", key, n, text, originString(at))})
			}
		}
	}
	return out
}

// portalNames are the interfaces desktop.portal reaches, without their
// common prefix.
// portalNamesMark stands for portalNames in desktopExposes, which stays
// static data: a table built by a call would be built at every start.
const portalNamesMark = "{portals}"

func portalNames() string {
	names := make([]string, len(compile.PortalInterfaces))
	for i, n := range compile.PortalInterfaces {
		names[i] = strings.TrimPrefix(n, "org.freedesktop.portal.")
	}
	return strings.Join(names, ", ")
}
