package tests

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestEgressProxyEndsWithSandbox: the proxy lives exactly as long as the
// sandbox. A connection it holds open to the host's server is closed when
// the payload ends, and when the launcher is killed mid-transfer; the
// server sees each close (it would hang on a proxy that outlived them),
// and nothing of the run is left.
func TestEgressProxyEndsWithSandbox(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		requireOrSkip(t, false, "the egress tests run curl inside the sandbox; install curl")
	}
	bothModes(t, func(t *testing.T, m mode) {
		opened := make(chan struct{}, 4)
		closed := make(chan struct{}, 4)
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			opened <- struct{}{}
			select {
			case <-r.Context().Done():
				closed <- struct{}{}
			case <-time.After(2 * time.Minute):
			}
		}))
		defer hs.Close()
		port := hs.Listener.Addr().(*net.TCPAddr).Port
		prof := writeProfile(t, "held.toml", fmt.Sprintf(`extends = ["base"]

[network]
mode = "filtered"
allow = ["held.test:%d"]
allow_private = ["held.test:%d"]
hosts = ["held.test=127.0.0.1"]
`, port, port))
		script := fmt.Sprintf("curl -sS --max-time 600 http://held.test:%d/ >/dev/null 2>&1 & ", port)

		// The payload ends while curl's connection is open.
		r := startWithHelpers(t, m, nil, "-p", prof, "--", "/bin/sh", "-c", script+"echo started; read _ </dev/tty 2>/dev/null; sleep 600 & wait $!")
		r.waitLine(t, "started")
		waitSignal(t, opened, "the request never reached the server through the proxy")
		r.killLauncher(t)
		waitSignal(t, closed, "the proxy's connection to the server stayed open after the launcher was killed")

		r = startWithHelpers(t, m, nil, "-p", prof, "--", "/bin/sh", "-c", script+"echo started; sleep 2; exit 3")
		r.waitLine(t, "started")
		waitSignal(t, opened, "the request never reached the server through the proxy")
		code, out := r.finish(t)
		if code != 3 {
			t.Errorf("exit code %d, want 3:\n%s", code, out)
		}
		waitSignal(t, closed, "the proxy's connection to the server stayed open after the sandbox ended")
		if strings.Contains(out, "panic") {
			t.Errorf("the launcher panicked:\n%s", out)
		}
	})
}

// waitSignal fails with msg unless ch delivers within a minute: a bound for a
// hang, not a measure of speed.
func waitSignal(t *testing.T, ch <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatal(msg)
	}
}
