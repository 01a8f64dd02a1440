package export

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
	"sandbox/profiles"
)

// testPlan compiles a shipped profile for a fixed rootless caller, leniently
// (no display or bus on a build machine).
func testPlan(t *testing.T, name string) *plan.Plan {
	t.Helper()
	home := t.TempDir()
	cwd := filepath.Join(home, "src")
	if err := os.Mkdir(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	env := profile.Env{UID: 1000, GID: 1000, User: "user", Home: home, Cwd: cwd,
		Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "PATH": "/usr/bin:/bin"}}
	p, err := profile.Load(name, env, profile.Source{Builtin: profiles.FS})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	host := hostview.Host{UID: 1000, GID: 1000, EUID: 1000, User: "user", Home: home, Cwd: cwd,
		Env: []string{"PATH=/usr/bin:/bin", "TERM=xterm", "LANG=C.UTF-8"}, Lenient: true}
	pl, err := compile.Compile(p, []string{"/bin/true"}, host)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return pl
}

var exportProfiles = []string{"minimal", "jq", "curl", "build", "agent", "firefox"}

// TestOCIConfigMatchesSchema validates every exported config.json against
// the runtime specification's own JSON schema (testdata, vendored).
func TestOCIConfigMatchesSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	dir := filepath.Join("testdata", "runtime-spec-schema")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource("file:///schema/"+filepath.Base(f), doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("file:///schema/config-schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	for _, name := range exportProfiles {
		t.Run(name, func(t *testing.T) {
			b, err := OCI(testPlan(t, name))
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			if err := WriteOCI(out, b); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(out, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("config.json of %s does not match the runtime-spec schema: %v", name, err)
			}
		})
	}
}

// TestOCISeccompCarriesPolicy checks the rules that matter are in the OCI
// seccomp JSON with their argument masks and errnos: the TIOCSTI guard on
// the low 32 bits of ioctl's request, clone3's ENOSYS, the architecture.
func TestOCISeccompCarriesPolicy(t *testing.T) {
	b, err := OCI(testPlan(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	sc := b.Spec.Linux.Seccomp
	if sc == nil || len(sc.Architectures) != 1 || sc.Architectures[0] != "SCMP_ARCH_X86_64" {
		t.Fatalf("seccomp %+v: want x86_64 only", sc)
	}
	if sc.DefaultErrnoRet == nil || *sc.DefaultErrnoRet != 38 {
		t.Errorf("default errno %v, want ENOSYS (38)", sc.DefaultErrnoRet)
	}
	// clone3 gets the default ENOSYS: no rule may allow it.
	var tiocsti, clone3 bool
	seen := map[string]int{}
	for _, r := range sc.Syscalls {
		for _, n := range r.Names {
			if len(r.Args) == 0 {
				seen[n]++
			}
			if n == "clone3" && r.Action == "SCMP_ACT_ALLOW" {
				clone3 = true
			}
		}
		if r.Names[0] == "ioctl" && r.Action == "SCMP_ACT_ERRNO" && len(r.Args) == 1 &&
			r.Args[0].Index == 1 && r.Args[0].Value == 0xffffffff && r.Args[0].ValueTwo == 0x5412 && r.Args[0].Op == "SCMP_CMP_MASKED_EQ" {
			tiocsti = true
		}
	}
	if !tiocsti || clone3 {
		t.Errorf("TIOCSTI rule %v (want true), clone3 allowed %v (want false)", tiocsti, clone3)
	}
	for n, k := range seen {
		if k > 1 {
			t.Errorf("%s has %d unconditional rules, want one", n, k)
		}
	}
	if seen["ioctl"] != 0 {
		t.Errorf("ioctl has an unconditional rule: it would override the TIOCSTI guard")
	}
}

// TestExportGapsNameDesktop checks what a format cannot carry is listed:
// firefox's D-Bus proxy is the launcher's, not the runtime's.
func TestExportGapsNameDesktop(t *testing.T) {
	pl := testPlan(t, "firefox")
	b, err := OCI(pl)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, g := range b.Gaps {
		keys = append(keys, g.Key)
	}
	if pl.DBusProxy != nil && !strings.Contains(strings.Join(keys, " "), "desktop.dbus") {
		t.Errorf("gaps %q: want desktop.dbus", keys)
	}
	js, _ := json.Marshal(b.Gaps)
	if !json.Valid(js) {
		t.Fatal("gaps do not marshal")
	}
}

// TestSystemdDropIn checks the drop-in's main properties for minimal.
func TestSystemdDropIn(t *testing.T) {
	text, _, err := Systemd(testPlan(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PrivateNetwork=yes", "PrivateUsers=yes", "CapabilityBoundingSet=\n", "NoNewPrivileges=yes",
		"SystemCallErrorNumber=ENOSYS", "BindReadOnlyPaths=/usr\n", "RestrictNamespaces=yes", "SystemCallArchitectures=native"} {
		if !strings.Contains(text, want) {
			t.Errorf("drop-in lacks %q:\n%s", want, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "SystemCallFilter=") && strings.Contains(" "+line+" ", " mount ") {
			t.Errorf("mount is allowed: %s", line)
		}
	}
}

// TestWriteOCINeverFollowsSymlinks: a plan's absolute symlink in rootfs
// must not make the export create a mount point on the host through it,
// and an existing non-empty directory is refused.
func TestWriteOCINeverFollowsSymlinks(t *testing.T) {
	outside := t.TempDir()
	b, err := OCI(testPlan(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	b.Root = append(b.Root, RootEntry{Path: "/opt", LinkTo: outside})
	b.Spec.Mounts = append(b.Spec.Mounts, bindMount("/usr/share", "/opt/escape", true, false))
	// Control: a mount point not behind a symlink is created.
	b.Spec.Mounts = append(b.Spec.Mounts, bindMount("/usr/share", "/srv/inside", true, false))
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := WriteOCI(dir, b); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(outside, "escape")); err == nil {
		t.Errorf("the export created %s/escape on the host through the rootfs symlink", outside)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "rootfs", "srv", "inside")); err != nil || !fi.IsDir() {
		t.Errorf("the control mount point was not created: %v", err)
	}
	b2, _ := OCI(testPlan(t, "minimal"))
	if err := WriteOCI(dir, b2); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("writing into a non-empty directory: %v, want a refusal", err)
	}
}
