package compile

import (
	"fmt"
	"path"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
)

// systemBusSocket is where libdbus and sd-bus look for the system bus when
// DBUS_SYSTEM_BUS_ADDRESS is unset; the proxy's socket is bound there.
const systemBusSocket = "/run/dbus/system_bus_socket"

// dbus compiles [dbus.session], [dbus.system] and desktop.portal. A bus
// with rules gets a filtering xdg-dbus-proxy; a bus without rules is not
// reachable at all, since its real socket is never bound.
func (d *desktopCompiler) dbus() {
	c := d.c
	type bus struct {
		name  string
		rules profile.DBusBus
		at    profile.Origin
		key   string
	}
	session := bus{name: "session", rules: c.p.DBus.Session, key: "dbus.session"}
	if c.p.Desktop.Portal {
		// Named interfaces of the portal frontend only (W3): not
		// org.freedesktop.portal.*, which includes the portals that
		// install and launch programs.
		call, broadcast := portalRules()
		session.rules.Call = append(append([]string(nil), session.rules.Call...), call...)
		session.rules.Broadcast = append(append([]string(nil), session.rules.Broadcast...), broadcast...)
	}
	system := bus{name: "system", rules: c.p.DBus.System, key: "dbus.system"}
	proxy := plan.DBusProxy{AppID: PortalAppID(c.p.Name), Network: c.p.Network.Mode != profile.NetworkNone}
	for _, b := range []bus{session, system} {
		if !b.rules.HasRules() {
			continue
		}
		b.at = d.busOrigin(b.key, b.rules)
		if b.name == "session" && !c.p.DBus.Session.HasRules() {
			b.at, b.key = c.origin("desktop.portal"), "desktop.portal"
		}
		addr, ok := d.busAddress(b.name, b.key, b.at)
		if !ok {
			continue
		}
		if proxy.Program == "" {
			prog, err := c.h.LookPath("xdg-dbus-proxy")
			if err != nil {
				d.need(b.key, b.at, "the %s bus is reached through xdg-dbus-proxy, which is not installed; install it (sudo apt-get install xdg-dbus-proxy), or remove the rules", b.name)
				continue
			}
			proxy.Program = prog
		}
		proxy.Buses = append(proxy.Buses, plan.DBusBusProxy{Bus: b.name, Address: addr, Rules: dbusRules(b.rules), At: plan.Origin(b.at)})
		var target string
		if b.name == "session" {
			if c.p.Desktop.Portal {
				d.item("desktop.portal", c.origin("desktop.portal"),
					"the desktop portals on the session bus, through its filtering proxy: only the interfaces %s of %s; the portals see the sandboxed app %s",
					strings.Join(portalShortNames(), ", "), portalBusName, proxy.AppID)
			}
			target = path.Join(d.runtime, "bus")
			d.runtimeUsed(b.at)
			d.inRuntime = append(d.inRuntime, plan.DBusSocket{From: plan.From{At: plan.Origin(b.at)}, Bus: b.name, Target: target})
			d.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + target
		} else {
			target = systemBusSocket
			d.other = append(d.other, plan.DBusSocket{From: plan.From{At: plan.Origin(b.at)}, Bus: b.name, Target: target})
			d.env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=" + target
		}
	}
	if len(proxy.Buses) > 0 {
		d.pl.DBusProxy = &proxy
	}
}

// busOrigin is the line of the bus's first rule.
func (d *desktopCompiler) busOrigin(key string, b profile.DBusBus) profile.Origin {
	for _, r := range []struct {
		kind  string
		names []string
	}{{"talk", b.Talk}, {"own", b.Own}, {"see", b.See}, {"call", b.Call}, {"broadcast", b.Broadcast}} {
		for _, n := range r.names {
			if o, ok := d.c.p.Origins[key+"."+r.kind+"."+n]; ok {
				return o
			}
		}
		if o, ok := d.c.p.Origins[key+"."+r.kind]; ok && len(r.names) > 0 {
			return o
		}
	}
	return d.c.origin(key)
}

// busAddress finds the caller's bus: $DBUS_SESSION_BUS_ADDRESS or
// $DBUS_SYSTEM_BUS_ADDRESS, else the bus's usual socket.
func (d *desktopCompiler) busAddress(bus, key string, at profile.Origin) (string, bool) {
	envName := BusEnv(bus)
	b := FindBus(bus, d.c.h.Getenv, d.hostRuntime)
	if b.FromEnv {
		// A unix:path address is checked now; others (abstract
		// sockets, tcp) only the proxy can try.
		if b.File && !d.exists(b.Socket) {
			d.need(key, at, "the %s bus is not reachable: $%s names %s, which does not exist; start the bus, or remove the rules", bus, envName, b.Socket)
			return "", false
		}
		return b.Addr, true
	}
	if b.Addr == "" {
		d.absent(key, at, "the session bus cannot be found: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR are not set; run from a desktop session, or remove the rules")
		return "", false
	}
	if !d.exists(b.Socket) {
		fix, report := "run from a desktop session", d.absent
		if bus == "system" {
			// Every Debian system runs one: its absence is a fault.
			fix, report = "start the system bus (the dbus package)", d.need
		}
		report(key, at, "the %s bus cannot be found: $%s is not set and %s does not exist; %s, or remove the rules", bus, envName, b.Socket, fix)
		return "", false
	}
	return b.Addr, true
}

// dbusRules are the proxy's policy options for one bus.
func dbusRules(b profile.DBusBus) []string {
	var out []string
	for _, r := range []struct {
		opt   string
		names []string
	}{{"--see=", b.See}, {"--talk=", b.Talk}, {"--own=", b.Own}, {"--call=", b.Call}, {"--broadcast=", b.Broadcast}} {
		for _, n := range r.names {
			out = append(out, r.opt+n)
		}
	}
	return out
}

// withoutPortalRules returns rules without those of desktop.portal, and
// whether all of them were there.
func withoutPortalRules(rules []string) ([]string, bool) {
	call, broadcast := portalRules()
	own := map[string]bool{}
	for _, r := range call {
		own["--call="+r] = true
	}
	for _, r := range broadcast {
		own["--broadcast="+r] = true
	}
	var rest []string
	for _, r := range rules {
		if own[r] {
			delete(own, r)
			continue
		}
		rest = append(rest, r)
	}
	if len(own) > 0 {
		return rules, false
	}
	return rest, true
}

// DescribeDBus says in words what each bus lets through, one line a bus,
// for explain.
func DescribeDBus(p *plan.Plan) []string {
	reached := map[string]plan.DBusBusProxy{}
	if p.DBusProxy != nil {
		for _, b := range p.DBusProxy.Buses {
			reached[b.Bus] = b
		}
	}
	var out []string
	for _, bus := range []string{"session", "system"} {
		b, ok := reached[bus]
		if !ok {
			out = append(out, fmt.Sprintf("the %s bus is not reachable (no rules)", bus))
			continue
		}
		var parts []string
		rules := b.Rules
		if bus == "session" {
			var portal bool
			if rules, portal = withoutPortalRules(rules); portal {
				parts = append(parts, fmt.Sprintf("may use the portal interfaces %s of %s (desktop.portal) and no other",
					strings.Join(portalShortNames(), ", "), portalBusName))
			}
		}
		for _, r := range []struct{ opt, words string }{
			{"--talk=", "may call"}, {"--call=", "may make only the calls NAME=RULE"}, {"--own=", "may own"}, {"--see=", "may see"},
			{"--broadcast=", "receives signals from"},
		} {
			var names []string
			for _, rule := range rules {
				if n, ok := strings.CutPrefix(rule, r.opt); ok {
					names = append(names, n)
				}
			}
			if len(names) > 0 {
				parts = append(parts, r.words+" "+strings.Join(names, ", "))
			}
		}
		line := fmt.Sprintf("the %s bus (%s) goes through xdg-dbus-proxy --filter: the sandbox %s; every other name is invisible",
			bus, b.Address, strings.Join(parts, "; "))
		if bus == "session" {
			line += "; portals see it as the sandboxed app " + p.DBusProxy.AppID
		}
		out = append(out, line)
	}
	return out
}
