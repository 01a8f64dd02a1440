package launcher_test

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sandbox/launcher/internal/testutil"
	"sandbox/plan"
)

var (
	caseIDMaps = defineCase("id-maps", func(b *testutil.Builder, args []string) {
		b.Argv = testutil.Shell("cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; id -g")
	})
	caseSubids = defineCase("subids", func(b *testutil.Builder, args []string) {
		ranges := []plan.IDRange{{Inside: 0, Outside: uint32(os.Geteuid()), Count: 1}, {Inside: 1, Outside: 200000, Count: 65536}}
		b.IDs = &plan.IDMapping{UIDMap: ranges, GIDMap: ranges, Helper: true}
		b.UID, b.GID = 0, 0
		b.IDs.DenySetgroups = true
		b.Argv = testutil.Shell("cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u")
	})
	caseForceUserns = defineCase("userns", func(b *testutil.Builder, args []string) {
		b.UserNS = true
		b.Argv = []string{"true"}
	})
	caseSetIDs = defineCase("set-ids", func(b *testutil.Builder, args []string) {
		b.Privileges = []plan.Step{
			plan.SetIDs{From: testutil.At(90), UID: 1000, GID: 1000, Groups: []uint32{}},
			plan.Capabilities{From: testutil.At(91)},
			plan.NoNewPrivs{From: testutil.At(92)},
		}
		b.Argv = testutil.Shell("id; grep -E '^(Cap|Groups)' /proc/self/status")
	})
	caseTimeNS = defineCase("time-ns", func(b *testutil.Builder, args []string) {
		b.Init = args[0] == "init"
		b.Argv = []string{"readlink", "/proc/self/ns/time"}
	})
)

// fieldsOf joins the whitespace-separated fields of every line.
func fieldsOf(s string) string { return strings.Join(strings.Fields(s), " ") }

// I8: a root launcher applies range maps itself while the child waits.
func TestRuntimeRootAppliesRangeMaps(t *testing.T) {
	testutil.RequireRoot(t)
	b := testutil.New()
	runtimeCases[caseIDMaps](b, nil)
	p := b.Plan()
	p.CloneFlags |= syscall.CLONE_NEWUSER
	p.IDs = &plan.IDMapping{
		UIDMap: []plan.IDRange{{Inside: 0, Outside: 100000, Count: 65536}},
		GIDMap: []plan.IDRange{{Inside: 0, Outside: 100000, Count: 65536}},
		At:     plan.Origin{File: "test.toml", Line: 3, Col: 1},
	}
	r, err := testutil.RunPlan(t, p)
	if err != nil || r.Code != 0 {
		t.Fatalf("%v %v", r, err)
	}
	if got := fieldsOf(r.Stdout); got != "0 100000 65536 0 100000 65536 allow 0 0" {
		t.Fatalf("maps inside: %q", got)
	}
}

// I8: the rootless single-id map, written by the sandbox itself, with
// setgroups denied.
func TestRuntimeRootlessMapsOwnID(t *testing.T) {
	testutil.RequireRoot(t)
	r := runCase(t, runtimeMode{rootless: true}, caseIDMaps)
	if got := fieldsOf(r.Stdout); r.Code != 0 || got != "65534 65534 1 65534 65534 1 deny 65534 65534" {
		t.Fatalf("maps inside: %v", r)
	}
}

// I8: ranges granted in /etc/subuid are mapped by newuidmap and
// newgidmap, with setgroups denied first (P8). The grant is made in a private mount namespace, so the
// host's files stay untouched.
func TestRuntimeSubidsThroughHelpers(t *testing.T) {
	testutil.RequireRoot(t)
	for _, tool := range []string{"newuidmap", "newgidmap", "unshare", "setpriv"} {
		_, err := exec.LookPath(tool)
		testutil.RequireOrSkip(t, err == nil, tool+" is needed (packages uidmap and util-linux)")
	}
	bin := testutil.PublicBinary(t)
	dir := hostDir(t)
	for _, f := range []string{"subuid", "subgid"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("nobody:200000:65536\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin ` +
		testutil.ScenarioEnv + `=case "$2" subids`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", dir, bin)
	cmd.Dir = "/"
	r := testutil.Wait(t, cmd)
	want := "0 65534 1 1 200000 65536 0 65534 1 1 200000 65536 deny 0"
	if got := fieldsOf(r.Stdout); r.Code != 0 || got != want {
		t.Fatalf("want %q, got %v", want, r)
	}
}

// The most common failure: user namespaces disabled. The error names the
// setting and the command that lifts it. The limit is set to 0 in a user
// namespace of the test's own, so the host is untouched.
func TestRuntimeExplainsDisabledUserNamespaces(t *testing.T) {
	testutil.RequireRoot(t)
	_, err := exec.LookPath("unshare")
	testutil.RequireOrSkip(t, err == nil, "unshare (util-linux) is needed to limit user namespaces privately")
	bin := testutil.PublicBinary(t)
	script := `echo 0 > /proc/sys/user/max_user_namespaces &&
		exec env -i PATH=/usr/bin:/bin ` + testutil.ScenarioEnv + `=case "$1" userns`
	cmd := exec.Command("unshare", "--user", "--map-root-user", "sh", "-c", script, "sh", bin)
	cmd.Dir = "/"
	r := testutil.Wait(t, cmd)
	for _, want := range []string{"sandbox: clone: cannot create", "user.max_user_namespaces = 0",
		"sudo sysctl -w user.max_user_namespaces="} {
		if r.Code != 125 || !strings.Contains(r.Stderr, want) {
			t.Errorf("want exit 125 and %q, got %v", want, r)
		}
	}
}

// P4: root mode switches to the payload's ids and drops every group.
func TestRuntimeSetIDs(t *testing.T) {
	testutil.RequireRoot(t)
	r := runCase(t, runtimeMode{name: "root"}, caseSetIDs)
	out := r.Stdout
	if r.Code != 0 || !strings.Contains(out, "uid=1000 gid=1000 groups=1000") {
		t.Fatalf("ids: %v", r)
	}
	for _, set := range capSets {
		if v := statusField(t, out, set, 16); v != 0 {
			t.Errorf("%s = %#x after the id change, want 0", set, v)
		}
	}
}

// A new time namespace holds the payload, with or without the init.
func TestRuntimeTimeNamespace(t *testing.T) {
	testutil.RequireRoot(t)
	host, err := os.Readlink("/proc/self/ns/time")
	testutil.RequireOrSkip(t, err == nil, "the kernel has no time namespaces")
	for _, userns := range []bool{false, true} {
		for _, init := range []string{"", "init"} {
			p, err := buildCase(userns, caseTimeNS, []string{init})
			if err != nil {
				t.Fatal(err)
			}
			p.TimeNamespace = true
			r, err := testutil.RunPlan(t, p)
			if err != nil || r.Code != 0 || !strings.HasPrefix(r.Stdout, "time:[") || strings.TrimSpace(r.Stdout) == host {
				t.Errorf("userns=%v %s: want a time namespace other than %s, got %v %v", userns, init, host, r, err)
			}
		}
	}
}

// bpf assembles classic BPF instructions.
func bpf(ins ...[4]uint32) []byte {
	out := make([]byte, 0, 8*len(ins))
	for _, i := range ins {
		out = binary.LittleEndian.AppendUint16(out, uint16(i[0]))
		out = append(out, byte(i[1]), byte(i[2]))
		out = binary.LittleEndian.AppendUint32(out, i[3])
	}
	return out
}

// denyMkdir returns EPERM for mkdir and mkdirat on x86_64 and kills any
// other architecture.
var denyMkdir = bpf(
	[4]uint32{0x20, 0, 0, 4},          // ld [arch]
	[4]uint32{0x15, 0, 5, 0xc000003e}, // jeq AUDIT_ARCH_X86_64
	[4]uint32{0x20, 0, 0, 0},          // ld [nr]
	[4]uint32{0x15, 2, 0, 83},         // jeq mkdir
	[4]uint32{0x15, 1, 0, 258},        // jeq mkdirat
	[4]uint32{0x06, 0, 0, 0x7fff0000}, // ret ALLOW
	[4]uint32{0x06, 0, 0, 0x00050001}, // ret ERRNO(EPERM)
	[4]uint32{0x06, 0, 0, 0x80000000}, // ret KILL_PROCESS
)

var caseSeccomp = defineCase("seccomp", func(b *testutil.Builder, args []string) {
	b.Init = args[1] == "init"
	b.Privileges = []plan.Step{plan.Capabilities{From: testutil.At(95)}}
	if args[0] == "nnp" {
		b.Privileges = append(b.Privileges, plan.NoNewPrivs{From: testutil.At(96)})
	}
	b.Privileges = append(b.Privileges, plan.Seccomp{From: testutil.At(97), Program: denyMkdir})
	b.Argv = testutil.Shell("mkdir /tmp/x; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status")
})

// The filter is loaded and applies to the payload; without no_new_privs it
// is loaded while the sandbox still may (before capabilities go).
func TestRuntimeLoadsSeccomp(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 || syscall.SYS_MKDIR != 83 {
		testutil.RequireOrSkip(t, false, "the hand-assembled filter is for x86_64")
	}
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		for _, nnp := range []string{"nnp", "no-nnp"} {
			for _, init := range []string{"", "init"} {
				r := runCase(t, m, caseSeccomp, nnp, init)
				wantNNP := map[string]string{"nnp": "1", "no-nnp": "0"}[nnp]
				if r.Code != 0 || !strings.Contains(r.Stderr, "Operation not permitted") ||
					fieldsOf(r.Stdout) != "NoNewPrivs: "+wantNNP+" Seccomp: 2" {
					t.Errorf("%s %s: want mkdir denied by the filter, got %v", nnp, init, r)
				}
			}
		}
	})
}
