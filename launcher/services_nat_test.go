package launcher

import (
	"reflect"
	"testing"

	"sandbox/plan"
)

// TestPastaPorts checks pasta's forwarding options: only the profile's
// forwards, bound to the host's 127.0.0.1, and nothing from the sandbox
// to the host (pasta's defaults forward every bound port both ways).
func TestPastaPorts(t *testing.T) {
	got := pastaPorts(nil)
	if want := []string{"-t", "none", "-u", "none", "-T", "none", "-U", "none"}; !reflect.DeepEqual(got, want) {
		t.Errorf("no forwards: %q, want %q", got, want)
	}
	got = pastaPorts([]plan.PortForward{{HostPort: 8080, SandboxPort: 80, Proto: "tcp"},
		{HostPort: 5353, SandboxPort: 53, Proto: "udp"}, {HostPort: 2222, SandboxPort: 22, Proto: "tcp"}})
	want := []string{"-t", "127.0.0.1/8080:80", "-t", "127.0.0.1/2222:22", "-u", "127.0.0.1/5353:53", "-T", "none", "-U", "none"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("forwards: %q, want %q", got, want)
	}
}
