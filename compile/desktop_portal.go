package compile

import (
	"path"
	"slices"
	"strings"
)

// xdg-desktop-portal decides what a caller may do by who the caller is, and
// it learns that from the process at the other end of the caller's bus
// connection: the bus reports that connection's pid, and the portal reads
// /proc/PID/root/.flatpak-info (a flatpak app: sandboxed, with the app id
// that file names) or the pid's cgroup (a snap). Anything else is a host
// application, which it trusts: DynamicLauncher then hands out install
// tokens without a dialog and launches whatever Exec line it was given.
//
// A sandbox's connections are the D-Bus proxy's. So the proxy runs in a
// mount namespace of its own whose root holds a /.flatpak-info written by
// the launcher (services_dbus_ns.go): the portal then sees a sandboxed app
// with the app id below, and applies its rules for sandboxed apps.

// The portal frontend's bus name and object.
const (
	portalBusName = "org.freedesktop.portal.Desktop"
	portalPath    = "/org/freedesktop/portal/desktop"
)

// PortalInterfaces are the portal interfaces desktop.portal reaches. Each
// either only reads (settings, the state of the network, memory and power
// profile) or acts through a dialog the user answers on the host (file
// chooser, print) or through the desktop's own service (notifications,
// inhibiting the screen saver). None of them installs or launches a
// program or runs anything in the background: DynamicLauncher, Background,
// OpenURI and Email (which start the host's handlers), and the
// org.freedesktop.portal.Flatpak and Documents services are reachable only
// through rules a profile writes itself (dbus.session.call or talk).
var PortalInterfaces = []string{
	"org.freedesktop.portal.Settings",
	"org.freedesktop.portal.FileChooser",
	"org.freedesktop.portal.Print",
	"org.freedesktop.portal.Notification",
	"org.freedesktop.portal.Inhibit",
	"org.freedesktop.portal.NetworkMonitor",
	"org.freedesktop.portal.ProxyResolver",
	"org.freedesktop.portal.MemoryMonitor",
	"org.freedesktop.portal.PowerProfileMonitor",
}

// portalShortNames are PortalInterfaces without their common prefix.
func portalShortNames() []string {
	out := make([]string, len(PortalInterfaces))
	for i, n := range PortalInterfaces {
		out[i] = strings.TrimPrefix(n, "org.freedesktop.portal.")
	}
	return out
}

// portalRules are the proxy rules of desktop.portal: the methods of the
// interfaces above on the portal's object, closing its requests and
// sessions, reading properties (each interface's version) and
// introspection; and the signals of those interfaces.
func portalRules() (call, broadcast []string) {
	rule := func(r string) string { return portalBusName + "=" + r }
	for _, iface := range PortalInterfaces {
		call = append(call, rule(iface+".*@"+portalPath))
		broadcast = append(broadcast, rule(iface+".*@"+portalPath))
	}
	call = append(call,
		rule("org.freedesktop.portal.Request.Close@"+portalPath+"/request/*"),
		rule("org.freedesktop.portal.Session.Close@"+portalPath+"/session/*"),
		rule("org.freedesktop.DBus.Properties.Get@"+portalPath),
		rule("org.freedesktop.DBus.Properties.GetAll@"+portalPath),
		rule("org.freedesktop.DBus.Introspectable.Introspect@"+portalPath))
	broadcast = append(broadcast,
		rule("org.freedesktop.portal.Request.Response@"+portalPath+"/request/*"),
		rule("org.freedesktop.portal.Session.Closed@"+portalPath+"/session/*"),
		rule("org.freedesktop.DBus.Properties.PropertiesChanged@"+portalPath))
	return call, broadcast
}

// PortalAppID is the app id portals see for a sandbox of the named
// profile: "sandbox." and the profile's name (a path's file name without
// ".toml"), with every character an app id may not hold written as "_".
// An app id is a D-Bus name: elements of [A-Za-z0-9_-] that do not start
// with a digit. Profiles whose names differ only in such characters share
// an id, and with it what the user granted in portal dialogs.
func PortalAppID(profileName string) string {
	name := strings.TrimSuffix(path.Base(profileName), ".toml")
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	elem := b.String()
	if elem == "" || elem[0] >= '0' && elem[0] <= '9' {
		elem = "_" + elem
	}
	// A bus name is at most 255 bytes.
	if len(elem) > 255-len("sandbox.") {
		elem = elem[:255-len("sandbox.")]
	}
	return "sandbox." + elem
}

// PortalRuleReach says whether a session bus rule of a profile reaches a
// portal interface beyond PortalInterfaces, and which: kind is "talk",
// "own" or "call", entry the rule as written. A talk or own rule on a name
// the portal frontend or another portal service (Flatpak, Documents) may
// own reaches every interface it serves.
func PortalRuleReach(kind, entry string) (string, bool) {
	name, rule, _ := strings.Cut(entry, "=")
	if !portalNameCovered(name) {
		return "", false
	}
	switch kind {
	case "talk", "own":
		return "every interface of " + name + ", those that install and launch programs included", true
	case "call":
		if name != portalBusName && !strings.HasSuffix(name, ".*") {
			return "the methods " + rule + " of " + name, true
		}
		member, _, _ := strings.Cut(rule, "@")
		if member == "" || member == "*" {
			return "every interface of " + name + ", those that install and launch programs included", true
		}
		// The proxy reads the last element as the method ("*": any).
		iface := member
		if i := strings.LastIndexByte(member, '.'); i >= 0 {
			iface = member[:i]
		}
		if slices.Contains(PortalInterfaces, iface) || slices.Contains(portalPlumbing, iface) {
			return "", false
		}
		return "the portal interface " + iface + " (" + rule + ")", true
	}
	return "", false
}

// portalPlumbing are the interfaces besides PortalInterfaces that
// desktop.portal's rules call: requests, sessions, properties.
var portalPlumbing = []string{"org.freedesktop.portal.Request", "org.freedesktop.portal.Session",
	"org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Introspectable"}

// portalNameCovered reports whether the bus name pattern (which may end in
// ".*") matches a name under org.freedesktop.portal.
func portalNameCovered(name string) bool {
	if n, ok := strings.CutSuffix(name, ".*"); ok {
		return n == "org" || n == "org.freedesktop" || n == "org.freedesktop.portal" ||
			strings.HasPrefix(n, "org.freedesktop.portal.")
	}
	return strings.HasPrefix(name, "org.freedesktop.portal.")
}
