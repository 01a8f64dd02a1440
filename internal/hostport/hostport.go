// Package hostport writes an egress destination in its one canonical
// form, which the profile merges entries on and the plan and explain show.
package hostport

import (
	"net/netip"
	"strconv"
)

// Format is "pypi.org:443", "*.github.com" or "[::1]:8080"; port 0 (80
// and 443) is left out.
func Format(host string, port int) string {
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && port != 0 {
		host = "[" + host + "]"
	}
	if port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(port)
}
