package launcher

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sandbox/profile"
	"sandbox/profiles"
)

var update = flag.Bool("update", false, "rewrite the golden plans in testdata/plans")

// fakeDir is what the golden tests' Host.Stat returns for every path, so the
// plans do not depend on what the test machine has installed.
type fakeDir struct{ name string }

func (f fakeDir) Name() string       { return f.name }
func (f fakeDir) Size() int64        { return 0 }
func (f fakeDir) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (f fakeDir) ModTime() time.Time { return time.Time{} }
func (f fakeDir) IsDir() bool        { return true }
func (f fakeDir) Sys() any           { return nil }

func goldenEnv() profile.Env {
	return profile.Env{UID: 1000, GID: 1000, User: "user", Home: "/home/user", Cwd: "/home/user/src",
		Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "PATH": "/usr/bin:/bin"}}
}

func goldenHost() Host {
	return Host{UID: 1000, GID: 1000, EUID: 1000, User: "user", Home: "/home/user", Cwd: "/home/user/src",
		Env: []string{"PATH=/usr/bin:/bin", "TERM=xterm", "SECRET_TOKEN=x", "LANG=C.UTF-8", "LC_ALL=C",
			// A desktop session, for the profiles' [desktop] keys; the
			// Xauthority file does not exist, so no cookie is read.
			"XDG_RUNTIME_DIR=/run/user/1000", "WAYLAND_DISPLAY=wayland-0", "DISPLAY=:0",
			"XAUTHORITY=/nonexistent/Xauthority", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"},
		Stat: func(p string) (os.FileInfo, error) { return fakeDir{filepath.Base(p)}, nil },
		// A fixed Landlock ABI: the plans do not depend on this kernel.
		LandlockABI: func() int { return 6 },
		// Nothing exists for the walk of trusted files: the plans show
		// no protection that depends on this machine's home or projects.
		Lstat: func(p string) (os.FileInfo, error) {
			return nil, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
		},
		LookPath: func(name string) (string, error) { return "/usr/bin/" + name, nil },
		// No GPU: what desktop.gpu binds of sysfs depends on the
		// machine; TestDesktopGPUSysfs checks it with a tree of its own.
		Sysfs: "/nonexistent/sysfs"}
}

// renderPlan prints a plan the way a reviewer reads it: one line a step,
// its kind, description, origin and fields (BPF bytes left out: their
// size is in the description).
func renderPlan(t *testing.T, p *Plan) string {
	t.Helper()
	var b strings.Builder
	head, _ := json.Marshal(struct {
		CloneFlags uintptr    `json:"clone_flags"`
		IDs        *IDMapping `json:"ids"`
		Env        []string   `json:"env"`
		Die        bool       `json:"die_with_parent"`
		Session    bool       `json:"new_session"`
		Init       bool       `json:"init"`
	}{p.CloneFlags, p.IDs, p.Env, p.DieWithParent, p.NewSession, p.Init})
	b.Write(head)
	b.WriteString("\n")
	for i, s := range p.Steps {
		fields, _ := json.Marshal(s)
		o := s.Origin()
		b.WriteString(strings.Join([]string{
			strconv.Itoa(i + 1), s.Kind(), o.File + ":" + strconv.Itoa(o.Line), string(fields),
		}, " | "))
		b.WriteString("\n    " + s.Describe() + "\n")
	}
	return b.String()
}

// TestGoldenPlans compiles every shipped profile and compares the plan with
// testdata/plans/NAME.golden. Run `go test ./launcher -run GoldenPlans
// -update` after an intended change and review the diff.
// shippedNames lists the shipped profiles.
func shippedNames(t *testing.T) []string {
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

// compileShipped compiles a shipped profile for the golden host, as the
// golden plans are compiled.
func compileShipped(t *testing.T, name string) *Plan {
	t.Helper()
	p, err := profile.Load(name, goldenEnv(), profile.Source{Builtin: profiles.FS})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	plan, err := Compile(p, []string{"/bin/true"}, goldenHost())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return plan
}

func TestGoldenPlans(t *testing.T) {
	for _, name := range shippedNames(t) {
		t.Run(name, func(t *testing.T) {
			plan := compileShipped(t, name)
			got := renderPlan(t, plan)
			golden := filepath.Join("testdata", "plans", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("plan for %s changed; review and run with -update if intended\n--- got\n%s\n--- want\n%s", name, got, want)
			}
		})
	}
}
