package tests

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestDoctor runs `sandbox doctor` on this machine, where the tests
// launch sandboxes both ways, so it must say that the minimal profile can
// run: exit 0, no failed finding, and findings that agree with what the
// test reads from the kernel itself.
func TestDoctor(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		r := sandbox(t, m, "doctor", "--json")
		if r.code != 0 {
			t.Fatalf("doctor --json: %s", r)
		}
		var rep struct {
			OK       bool `json:"ok"`
			Findings []struct {
				Check, Status, Message, Fix string
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("doctor --json does not parse: %v\n%s", err, r)
		}
		if !rep.OK {
			t.Errorf("ok is false with exit 0:\n%s", r.stdout)
		}
		got := map[string]string{}
		for _, f := range rep.Findings {
			if !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(f.Check) {
				t.Errorf("check id %q is not snake_case", f.Check)
			}
			switch f.Status {
			case "ok":
				if f.Fix != "" {
					t.Errorf("%s is ok with a fix %q", f.Check, f.Fix)
				}
			case "warn":
				if f.Fix == "" {
					t.Errorf("%s warns without a fix: %s", f.Check, f.Message)
				}
			default:
				t.Errorf("%s is %s on a machine where sandboxes run: %s (fix: %s)", f.Check, f.Status, f.Message, f.Fix)
			}
			got[f.Check] = f.Status + ": " + f.Message
		}
		// What every launch needs, and what the tests just used.
		for _, check := range []string{"userns_create", "seccomp", "openat2", "mount_setattr", "kernel", "profile_search_path"} {
			if !strings.HasPrefix(got[check], "ok: ") {
				t.Errorf("%s: %q, want ok", check, got[check])
			}
		}
		want := fmt.Sprintf("Landlock ABI %d", landlockABI())
		if msg := strings.TrimPrefix(strings.TrimPrefix(got["landlock"], "ok: "), "warn: "); msg != want && !strings.HasPrefix(msg, want+";") && !strings.HasPrefix(msg, want+":") {
			t.Errorf("landlock: %q, but the kernel says %s", got["landlock"], want)
		}
		if _, ok := got["userns_unprivileged"]; ok == m.rootless() {
			t.Errorf("userns_unprivileged present = %v as %s: %q", ok, m.name, got["userns_unprivileged"])
		}
		// Without a session the runtime directory is unset: root keeps
		// its state in /run/sandbox, the unprivileged user is warned.
		wantRT := "ok: "
		if m.rootless() {
			wantRT = "warn: "
		}
		if !strings.HasPrefix(got["xdg_runtime_dir"], wantRT) {
			t.Errorf("xdg_runtime_dir: %q, want %s", got["xdg_runtime_dir"], wantRT)
		}

		text := sandbox(t, m, "doctor")
		if text.code != 0 || !strings.Contains(text.stdout, "The minimal profile can run on this machine") {
			t.Errorf("doctor: %s", text)
		}
		if !regexp.MustCompile(`(?m)^ok +userns_create +`).MatchString(text.stdout) {
			t.Errorf("no userns_create line:\n%s", text.stdout)
		}
	})
}
