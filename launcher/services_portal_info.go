package launcher

import (
	"strings"

	"sandbox/plan"
)

// portalInfo is the /.flatpak-info of the proxy's root: the app id, an
// instance id of this launch (no flatpak instance has one of this form, so
// the portal cannot take the sandbox for one), and the network when the
// sandbox has one (the NetworkMonitor and ProxyResolver portals answer
// only apps that do).
func portalInfo(p *plan.DBusProxy, instance string) []byte {
	var b strings.Builder
	b.WriteString("# Written by sandbox: the D-Bus proxy of a sandbox, not a flatpak app.\n")
	b.WriteString("[Application]\nname=" + p.AppID + "\n\n")
	b.WriteString("[Instance]\ninstance-id=" + instance + "\n")
	if p.Network {
		b.WriteString("\n[Context]\nshared=network;\n")
	}
	return []byte(b.String())
}
