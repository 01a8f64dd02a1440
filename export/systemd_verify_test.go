package export

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sandbox/internal/testutil"
)

// TestSystemdAnalyzeVerify checks the drop-ins with systemd's own parser,
// where systemd-analyze is installed: any complaint fails, except a
// syscall name this systemd is too old to know, which it leaves out of the
// allow-list (stricter, not looser).
func TestSystemdAnalyzeVerify(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		// make deps installs systemd, so under CI=true a missing
		// systemd-analyze is a failure, not a skip.
		testutil.RequireOrSkip(t, false, "systemd-analyze is needed to check the drop-ins with systemd's own parser (apt-get install systemd, or make deps)")
	}
	for _, name := range []string{"minimal", "jq", "build", "firefox"} {
		t.Run(name, func(t *testing.T) {
			text, _, err := Systemd(testPlan(t, name))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			unit := filepath.Join(dir, "probe.service")
			if err := os.WriteFile(unit, []byte("[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/true\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(unit+".d", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(unit+".d", "sandbox.conf"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "verify", unit)
			cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":", "SYSTEMD_LOG_LEVEL=warning")
			out, err := cmd.CombinedOutput()
			var bad []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if line == "" || strings.Contains(line, "Failed to parse system call, ignoring") {
					continue
				}
				bad = append(bad, line)
			}
			if err != nil || len(bad) > 0 {
				t.Errorf("systemd-analyze verify: %v\n%s\n--- drop-in\n%s", err, strings.Join(bad, "\n"), text)
			}
		})
	}
}
