package profile

import (
	"fmt"
	"reflect"
	"testing"
	"testing/fstest"
)

// loadText loads one profile given as text, as the built-in "t".
func loadText(t *testing.T, text string) (*Profile, error) {
	t.Helper()
	return Load("t", testEnv(), Source{Builtin: fstest.MapFS{"t.toml": {Data: []byte(text)}}})
}

func mustLoadText(t *testing.T, text string) *Profile {
	t.Helper()
	p, err := loadText(t, text)
	if err != nil {
		t.Fatalf("Load failed:\n%v", err)
	}
	return p
}

func TestDefaultsOfAnEmptyProfile(t *testing.T) {
	p := mustLoadText(t, "")
	want := Namespaces{User: true, Mount: true, PID: true, Net: true, IPC: true, UTS: true, Cgroup: true, Time: false}
	if p.Namespaces != want {
		t.Errorf("namespaces = %+v, want %+v", p.Namespaces, want)
	}
	if got := (Process{DieWithParent: true, Init: true, NoNewPrivs: true}); !reflect.DeepEqual(p.Process, got) {
		t.Errorf("process = %+v, want %+v", p.Process, got)
	}
	if p.Seccomp.Policy != PolicyDefault || p.Seccomp.DefaultAction != (Action{Kind: ActErrno, Errno: 38, ErrnoName: "ENOSYS"}) {
		t.Errorf("seccomp = %+v, want the default policy with ENOSYS", p.Seccomp)
	}
	if p.Identity.UID != nil || p.Identity.GID != nil || p.Identity.Subids {
		t.Errorf("identity = %+v, want the caller's ids", p.Identity)
	}
	if len(p.Origins) != 0 {
		t.Errorf("origins of an empty profile = %v, want none", p.Origins)
	}
	if !reflect.DeepEqual(p.Files, []string{"builtin:t.toml"}) || p.Name != "t" {
		t.Errorf("name %q files %v", p.Name, p.Files)
	}
	if p.Capabilities.Keep == nil || p.Filesystem.Mounts == nil || p.Environment.Set == nil {
		t.Errorf("empty lists must be empty, not nil, so JSON shows []")
	}
}

const fullProfile = `description = "everything"
programs = ["app", "app-bin"]
hostname = "box"
domainname = "example.org"

[namespaces]
net = false
time = true

[identity]
uid = 0
gid = 0

[filesystem]
cwd = "${HOME}/work"

[[mount]]
type = "ro-bind"
source = "/usr/"

[[mount]]
type = "tmpfs"
target = "/tmp"
size = "64M"
mode = 0o1777

[[mount]]
type = "file"
target = "/etc/motd"
content = """
hello ${USER}, it costs $$5
"""

[[mount]]
type = "symlink"
target = "/bin"
link_to = "usr/bin"

[[mount]]
type = "overlay"
target = "/opt"
lower = ["/opt", "${XDG_DATA_HOME}/opt"]
upper = "${XDG_STATE_HOME}/opt-upper"
work = "${XDG_STATE_HOME}/opt-work"
optional = true

[[mount]]
type = "dir"
target = "/data"

[[mount]]
type = "remount-ro"
target = "/"

[capabilities]
keep = ["net_raw", "CAP_NET_BIND_SERVICE", "Cap_Net_Raw"]
ambient = true

[seccomp]
policy = "allow-list"
default_action = "EPERM"

[seccomp.syscalls]
read = "allow"
ptrace = "kill"
bpf = "ENOSYS"

[environment]
keep = ["LC_*", "EDITOR"]
unset = ["TZ"]

[environment.set]
RUNTIME = "${XDG_RUNTIME_DIR}/app"
ALPHA = "a"

[limits]
nofile = { soft = 1024, hard = 4096 }
stack = "8M"
core = 0
as = "unlimited"

[process]
new_session = true
init = true
nested_user_namespaces = true
pass_fds = [5, 3]
`

func TestFullProfile(t *testing.T) {
	p := mustLoadText(t, fullProfile)
	u32 := func(v uint32) *uint32 { return &v }
	s := func(v string) *string { return &v }
	want := &Profile{
		Name:        "t",
		Files:       []string{"builtin:t.toml"},
		Description: "everything",
		Programs:    []string{"app", "app-bin"},
		Namespaces:  Namespaces{User: true, Mount: true, PID: true, Net: false, IPC: true, UTS: true, Cgroup: true, Time: true},
		Identity:    Identity{UID: u32(0), GID: u32(0)},
		Hostname:    "box",
		Domainname:  "example.org",
		Filesystem: Filesystem{
			Cwd:       "/home/alice/work",
			CwdNotice: true,
			Unprotect: []string{},
			Mounts: []Mount{
				{Type: MountROBind, Source: "/usr", Target: "/usr", At: Origin{"builtin:t.toml", 17, 1}},
				{Type: MountTmpfs, Target: "/tmp", Size: 64 << 20, Mode: u32(0o1777), At: Origin{"builtin:t.toml", 21, 1}},
				{Type: MountFile, Target: "/etc/motd", Mode: u32(0o644), Content: s("hello alice, it costs $5\n"), At: Origin{"builtin:t.toml", 27, 1}},
				{Type: MountSymlink, Target: "/bin", LinkTo: "usr/bin", At: Origin{"builtin:t.toml", 34, 1}},
				{Type: MountOverlay, Target: "/opt", Optional: true,
					Lower: []string{"/opt", "/home/alice/.local/share/opt"},
					Upper: "/home/alice/.local/state/opt-upper", Work: "/home/alice/.local/state/opt-work",
					At: Origin{"builtin:t.toml", 39, 1}},
				{Type: MountDir, Target: "/data", Mode: u32(0o755), At: Origin{"builtin:t.toml", 47, 1}},
				{Type: MountRemountRO, Target: "/", At: Origin{"builtin:t.toml", 51, 1}},
			},
		},
		Capabilities: Capabilities{Keep: []string{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}, Ambient: true},
		Seccomp: Seccomp{
			Policy:        PolicyAllowList,
			DefaultAction: Action{Kind: ActErrno, Errno: 1, ErrnoName: "EPERM"},
			Syscalls: []SyscallRule{
				{Name: "bpf", Action: Action{Kind: ActErrno, Errno: 38, ErrnoName: "ENOSYS"}, At: Origin{"builtin:t.toml", 66, 1}},
				{Name: "ptrace", Action: Action{Kind: ActKill}, At: Origin{"builtin:t.toml", 65, 1}},
				{Name: "read", Action: Action{Kind: ActAllow}, At: Origin{"builtin:t.toml", 64, 1}},
			},
		},
		Environment: Environment{
			Keep:  []string{"LC_*", "EDITOR"},
			Unset: []string{"TZ"},
			Set:   []EnvVar{{"ALPHA", "a"}, {"RUNTIME", "/run/user/1000/app"}},
		},
		Limits: []Limit{
			{Name: "as", Soft: Unlimited, Hard: Unlimited, At: Origin{"builtin:t.toml", 80, 1}},
			{Name: "core", Soft: 0, Hard: 0, At: Origin{"builtin:t.toml", 79, 1}},
			{Name: "nofile", Soft: 1024, Hard: 4096, At: Origin{"builtin:t.toml", 77, 1}},
			{Name: "stack", Soft: 8 << 20, Hard: 8 << 20, At: Origin{"builtin:t.toml", 78, 1}},
		},
		Process: Process{DieWithParent: true, NewSession: true, Init: true, NestedUserNamespaces: true, NoNewPrivs: true, PassFDs: []int{3, 5}},
		DBus: DBus{
			Session: DBusBus{Talk: []string{}, Own: []string{}, See: []string{}, Call: []string{}, Broadcast: []string{}},
			System:  DBusBus{Talk: []string{}, Own: []string{}, See: []string{}, Call: []string{}, Broadcast: []string{}},
		},
		// namespaces.net = false alone means the host network.
		Network:  Network{Mode: NetworkHost, Backend: BackendAuto, Forwards: []PortForward{}},
		Landlock: Landlock{Enabled: true, ReadOnly: []string{}, ReadWrite: []string{}},
		Test:     SmokeTest{Command: []string{}, Timeout: 60, Requires: []string{}, Setup: []string{}, Check: []string{}},
	}
	origins := p.Origins
	p.Origins = nil
	// Each entry is named by its index in its file (one file here).
	for i := range p.Filesystem.Mounts {
		if want := fmt.Sprintf("mount[%d]", i); p.Filesystem.Mounts[i].Key != want {
			t.Errorf("mount %d: Key %q, want %q", i, p.Filesystem.Mounts[i].Key, want)
		}
		p.Filesystem.Mounts[i].Key = ""
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("profile differs\n got: %+v\nwant: %+v", p, want)
		for i := range min(len(p.Filesystem.Mounts), len(want.Filesystem.Mounts)) {
			if !reflect.DeepEqual(p.Filesystem.Mounts[i], want.Filesystem.Mounts[i]) {
				t.Errorf("mount %d\n got: %+v\nwant: %+v", i, p.Filesystem.Mounts[i], want.Filesystem.Mounts[i])
			}
		}
	}
	for key, line := range map[string]int{
		"description": 1, "hostname": 3, "namespaces.net": 7, "namespaces.time": 8,
		"identity.uid": 11, "filesystem.cwd": 15, "mount[0]": 17, "mount[6]": 51,
		"capabilities.keep.CAP_NET_RAW": 56, "capabilities.ambient": 57,
		"seccomp.policy": 60, "seccomp.syscalls.ptrace": 65,
		"environment.keep.LC_*": 69, "environment.set.RUNTIME": 73,
		"limits.nofile": 77, "process.init": 84, "process.pass_fds.3": 86, "programs.app": 2,
		"network.mode": 7,
	} {
		o, ok := origins[key]
		if !ok || o.Line != line || o.File != "builtin:t.toml" {
			t.Errorf("Origins[%q] = %+v (present %v), want line %d", key, o, ok, line)
		}
	}
	if _, ok := origins["namespaces.user"]; ok {
		t.Errorf("Origins has namespaces.user, which no file set")
	}
}

// TestShippedProfilesLoad loads the built-in profiles the binary embeds:
// a shipped profile that does not load is a release blocker.
func TestShippedProfilesLoad(t *testing.T) {
	src := Source{Builtin: shippedProfiles(t)}
	entries := List(src)
	if len(entries) == 0 {
		t.Fatal("no shipped profiles found")
	}
	for _, e := range entries {
		if e.Err != nil {
			t.Errorf("shipped profile %s does not load:\n%v", e.Name, e.Err)
			continue
		}
		if _, err := Load(e.Name, testEnv(), src); err != nil {
			t.Errorf("shipped profile %s does not load for the test caller:\n%v", e.Name, err)
		}
	}
}
