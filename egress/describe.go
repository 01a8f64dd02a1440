package egress

import (
	"fmt"
	"sandbox/plan"
	"strings"
)

// Describe says in words what a filtered sandbox reaches, for
// explain: the proxy, then each allow-list entry with its line.
func Describe(e *plan.Egress) []string {
	out := []string{fmt.Sprintf("mode filtered: a network namespace of its own with only the loopback interface; the launcher's egress proxy, outside the sandbox, listens at 127.0.0.1:%d inside (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY point at it) and connects only to what network.allow lists; nothing else leaves the sandbox", e.Port)}
	if len(e.Allow) == 0 {
		out = append(out, "network.allow is empty: every connection is refused")
	}
	for _, r := range e.Allow {
		out = append(out, fmt.Sprintf("allow %s%s (from %s:%d)", r.String(), egressPortWords(r.Port), r.At.File, r.At.Line))
	}
	for _, r := range e.AllowPrivate {
		out = append(out, fmt.Sprintf("LOOSENED: %s%s may reach loopback, link-local or private addresses (network.allow_private, from %s:%d)", r.String(), egressPortWords(r.Port), r.At.File, r.At.Line))
	}
	var hosts []string
	for _, h := range e.Hosts {
		hosts = append(hosts, h.Name+"="+h.Addr)
	}
	if len(hosts) > 0 {
		out = append(out, "names resolved without DNS (network.hosts): "+strings.Join(hosts, ", "))
	}
	out = append(out, "addresses in loopback, link-local, private, unspecified and multicast ranges are refused unless network.allow_private lists them; an IP address is reached only when listed itself")
	return out
}

func egressPortWords(port int) string {
	if port == 0 {
		return " (ports 80 and 443)"
	}
	return ""
}
