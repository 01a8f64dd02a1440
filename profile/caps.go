package profile

import (
	"sort"
	"strings"

	"github.com/moby/sys/capability"

	"sandbox/internal/lazy"
)

// capNames returns the canonical names of every capability the capability
// package knows, such as "CAP_NET_RAW", sorted. Built on first use.
func capNames() []string { return capNamesValue.Get() }

var capNamesValue = lazy.Value[[]string]{Make: func() []string {
	var names []string
	for _, c := range capability.ListKnown() {
		names = append(names, "CAP_"+strings.ToUpper(c.String()))
	}
	sort.Strings(names)
	return names
}}

// CapabilityNames returns the canonical name of every capability.
func CapabilityNames() []string { return append([]string(nil), capNames()...) }

// canonicalCap turns "net_raw", "CAP_NET_RAW" or "Cap_Net_Raw" into
// "CAP_NET_RAW". The message lists the valid forms when name is unknown.
func canonicalCap(name string) (string, string) {
	up := strings.ToUpper(name)
	if !strings.HasPrefix(up, "CAP_") {
		up = "CAP_" + up
	}
	names := capNames()
	if i := sort.SearchStrings(names, up); i < len(names) && names[i] == up {
		return up, ""
	}
	msg := "unknown capability " + quote(name)
	if s := suggest(up, names); s != "" {
		return "", msg + `; did you mean "` + s + `"?`
	}
	return "", msg + `; write a name from capabilities(7) such as "CAP_NET_RAW" or "net_raw"; valid names: ` + strings.Join(names, " ")
}
