package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// TestDoctorRuntimeDir: the unprivileged user's runtime directory is
// accepted when it is theirs and closed, and warned about when others
// can enter it.
func TestDoctorRuntimeDir(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "running doctor as another user needs the tests to run as root")
	dir, err := os.MkdirTemp("", "doctor-rt-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode os.FileMode
		want string
	}{{0o700, "ok: "}, {0o755, "warn: "}} {
		if err := os.Chmod(dir, tc.mode); err != nil {
			t.Fatal(err)
		}
		r := sandboxCmd(t, asRootless, func(c *exec.Cmd) { c.Env = append(c.Env, "XDG_RUNTIME_DIR="+dir) }, "doctor", "--json")
		if r.code != 0 {
			t.Fatalf("doctor: %s", r)
		}
		if got := doctorFinding(t, r.stdout, "xdg_runtime_dir"); !strings.HasPrefix(got, tc.want) {
			t.Errorf("mode %04o: xdg_runtime_dir %q, want %s", tc.mode, got, tc.want)
		}
	}
}

// TestDoctorInstallPrefix: a binary installed under a PREFIX whose
// profiles are not on the search path is reported, one under /usr/local
// is not.
func TestDoctorInstallPrefix(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "the copied binary's directories are made as root")
	prefix := t.TempDir()
	bin := filepath.Join(prefix, "bin", "sandbox")
	if err := os.MkdirAll(filepath.Join(prefix, "share", "sandbox", "profiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sandboxBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "doctor", "--json").Output()
	if err != nil {
		t.Fatalf("%s doctor: %v\n%s", bin, err, out)
	}
	got := doctorFinding(t, string(out), "profile_search_path")
	if !strings.HasPrefix(got, "warn: ") || !strings.Contains(got, filepath.Join(prefix, "share", "sandbox", "profiles")+", are not searched") {
		t.Errorf("profile_search_path = %q, want a warning naming the unsearched directory", got)
	}
}

// doctorFinding is "STATUS: MESSAGE" of one check in doctor's JSON.
func doctorFinding(t *testing.T, out, check string) string {
	t.Helper()
	var rep struct {
		Findings []struct{ Check, Status, Message string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --json does not parse: %v\n%s", err, out)
	}
	for _, f := range rep.Findings {
		if f.Check == check {
			return f.Status + ": " + f.Message
		}
	}
	t.Fatalf("no %s finding:\n%s", check, out)
	return ""
}

// TestDoctorNoUserNamespaces makes user namespaces really unavailable,
// without touching the host: in a user namespace of its own, whose
// user.max_user_namespaces is set to 0, nothing below can create one.
// There the doctor must fail (exit 1) on the probe and the sysctl, and a
// launch of the minimal profile must fail too, so the verdict is the
// launch's own.
func TestDoctorNoUserNamespaces(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		run := func(args ...string) result {
			t.Helper()
			script := `echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"`
			return sandboxCmd(t, m, func(c *exec.Cmd) {
				c.Path = "/usr/bin/unshare"
				c.Args = append([]string{"unshare", "--user", "--map-root-user", "sh", "-c", script, "sh", sandboxBin}, args...)
			})
		}
		_, err := os.Stat("/usr/bin/unshare")
		requireOrSkip(t, err == nil, "the test makes its user namespace with /usr/bin/unshare (util-linux)")
		launch := run("-p", "minimal", "--", "true")
		if launch.code == 0 {
			t.Fatalf("a launch worked with user.max_user_namespaces = 0, so the test cannot see the failure: %s", launch)
		}
		r := run("doctor", "--json")
		if r.code != 1 {
			t.Fatalf("doctor exit %d, want 1: %s", r.code, r)
		}
		for _, check := range []string{"userns_create", "max_user_namespaces"} {
			if got := doctorFinding(t, r.stdout, check); !strings.HasPrefix(got, "fail: ") {
				t.Errorf("%s: %q, want fail", check, got)
			}
		}
		text := run("doctor")
		if text.code != 1 || !strings.Contains(text.stdout, "A sandbox cannot run on this machine") ||
			!regexp.MustCompile(`(?m)^fail +userns_create .*\n +fix: `).MatchString(text.stdout) {
			t.Errorf("doctor: %s", text)
		}
	})
}
