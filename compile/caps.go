package compile

import (
	"strings"

	"github.com/moby/sys/capability"
)

// capNumber returns the kernel number of a capability given as
// "CAP_NET_RAW" or "net_raw".
func capNumber(name string) (uint, bool) {
	want := strings.TrimPrefix(strings.ToLower(name), "cap_")
	for _, c := range capability.ListKnown() {
		if c.String() == want {
			return uint(c), true
		}
	}
	return 0, false
}
