package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sandbox/launcher"
)

// fakeDoctor builds a machine on which every check passes, for a user
// "alice" who is not root: a directory stands for the root of the file
// system, and the kernel's answers are functions the tests replace.
func fakeDoctor(t *testing.T) doctorHost {
	t.Helper()
	root := t.TempDir()
	uid := uint32(os.Getuid())
	rt := fmt.Sprintf("/run/user/%d", uid)
	h := doctorHost{
		Root: root, UID: uid, GID: uint32(os.Getgid()), EUID: 1000, User: "alice",
		Env: map[string]string{
			"HOME": "/home/alice", "XDG_RUNTIME_DIR": rt, "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0",
		},
		LookPath: func(name string) (string, error) {
			switch name {
			case "newuidmap", "newgidmap", "pasta", "slirp4netns", "xdg-dbus-proxy":
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("not found")
		},
		Executable:    func() (string, error) { return "/usr/local/bin/sandbox", nil },
		KernelRelease: func() string { return "6.1.0-28-amd64" },
		Syscall:       func(string) error { return nil },
		LandlockABI:   func() int { return 6 },
		Seccomp:       func() error { return nil },
		UserNS:        func() error { return nil },
		UserNSAs:      func(uint32, uint32) error { return nil },
		FileCaps:      func(string) bool { return false },
	}
	write(t, h, "/proc/sys/user/max_user_namespaces", "15000\n", 0o644)
	write(t, h, "/proc/sys/kernel/unprivileged_userns_clone", "1\n", 0o644)
	write(t, h, "/etc/subuid", "alice:100000:65536\n", 0o644)
	write(t, h, "/etc/subgid", "alice:100000:65536\n", 0o644)
	write(t, h, "/usr/bin/newuidmap", "", 0o755|os.ModeSetuid)
	write(t, h, "/usr/bin/newgidmap", "", 0o755|os.ModeSetuid)
	if err := os.MkdirAll(h.path("/usr/local/share/sandbox/profiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(h.path(rt), 0o700); err != nil {
		t.Fatal(err)
	}
	// MkdirAll's mode passes through the umask.
	if err := os.Chmod(h.path(rt), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{rt + "/wayland-0", rt + "/pulse/native", rt + "/pipewire-0", rt + "/bus", "/tmp/.X11-unix/X0"} {
		socket(t, h, s)
	}
	return h
}

func write(t *testing.T, h doctorHost, p, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(h.path(p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.path(p), []byte(text), mode.Perm()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(h.path(p), mode); err != nil {
		t.Fatal(err)
	}
}

// socket makes a socket inode without listening on it: all the checks
// look at is its type.
func socket(t *testing.T, h doctorHost, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(h.path(p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(h.path(p), unix.S_IFSOCK|0o600, 0); err != nil {
		t.Fatal(err)
	}
}

// doctorRun runs the doctor on h in both formats and checks that they
// agree with each other and with the exit status.
func doctorRun(t *testing.T, h doctorHost) (text string, r doctorReport, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runDoctor(h, false, &out, &errb)
	text = out.String()
	var jout bytes.Buffer
	if jcode := runDoctor(h, true, &jout, &errb); jcode != code {
		t.Errorf("exit %d with --json, %d without", jcode, code)
	}
	if err := json.Unmarshal(jout.Bytes(), &r); err != nil {
		t.Fatalf("--json does not parse: %v\n%s", err, jout.String())
	}
	if r.OK != (code == 0) {
		t.Errorf("ok = %v with exit %d", r.OK, code)
	}
	if errb.Len() > 0 {
		t.Errorf("stderr: %s", errb.String())
	}
	return text, r, code
}

// expect checks one finding in the JSON and the text: its status, words
// of its message, and a fix under it unless it is ok.
func expect(t *testing.T, text string, r doctorReport, check, status, words string) {
	t.Helper()
	var f *doctorFinding
	for i := range r.Findings {
		if r.Findings[i].Check == check {
			f = &r.Findings[i]
		}
	}
	if f == nil {
		t.Errorf("no finding %s in %+v", check, r.Findings)
		return
	}
	if f.Status != status || !strings.Contains(f.Message, words) {
		t.Errorf("%s: got %s %q, want %s with %q", check, f.Status, f.Message, status, words)
	}
	if (f.Fix == "") != (status == statusOK) {
		t.Errorf("%s (%s) has fix %q", check, f.Status, f.Fix)
	}
	line := regexp.MustCompile(`(?m)^` + status + ` +` + check + ` +(.*)\n( +fix: (.*)\n)?`).FindStringSubmatch(text)
	switch {
	case line == nil:
		t.Errorf("no text line %q for %s:\n%s", status, check, text)
	case line[1] != f.Message:
		t.Errorf("%s: text says %q, JSON %q", check, line[1], f.Message)
	case line[3] != f.Fix:
		t.Errorf("%s: text fix %q, JSON %q", check, line[3], f.Fix)
	}
}

func TestDoctorAllOK(t *testing.T) {
	text, r, code := doctorRun(t, fakeDoctor(t))
	if code != 0 {
		t.Errorf("exit %d:\n%s", code, text)
	}
	for _, f := range r.Findings {
		if f.Status != statusOK {
			t.Errorf("%s is %s: %s", f.Check, f.Status, f.Message)
		}
	}
	expect(t, text, r, "landlock", statusOK, "Landlock ABI 6")
	expect(t, text, r, "profile_search_path", statusOK, "/usr/local/share/sandbox/profiles, are on the search path")
	if !strings.Contains(text, "everything the other profiles use is here.") {
		t.Errorf("no verdict:\n%s", text)
	}
	// Aligned: every finding's message starts in one column.
	lead := regexp.MustCompile(`(?m)^(ok|warn|fail) +[a-z0-9_]+ +`)
	cols := map[int]bool{}
	for _, m := range lead.FindAllString(text, -1) {
		cols[len(m)] = true
	}
	if len(cols) != 1 {
		t.Errorf("messages start in columns %v:\n%s", cols, text)
	}
}

// TestDoctorFaults fakes one failure at a time.
func TestDoctorFaults(t *testing.T) {
	eperm := fmt.Errorf("operation not permitted")
	for _, tc := range []struct {
		name   string
		fault  func(t *testing.T, h *doctorHost)
		exit   int
		check  string
		status string
		words  string
	}{
		{"userns disabled by sysctl", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/proc/sys/kernel/unprivileged_userns_clone", "0\n", 0o644)
			h.UserNS = func() error { return eperm }
		}, 1, "unprivileged_userns_clone", statusFail, "only root may create user namespaces"},
		{"userns probe fails", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/proc/sys/kernel/unprivileged_userns_clone", "0\n", 0o644)
			h.UserNS = func() error { return eperm }
		}, 1, "userns_create", statusFail, "cannot create a user namespace"},
		{"sysctl off but probe works", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/proc/sys/kernel/unprivileged_userns_clone", "0\n", 0o644)
		}, 0, "unprivileged_userns_clone", statusWarn, "yet the probe succeeded"},
		{"max_user_namespaces 0", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/proc/sys/user/max_user_namespaces", "0\n", 0o644)
			h.UserNS = func() error { return eperm }
		}, 1, "max_user_namespaces", statusFail, "nobody, not even root"},
		{"AppArmor restriction", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n", 0o644)
			h.UserNS = func() error { return errors.New("mounting a tmpfs: permission denied") }
		}, 1, "apparmor_userns", statusFail, "AppArmor takes every capability"},
		{"AppArmor restriction as root", func(t *testing.T, h *doctorHost) {
			h.EUID = 0
			write(t, *h, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n", 0o644)
			h.UserNSAs = func(uint32, uint32) error { return eperm }
		}, 0, "userns_unprivileged", statusWarn, "cannot run a sandbox without root"},
		{"no subuid line", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/etc/subuid", "bob:100000:65536\n", 0o644)
		}, 0, "subids", statusWarn, "no grant for alice in /etc/subuid"},
		{"no newuidmap", func(t *testing.T, h *doctorHost) {
			look := h.LookPath
			h.LookPath = func(name string) (string, error) {
				if name == "newuidmap" {
					return "", errors.New("not found")
				}
				return look(name)
			}
		}, 0, "newuidmap", statusWarn, "newuidmap is not installed"},
		{"newgidmap not set-uid", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/usr/bin/newgidmap", "", 0o755)
		}, 0, "newgidmap", statusWarn, "neither set-uid nor has file capabilities"},
		{"newgidmap with file caps", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/usr/bin/newgidmap", "", 0o755)
			h.FileCaps = func(string) bool { return true }
		}, 0, "newgidmap", statusOK, "has file capabilities"},
		{"no pasta or slirp4netns", func(t *testing.T, h *doctorHost) {
			look := h.LookPath
			h.LookPath = func(name string) (string, error) {
				if name == "pasta" || name == "slirp4netns" {
					return "", errors.New("not found")
				}
				return look(name)
			}
		}, 0, "network_helper", statusWarn, "neither pasta nor slirp4netns"},
		{"no xdg-dbus-proxy", func(t *testing.T, h *doctorHost) {
			look := h.LookPath
			h.LookPath = func(name string) (string, error) {
				if name == "xdg-dbus-proxy" {
					return "", errors.New("not found")
				}
				return look(name)
			}
		}, 0, "xdg_dbus_proxy", statusWarn, "not installed"},
		{"no Landlock", func(t *testing.T, h *doctorHost) {
			h.LandlockABI = func() int { return 0 }
		}, 0, "landlock", statusWarn, "Landlock ABI 0"},
		{"old Landlock", func(t *testing.T, h *doctorHost) {
			h.LandlockABI = func() int { return 3 }
		}, 0, "landlock", statusOK, "Landlock ABI 3; without TCP port rules"},
		{"no seccomp", func(t *testing.T, h *doctorHost) {
			h.Seccomp = func() error { return unix.EINVAL }
		}, 1, "seccomp", statusFail, "not available"},
		{"no mount_setattr", func(t *testing.T, h *doctorHost) {
			h.KernelRelease = func() string { return "5.10.0-9-amd64" }
			h.Syscall = func(name string) error {
				if name == "mount_setattr" {
					return unix.ENOSYS
				}
				return nil
			}
		}, 1, "mount_setattr", statusFail, "this kernel has no mount_setattr"},
		{"old kernel version", func(t *testing.T, h *doctorHost) {
			h.KernelRelease = func() string { return "5.10.0-9-amd64" }
		}, 0, "kernel", statusWarn, "older than 5.12"},
		{"no pidfd_open", func(t *testing.T, h *doctorHost) {
			h.Syscall = func(name string) error {
				if name == "pidfd_open" {
					return unix.ENOSYS
				}
				return nil
			}
		}, 0, "pidfd_open", statusWarn, "this kernel has no pidfd_open"},
		{"no XDG_RUNTIME_DIR", func(t *testing.T, h *doctorHost) {
			delete(h.Env, "XDG_RUNTIME_DIR")
		}, 0, "xdg_runtime_dir", statusWarn, "is not set"},
		{"sockets without XDG_RUNTIME_DIR", func(t *testing.T, h *doctorHost) {
			delete(h.Env, "XDG_RUNTIME_DIR")
		}, 0, "pulseaudio", statusWarn, "$XDG_RUNTIME_DIR is not set"},
		{"XDG_RUNTIME_DIR wrong owner", func(t *testing.T, h *doctorHost) {
			rt := h.Env["XDG_RUNTIME_DIR"]
			h.UID = 4242
			h.Env["XDG_RUNTIME_DIR"] = rt
		}, 0, "xdg_runtime_dir", statusWarn, "not by you (uid 4242)"},
		{"XDG_RUNTIME_DIR wrong mode", func(t *testing.T, h *doctorHost) {
			if err := os.Chmod(h.path(h.Env["XDG_RUNTIME_DIR"]), 0o755); err != nil {
				t.Fatal(err)
			}
		}, 0, "xdg_runtime_dir", statusWarn, "has mode 0755, not 0700"},
		{"XDG_RUNTIME_DIR missing", func(t *testing.T, h *doctorHost) {
			h.Env["XDG_RUNTIME_DIR"] = "/run/user/9999"
		}, 0, "xdg_runtime_dir", statusWarn, "cannot be used"},
		{"no Wayland socket", func(t *testing.T, h *doctorHost) {
			h.Env["WAYLAND_DISPLAY"] = "wayland-1"
		}, 0, "wayland", statusWarn, "wayland-1 does not exist"},
		{"X display over the network", func(t *testing.T, h *doctorHost) {
			h.Env["DISPLAY"] = "remote:0"
		}, 0, "x11", statusWarn, "reached over the network"},
		{"session bus not a socket", func(t *testing.T, h *doctorHost) {
			write(t, *h, "/tmp/bus-file", "", 0o644)
			h.Env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/tmp/bus-file,guid=1"
		}, 0, "session_bus", statusWarn, "is not a socket"},
		{"install not on the search path", func(t *testing.T, h *doctorHost) {
			if err := os.MkdirAll(h.path("/opt/sb/share/sandbox/profiles"), 0o755); err != nil {
				t.Fatal(err)
			}
			h.Executable = func() (string, error) { return "/opt/sb/bin/sandbox", nil }
		}, 0, "profile_search_path", statusWarn, "/opt/sb/share/sandbox/profiles, are not searched"},
		{"not installed", func(t *testing.T, h *doctorHost) {
			h.Executable = func() (string, error) { return "/home/alice/src/sandbox/bin/sandbox", nil }
		}, 0, "profile_search_path", statusOK, "has no installed profiles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := fakeDoctor(t)
			tc.fault(t, &h)
			text, r, code := doctorRun(t, h)
			if code != tc.exit {
				t.Errorf("exit %d, want %d:\n%s", code, tc.exit, text)
			}
			expect(t, text, r, tc.check, tc.status, tc.words)
			verdict := "The minimal profile can run on this machine"
			if tc.exit != 0 {
				verdict = "A sandbox cannot run on this machine"
			}
			if !strings.Contains(text, verdict) {
				t.Errorf("no verdict %q:\n%s", verdict, text)
			}
		})
	}
}

// TestDoctorArgs: an unknown argument is a usage error, not a verdict.
func TestDoctorArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cmdDoctor([]string{"--bogus"}, &out, &errb); code != exitLauncher || !strings.Contains(errb.String(), "Usage: sandbox doctor") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestDoctorUsernsSettingsKnown: every sysctl the launcher's hint knows is
// one the doctor checks, with the launcher's fix.
func TestDoctorUsernsSettingsKnown(t *testing.T) {
	for _, st := range launcher.UsernsSettings() {
		switch st.Name {
		case sysctlUnprivClone, sysctlMaxUserns, sysctlAppArmor:
		default:
			t.Errorf("the doctor does not check %s", st.Name)
		}
		if fix := usernsAllow(st.Name); !strings.Contains(fix, st.Name+"="+st.Allow) {
			t.Errorf("fix for %s: %q", st.Name, fix)
		}
	}
}
