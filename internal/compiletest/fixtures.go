// Package compiletest holds the fixtures the compiler's and the runner's
// tests share: a fixed host for golden plans, and loading a profile from
// text or from the shipped library. It does not import the compiler, so the
// compiler's own tests can use it.
package compiletest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sandbox/hostview"
	"sandbox/profile"
	"sandbox/profiles"
)

// FakeDir is what GoldenHost's Stat returns for every path, so the plans
// do not depend on what the test machine has installed.
type FakeDir struct{ Base string }

func (f FakeDir) Name() string       { return f.Base }
func (f FakeDir) Size() int64        { return 0 }
func (f FakeDir) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (f FakeDir) ModTime() time.Time { return time.Time{} }
func (f FakeDir) IsDir() bool        { return true }
func (f FakeDir) Sys() any           { return nil }

// GoldenEnv is the caller the golden profiles are loaded for.
func GoldenEnv() profile.Env {
	return profile.Env{UID: 1000, GID: 1000, User: "user", Home: "/home/user", Cwd: "/home/user/src",
		Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "PATH": "/usr/bin:/bin"}}
}

// GoldenHost is a machine on which everything a profile names exists, so
// that the golden plans do not depend on the test machine.
func GoldenHost() hostview.Host {
	return hostview.Host{UID: 1000, GID: 1000, EUID: 1000, User: "user", Home: "/home/user", Cwd: "/home/user/src",
		Env: []string{"PATH=/usr/bin:/bin", "TERM=xterm", "SECRET_TOKEN=x", "LANG=C.UTF-8", "LC_ALL=C",
			// A desktop session, for the profiles' [desktop] keys; the
			// Xauthority file does not exist, so no cookie is read.
			"XDG_RUNTIME_DIR=/run/user/1000", "WAYLAND_DISPLAY=wayland-0", "DISPLAY=:0",
			"XAUTHORITY=/nonexistent/Xauthority", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"},
		StatFunc: func(p string) (os.FileInfo, error) { return FakeDir{filepath.Base(p)}, nil },
		// A fixed Landlock ABI: the plans do not depend on this kernel.
		LandlockABI: func() int { return 6 },
		// Nothing exists for the walk of trusted files: the plans show
		// no protection that depends on this machine's home or projects.
		LstatFunc: func(p string) (os.FileInfo, error) {
			return nil, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
		},
		LookPathFunc: func(name string) (string, error) { return "/usr/bin/" + name, nil },
		// No GPU: what desktop.gpu binds of sysfs depends on the
		// machine; TestDesktopGPUSysfs checks it with a tree of its own.
		Sysfs: "/nonexistent/sysfs"}
}

// RealHost is GoldenHost looking at this machine's files.
func RealHost() hostview.Host {
	h := GoldenHost()
	h.StatFunc = nil
	return h
}

// AsRootHost makes h a launcher running as root, started by nobody's
// sudo or pkexec.
func AsRootHost(h *hostview.Host) {
	h.UID, h.GID, h.EUID = 0, 0, 0
	h.User, h.Home = "root", "/root"
}

// LoadText loads a profile from text, with the shipped profiles available
// to extend.
func LoadText(t testing.TB, text string) *profile.Profile {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "p.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(path, GoldenEnv(), profile.Source{Builtin: profiles.FS})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

// LoadShipped loads a shipped profile for the golden caller.
func LoadShipped(t testing.TB, name string) *profile.Profile {
	t.Helper()
	p, err := profile.Load(name, GoldenEnv(), profile.Source{Builtin: profiles.FS})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

// ShippedNames lists the shipped profiles.
func ShippedNames(t testing.TB) []string {
	t.Helper()
	entries, err := fs.Glob(profiles.FS, "*.toml")
	if err != nil || len(entries) == 0 {
		t.Fatalf("no shipped profiles found: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e, ".toml"))
	}
	return names
}

// CallerHost is GoldenHost with this process's ids, as a launcher started
// by this test has.
func CallerHost() hostview.Host {
	h := GoldenHost()
	h.UID, h.GID, h.EUID = uint32(os.Getuid()), uint32(os.Getgid()), uint32(os.Geteuid())
	return h
}
