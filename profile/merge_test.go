package profile

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// builtins makes a built-in profile set from name -> text.
func builtins(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

func mustLoad(t *testing.T, name string, src Source) *Profile {
	t.Helper()
	p, err := Load(name, testEnv(), src)
	if err != nil {
		t.Fatalf("Load(%q) failed:\n%v", name, err)
	}
	return p
}

func loadErr(t *testing.T, name string, src Source) string {
	t.Helper()
	p, err := Load(name, testEnv(), src)
	if err == nil {
		t.Fatalf("Load(%q) succeeded, want an error; profile %+v", name, p)
	}
	return err.Error()
}

func targets(p *Profile) []string {
	var out []string
	for _, m := range p.Filesystem.Mounts {
		out = append(out, m.Target)
	}
	return out
}

const mergeBase = `description = "base"
programs = ["tool"]
hostname = "base"

[namespaces]
net = true
ipc = false

[[mount]]
type = "ro-bind"
source = "/usr"

[[mount]]
type = "tmpfs"
target = "/tmp"

[capabilities]
keep = ["CAP_NET_RAW", "chown"]

[seccomp.syscalls]
ptrace = "EPERM"
bpf = "EPERM"

[environment]
keep = ["LC_*"]

[environment.set]
A = "base"
B = "base"

[limits]
nofile = 1024
stack = "8M"

[process]
pass_fds = [3]
`

func TestMergeRules(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"base.toml": mergeBase,
		"child.toml": `extends = ["base"]
description = "child"

[namespaces]
net = false

[[mount]]
type = "dir"
target = "/data"

[capabilities]
keep = ["net_raw", "CAP_KILL"]

[seccomp.syscalls]
ptrace = "allow"
mount = "EPERM"

[environment]
keep = ["LC_*", "EDITOR"]

[environment.set]
B = "child"
C = "child"

[limits]
nofile = 4096

[process]
pass_fds = [4, 3]
`,
	})}
	p := mustLoad(t, "child", src)

	// Scalars: the last layer wins, and its place is remembered.
	if p.Description != "child" || p.Hostname != "base" || p.Namespaces.Net || p.Namespaces.IPC {
		t.Errorf("scalars: description %q hostname %q net %v ipc %v", p.Description, p.Hostname, p.Namespaces.Net, p.Namespaces.IPC)
	}
	if o := p.Origins["namespaces.net"]; o.File != "builtin:child.toml" || o.Line != 5 {
		t.Errorf("Origins[namespaces.net] = %+v, want child.toml line 5", o)
	}
	if o := p.Origins["namespaces.ipc"]; o.File != "builtin:base.toml" || o.Line != 7 {
		t.Errorf("Origins[namespaces.ipc] = %+v, want base.toml line 7", o)
	}
	// Lists: appended in layer order; string sets without duplicates.
	if got, want := targets(p), []string{"/usr", "/tmp", "/data"}; !slices.Equal(got, want) {
		t.Errorf("mount targets %v, want %v", got, want)
	}
	if got, want := p.Capabilities.Keep, []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"}; !slices.Equal(got, want) {
		t.Errorf("capabilities %v, want %v", got, want)
	}
	if got, want := p.Environment.Keep, []string{"LC_*", "EDITOR"}; !slices.Equal(got, want) {
		t.Errorf("environment.keep %v, want %v", got, want)
	}
	if got, want := p.Process.PassFDs, []int{3, 4}; !slices.Equal(got, want) {
		t.Errorf("pass_fds %v, want %v", got, want)
	}
	// Tables: merged key by key.
	rules := map[string]ActionKind{}
	for _, r := range p.Seccomp.Syscalls {
		rules[r.Name] = r.Action.Kind
	}
	if want := map[string]ActionKind{"ptrace": ActAllow, "bpf": ActErrno, "mount": ActErrno}; !reflect.DeepEqual(rules, want) {
		t.Errorf("syscalls %v, want %v", rules, want)
	}
	if got, want := p.Environment.Set, []EnvVar{{"A", "base"}, {"B", "child"}, {"C", "child"}}; !slices.Equal(got, want) {
		t.Errorf("environment.set %v, want %v", got, want)
	}
	if got := p.Limits; len(got) != 2 || got[0].Name != "nofile" || got[0].Soft != 4096 || got[1].Name != "stack" || got[1].Soft != 8<<20 {
		t.Errorf("limits %+v, want nofile 4096 from the child and stack 8M from the base", got)
	}
	if o := p.Origins["seccomp.syscalls.bpf"]; o.File != "builtin:base.toml" {
		t.Errorf("Origins[seccomp.syscalls.bpf] = %+v, want base.toml", o)
	}
	if o := p.Origins["seccomp.syscalls.ptrace"]; o.File != "builtin:child.toml" {
		t.Errorf("Origins[seccomp.syscalls.ptrace] = %+v, want child.toml", o)
	}
	if got, want := p.Files, []string{"builtin:base.toml", "builtin:child.toml"}; !slices.Equal(got, want) {
		t.Errorf("Files %v, want %v", got, want)
	}
}

func TestMergeReplaceAndRemove(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"base.toml": mergeBase,
		"child.toml": `extends = ["base"]

[merge]
replace = ["mount", "environment.set", "process.pass_fds"]
remove = { "capabilities.keep" = ["net_raw"], "seccomp.syscalls" = ["bpf"], programs = ["tool"], "environment.keep" = ["LC_*"] }

[[mount]]
type = "tmpfs"
target = "/tmp"
size = "1M"

[environment.set]
C = "child"
`,
		"remove-mount.toml": `extends = ["base"]
merge.remove.mount = ["/usr/"]
`,
	})}
	p := mustLoad(t, "child", src)
	if len(p.Filesystem.Mounts) != 1 || p.Filesystem.Mounts[0].Size != 1<<20 {
		t.Errorf("replaced mounts = %+v, want only the child's /tmp", p.Filesystem.Mounts)
	}
	if got, want := p.Capabilities.Keep, []string{"CAP_CHOWN"}; !slices.Equal(got, want) {
		t.Errorf("capabilities %v, want %v (net_raw removed by its short name)", got, want)
	}
	if len(p.Seccomp.Syscalls) != 1 || p.Seccomp.Syscalls[0].Name != "ptrace" {
		t.Errorf("syscalls %+v, want only ptrace", p.Seccomp.Syscalls)
	}
	if len(p.Programs) != 0 || len(p.Environment.Keep) != 0 || len(p.Process.PassFDs) != 0 {
		t.Errorf("programs %v keep %v pass_fds %v, want all emptied", p.Programs, p.Environment.Keep, p.Process.PassFDs)
	}
	if got, want := p.Environment.Set, []EnvVar{{"C", "child"}}; !slices.Equal(got, want) {
		t.Errorf("environment.set %v, want %v", got, want)
	}
	if _, ok := p.Origins["capabilities.keep.CAP_NET_RAW"]; ok {
		t.Errorf("a removed entry keeps its origin")
	}
	if p := mustLoad(t, "remove-mount", src); !slices.Equal(targets(p), []string{"/tmp"}) {
		t.Errorf("after removing /usr/ the targets are %v, want [/tmp]", targets(p))
	}
}

func TestExtendsOrderAndDiamond(t *testing.T) {
	mount := func(target string) string {
		return "[[mount]]\ntype = \"dir\"\ntarget = \"" + target + "\"\n"
	}
	src := Source{Builtin: builtins(map[string]string{
		"d.toml": "hostname = \"d\"\n" + mount("/d"),
		"b.toml": "extends = [\"d\"]\nhostname = \"b\"\n" + mount("/b"),
		"c.toml": "extends = [\"d\"]\ndescription = \"c\"\n" + mount("/c"),
		"a.toml": "extends = [\"b\", \"c\"]\n" + mount("/a"),
	})}
	p := mustLoad(t, "a", src)
	// d is reached twice but merged once, first: applying it again after
	// b would undo b's hostname, and its mount would clash with itself.
	if got, want := p.Files, []string{"builtin:d.toml", "builtin:b.toml", "builtin:c.toml", "builtin:a.toml"}; !slices.Equal(got, want) {
		t.Errorf("Files %v, want %v", got, want)
	}
	if got, want := targets(p), []string{"/d", "/b", "/c", "/a"}; !slices.Equal(got, want) {
		t.Errorf("targets %v, want %v", got, want)
	}
	if p.Hostname != "b" || p.Description != "c" {
		t.Errorf("hostname %q description %q, want b and c", p.Hostname, p.Description)
	}
}

func TestExtendsCycleAndDepth(t *testing.T) {
	files := map[string]string{
		"a.toml":    `extends = ["b"]`,
		"b.toml":    `extends = ["c"]`,
		"c.toml":    `extends = ["a"]`,
		"self.toml": `extends = ["./self.toml"]`,
	}
	for i := 0; i < 20; i++ {
		files["deep"+string(rune('a'+i))+".toml"] = `extends = ["deep` + string(rune('a'+i+1)) + `"]`
	}
	files["deep"+string(rune('a'+20))+".toml"] = ""
	src := Source{Builtin: builtins(files)}

	msg := loadErr(t, "a", src)
	if want := "builtin:c.toml:1:12: extends[0]: extends cycle: builtin:a.toml -> builtin:b.toml -> builtin:c.toml -> builtin:a.toml; remove one of these extends"; msg != want {
		t.Errorf("cycle error\n got: %s\nwant: %s", msg, want)
	}
	if msg := loadErr(t, "self", src); !strings.Contains(msg, "extends cycle: builtin:self.toml -> builtin:self.toml") {
		t.Errorf("self cycle error: %s", msg)
	}
	msg = loadErr(t, "deepa", src)
	if !strings.Contains(msg, "extends chain is deeper than 16 files: builtin:deepa.toml -> ") || strings.Count(msg, "->") != 16 {
		t.Errorf("depth error: %s", msg)
	}
	// 16 files in a chain are fine.
	if _, err := Load("deepf", testEnv(), src); err != nil {
		t.Errorf("a chain of 16 files: %v", err)
	}
}

// writeFile writes a file under dir, creating parents.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSameNameContinuesTheSearch(t *testing.T) {
	user, system := t.TempDir(), t.TempDir()
	writeFile(t, user, "app.toml", "extends = [\"app\"]\nhostname = \"user\"\n")
	writeFile(t, system, "app.toml", "extends = [\"app\"]\ndescription = \"system\"\nhostname = \"system\"\n")
	src := Source{Dirs: []string{user, system}, Builtin: builtins(map[string]string{
		"app.toml": "description = \"builtin\"\nprograms = [\"app\"]\n",
	})}
	p := mustLoad(t, "app", src)
	want := []string{"builtin:app.toml", filepath.Join(system, "app.toml"), filepath.Join(user, "app.toml")}
	if !slices.Equal(p.Files, want) {
		t.Errorf("Files %v, want %v", p.Files, want)
	}
	if p.Hostname != "user" || p.Description != "system" || !slices.Equal(p.Programs, []string{"app"}) {
		t.Errorf("hostname %q description %q programs %v", p.Hostname, p.Description, p.Programs)
	}
	// The same file loaded by path from its search directory follows the
	// same rule.
	if p := mustLoad(t, filepath.Join(user, "app.toml"), src); len(p.Files) != 3 {
		t.Errorf("loaded by path: Files %v", p.Files)
	}

	// Nothing below: an error that explains the rule, not a cycle.
	lone := t.TempDir()
	writeFile(t, lone, "solo.toml", `extends = ["solo"]`)
	msg := loadErr(t, "solo", Source{Dirs: []string{lone}})
	if !strings.Contains(msg, `no profile named "solo" after`) || !strings.Contains(msg, "continues the search in the directories after its own") {
		t.Errorf("same name with nothing below: %s", msg)
	}
}

func TestExtendsByPath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "lib/base.toml", `[[mount]]
type = "ro-bind"
source = "${PROFILE_DIR}/data"
`)
	writeFile(t, dir, "other/abs.toml", "description = \"abs\"\n")
	app := writeFile(t, dir, "app.toml", `extends = ["lib/base.toml", "`+filepath.Join(dir, "other/abs.toml")+`"]
[[mount]]
type = "ro-bind"
source = "${PROFILE_DIR}/own"
`)
	p := mustLoad(t, app, Source{})
	// ${PROFILE_DIR} is the directory of the file the string is in.
	if got, want := targets(p), []string{filepath.Join(dir, "lib/data"), filepath.Join(dir, "own")}; !slices.Equal(got, want) {
		t.Errorf("targets %v, want %v", got, want)
	}
	if p.Description != "abs" {
		t.Errorf("description %q, want the absolute-path layer's", p.Description)
	}
	if got, want := p.Files[0], filepath.Join(dir, "lib/base.toml"); got != want {
		t.Errorf("Files[0] = %q, want %q", got, want)
	}
}

func TestBuiltinExtendsByPath(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"app.toml":        `extends = ["./parts/net.toml"]`,
		"parts/net.toml":  "[namespaces]\nnet = false\n",
		"escape.toml":     `extends = ["../outside.toml"]`,
		"absolute.toml":   `extends = ["/etc/passwd.toml"]`,
		"parts/pdir.toml": "[filesystem]\ncwd = \"${PROFILE_DIR}/x\"\n",
	})}
	p := mustLoad(t, "app", src)
	if p.Namespaces.Net || !slices.Equal(p.Files, []string{"builtin:parts/net.toml", "builtin:app.toml"}) {
		t.Errorf("net %v files %v", p.Namespaces.Net, p.Files)
	}
	for _, name := range []string{"escape", "absolute"} {
		if msg := loadErr(t, name, src); !strings.Contains(msg, "a built-in profile can only extend names or paths inside the built-in profiles") {
			t.Errorf("%s: %s", name, msg)
		}
	}
}

func TestErrorsInEveryLayerAtOnce(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"base.toml":  "[namespaces]\nnett = true\n",
		"child.toml": "extends = [\"base\"]\n[process]\ninit = \"yes\"\n",
	})}
	msg := loadErr(t, "child", src)
	want := `builtin:base.toml:2:1: namespaces.nett: unknown key "nett" in [namespaces]; did you mean "net"?
builtin:child.toml:3:1: process.init: must be true or false, not a string`
	if msg != want {
		t.Errorf("got:\n%s\nwant:\n%s", msg, want)
	}
}

// TestLaterLayerFixesEarlier checks that rules spanning several values
// are checked on the merged profile, not on each file.
func TestLaterLayerFixesEarlier(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"base.toml":   "hostname = \"box\"\n[namespaces]\nuts = false\n",
		"fixed.toml":  "extends = [\"base\"]\n[namespaces]\nuts = true\n",
		"broken.toml": "extends = [\"fixed\"]\n[namespaces]\nuts = false\n",
	})}
	if p := mustLoad(t, "fixed", src); p.Hostname != "box" {
		t.Errorf("hostname %q", p.Hostname)
	}
	msg := loadErr(t, "broken", src)
	if want := "builtin:base.toml:1:1: hostname: hostname needs a UTS namespace (it is false at builtin:broken.toml:3:1): set namespaces.uts = true, or remove hostname"; msg != want {
		t.Errorf("got:\n%s\nwant:\n%s", msg, want)
	}
}
