package compile

import (
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/plan"
	"sandbox/profile"
)

// TestCompileErrors checks the problems only the host can reveal: each is
// a positioned error naming the key and the fix, found before launch. The
// rules that hold on every host are the profile's checks
// (profile/checks_test.go).
func TestCompileErrors(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		host func(*hostview.Host)
		want string
	}{
		{"missing bind source (B5)", `[[mount]]
type = "ro-bind"
source = "/no/such/dir"
`, nil, "p.toml:1:1: mount[0].source: /no/such/dir does not exist on this machine; fix the path or add optional = true"},
		{"file copy from a FIFO (B6)", `[[mount]]
type = "file"
source = "` + fifo + `"
target = "/etc/x"
`, nil, "mount[0].source: " + fifo + " is a FIFO, not a regular file"},
		{"explicit maps rootless", `[identity]
uid = 0
gid = 0
uid_map = [{inside = 0, outside = 100000, count = 10}]
gid_map = [{inside = 0, outside = 100000, count = 10}]
`, nil, "identity.uid_map: explicit id maps can only be applied by a launcher running as root"},
		{"subids without grants", `[identity]
subids = true
`, nil, "identity.subids: no subordinate ids are granted to user"},
		{"rootless without a user namespace", `[namespaces]
user = false
`, nil, "namespaces.user: a launcher that is not root can only build a sandbox inside a new user namespace"},
		// R1: a root launch never maps host root without
		// identity.host_root.
		{"root: explicit uid map to host root (R1)", `[identity]
uid = 0
gid = 0
uid_map = [{inside = 0, outside = 0, count = 1}]
gid_map = [{inside = 0, outside = 100000, count = 1}]
`, compiletest.AsRootHost, "p.toml:4:12: identity.uid_map[0]: maps inside id 0 to host id 0 (root): the payload would own every file host root owns; map it to an unprivileged host id"},
		{"root: explicit gid map to host root (R1)", `[identity]
uid = 0
gid = 0
uid_map = [{inside = 0, outside = 100000, count = 10}]
gid_map = [{inside = 5, outside = 200000, count = 1}, {inside = 0, outside = 0, count = 5}]
`, compiletest.AsRootHost, "p.toml:5:55: identity.gid_map[1]: maps inside id 0 to host id 0 (root)"},
		{"root: no user namespace, payload uid 0 (R1)", `[namespaces]
user = false
`, compiletest.AsRootHost, "p.toml:2:1: namespaces.user: without a user namespace the payload of a root launch runs as host uid 0 and gid 0, and owns what host root owns; set non-zero identity.uid and identity.gid, or namespaces.user = true"},
		{"root: no user namespace, payload gid 0 (R1)", `[namespaces]
user = false
[identity]
uid = 1000
gid = 0
`, compiletest.AsRootHost, "namespaces.user: without a user namespace the payload of a root launch runs as host uid 1000 and gid 0"},
		{"root: subids granted from host root (R1)", `[identity]
subids = true
`, func(h *hostview.Host) {
			compiletest.AsRootHost(h)
			h.SubUIDs = []hostview.SubIDRange{{Start: 0, Count: 65536}}
		}, "p.toml:2:1: identity.subids: /etc/subuid grants root a range that starts at host id 0 (root)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compiletest.LoadText(t, tt.text)
			h := compiletest.RealHost()
			if tt.host != nil {
				tt.host(&h)
			}
			_, err := Compile(p, []string{"true"}, h)
			if err == nil {
				t.Fatalf("compiled without error; want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

// TestOptionalMissingSourceIsDropped checks that an optional bind whose
// source is missing gives no step and no error.
func TestOptionalMissingSourceIsDropped(t *testing.T) {
	p := compiletest.LoadText(t, "[[mount]]\ntype = \"bind\"\nsource = \"/no/such\"\noptional = true\n")
	pl, err := Compile(p, []string{"true"}, compiletest.RealHost())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pl.Steps {
		if b, ok := s.(plan.BindMount); ok && b.Source == "/no/such" {
			t.Fatalf("a missing optional source still has a step: %+v", b)
		}
	}
}

// TestSharedPIDDeniesPtrace checks checklist I2: sharing the host's pid
// namespace adds ptrace denials to the filter unless the profile decides.
func TestSharedPIDDeniesPtrace(t *testing.T) {
	s := denyHostPtrace(profile.Seccomp{Policy: profile.PolicyDefault}, profile.Origin{File: "x"})
	var names []string
	for _, r := range s.Syscalls {
		names = append(names, r.Name)
	}
	if !reflect.DeepEqual(names, []string{"process_vm_readv", "process_vm_writev", "ptrace"}) {
		t.Fatalf("rules: %v", names)
	}
	allow := profile.Seccomp{Policy: profile.PolicyDefault, Syscalls: []profile.SyscallRule{{Name: "ptrace", Action: profile.Action{Kind: profile.ActAllow}}}}
	for _, r := range denyHostPtrace(allow, profile.Origin{}).Syscalls {
		if r.Name == "ptrace" && r.Action.Kind != profile.ActAllow {
			t.Fatal("the profile's own ptrace rule was overridden")
		}
	}
}

func TestWithSubIDs(t *testing.T) {
	got := withSubIDs(1000, 1000, []hostview.SubIDRange{{Start: 100000, Count: 65536}})
	want := []profile.IDRange{
		{Inside: 1000, Outside: 1000, Count: 1},
		{Inside: 0, Outside: 100000, Count: 1000},
		{Inside: 1001, Outside: 101000, Count: 64536},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("withSubIDs = %+v\nwant %+v", got, want)
	}
	got = withSubIDs(0, 1000, []hostview.SubIDRange{{Start: 100000, Count: 10}})
	want = []profile.IDRange{{Inside: 0, Outside: 1000, Count: 1}, {Inside: 1, Outside: 100000, Count: 10}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("withSubIDs(root) = %+v\nwant %+v", got, want)
	}
}

// TestEnvironment checks the cleared environment: the default set and
// keep pass, everything else is gone, unset and set apply last.
func TestEnvironment(t *testing.T) {
	p := compiletest.LoadText(t, `[environment]
keep = ["DISPLAY", "XDG_*"]
unset = ["TERM"]
[environment.set]
FOO = "bar"
`)
	h := compiletest.GoldenHost()
	h.Env = []string{"PATH=/bin", "TERM=xterm", "DISPLAY=:0", "XDG_SESSION_TYPE=x11", "AWS_SECRET=x", "LC_TIME=C"}
	pl, err := Compile(p, []string{"true"}, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DISPLAY=:0", "FOO=bar", "HOME=/home/user", "LC_TIME=C", "PATH=/bin", "XDG_SESSION_TYPE=x11"}
	if !reflect.DeepEqual(pl.Env, want) {
		t.Fatalf("env = %q\nwant %q", pl.Env, want)
	}
}

// TestSubidsDenySetgroups checks P8 at compile time: the ranges newgidmap
// writes come with setgroups denied, as the single-id map does, so that no
// id mode lets the payload shed the caller's groups.
func TestSubidsDenySetgroups(t *testing.T) {
	h := compiletest.GoldenHost()
	h.SubUIDs = []hostview.SubIDRange{{Start: 100000, Count: 65536}}
	h.SubGIDs = h.SubUIDs
	for _, text := range []string{"[identity]\nsubids = true\n", "[identity]\nsubids = false\n"} {
		pl, err := Compile(compiletest.LoadText(t, text), []string{"true"}, h)
		if err != nil {
			t.Fatal(err)
		}
		if pl.IDs == nil || !pl.IDs.DenySetgroups {
			t.Errorf("%q: setgroups is not denied: %+v", text, pl.IDs)
		}
	}
}
