package profile

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestCommandLineLayer(t *testing.T) {
	src := Source{Builtin: fstest.MapFS{"t.toml": {Data: []byte(`
[[mount]]
type = "tmpfs"
target = "/data"
[[mount]]
type = "tmpfs"
target = "/data/sub"
[environment]
keep = ["A"]
`)}}}
	cl := &CommandLine{Cwd: "/work", Flags: []Flag{
		{"--bind", "rel/dir:/data"}, {"--ro-bind", "/x$HOME"}, {"--env", "B"}, {"--env", `C=q"$v`}, {"--env", "D"}, {"--env", "E=1"}, {"--env", "E=2"}, {"--env", "D"}, {"--net", "host"},
	}}
	p, err := LoadWith("t", testEnv(), src, cl)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Filesystem.Mounts
	// The flag's bind takes the tmpfs's place: /data/sub stays on top.
	if len(m) != 3 || m[0].Type != MountBind || m[0].Source != "/work/rel/dir" || m[0].Target != "/data" || m[1].Target != "/data/sub" {
		t.Fatalf("mounts = %+v", m)
	}
	if m[2].Type != MountROBind || m[2].Source != "/x$HOME" || m[0].At.File != CommandLineFile {
		t.Errorf("ro-bind = %+v", m[2])
	}
	if keep := strings.Join(p.Environment.Keep, ","); !strings.Contains(keep, "B") || !strings.Contains(keep, "D") || p.Environment.Set[0].Value != `q"$v` {
		t.Errorf("environment = %+v", p.Environment)
	}
	if e := p.Environment.Set; len(e) != 2 || e[1].Name != "E" || e[1].Value != "2" {
		t.Errorf("set = %+v, want E=2 last", e)
	}
	if p.Network.Mode != NetworkHost || p.Namespaces.Net {
		t.Errorf("network = %v, namespaces.net = %v", p.Network.Mode, p.Namespaces.Net)
	}
	_, err = LoadWith("t", testEnv(), src, &CommandLine{Flags: []Flag{{"--env", "A=1"}, {"--env", "OK"}, {"--env", "NO SPACE"}, {"--net", "sideways"}}})
	if err == nil || !strings.Contains(err.Error(), "sandbox: --net sideways: ") || !strings.Contains(err.Error(), "sandbox: --env NO SPACE: ") ||
		strings.Contains(err.Error(), "--env OK") || strings.Contains(err.Error(), "command line:") {
		t.Fatalf("err = %v, want errors naming --net sideways and --env NO SPACE only", err)
	}
}
