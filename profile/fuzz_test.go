package profile

import (
	"errors"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLoad feeds arbitrary text to the whole loader (parse, locate,
// decode, merge, validate). It must never panic, every error about a key
// must carry a position inside the text, no report may contain a raw
// control character, and a profile that loads must satisfy the
// invariants the launcher relies on.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(fullProfile))
	f.Add([]byte(locateText))
	f.Add([]byte("extends = [\"base\"]\n[merge]\nremove = { mount = [\"/tmp\"] }\n"))
	f.Add([]byte("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n"))
	f.Add([]byte(issue5Seed))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := Source{Builtin: builtins(map[string]string{
			"f.toml":    string(data),
			"base.toml": "programs = [\"b\"]\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n",
		})}
		p, err := Load("f", testEnv(), src)
		if err != nil {
			checkFuzzErrors(t, data, err)
			return
		}
		checkProfileInvariants(t, p)
	})
}

// issue5Seed uses every key of [desktop], [dbus.*], [network] and [test],
// with a layer that merges onto them.
const issue5Seed = `extends = ["base"]
[desktop]
wayland = true
x11 = true
pulseaudio = true
pipewire = true
gpu = true
fonts = true
themes = true
portal = true

[dbus.session]
talk = ["org.freedesktop.Notifications", "org.example.App.*"]
own = ["org.example.App"]
see = ["org.a11y.Bus"]
broadcast = ["org.example.App=org.example.App.*@/org/example/App/*"]

[dbus.system]
talk = ["org.freedesktop.login1"]

[network]
mode = "nat"
backend = "pasta"
forward = ["8080:80", "5353:53/udp"]
allow_host_loopback = true

[test]
command = ["sh", "-c", "echo ok"]
expect_exit = 0
expect_output = "^ok$$"
timeout = 60
requires = ["/bin/sh"]
setup = ["mkdir", "-p", "${XDG_DOWNLOAD_DIR}"]
check = ["test", "-d", "${XDG_DOWNLOAD_DIR}"]

[merge]
replace = ["test.check"]
remove = { programs = ["b"], "network.forward" = [] }
`

func checkFuzzErrors(t *testing.T, data []byte, err error) {
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error is %T, want a non-empty Errors: %v", err, err)
	}
	lines := strings.Count(string(data), "\n") + 1
	for _, e := range errs {
		switch {
		case e.Line > 0:
			if e.Col < 1 {
				t.Errorf("error at line %d has column %d: %q", e.Line, e.Col, e.Error())
			}
			if e.File == "builtin:f.toml" && e.Line > lines {
				t.Errorf("error at line %d of a %d-line file: %q", e.Line, lines, e.Error())
			}
		case e.Line == 0 && e.Col == 0 && e.Key == "":
			// A problem with a file as a whole.
		default:
			t.Errorf("error without a position: %#v", e)
		}
		if msg := controlCharMessage(e.Error(), 0); msg != "" {
			t.Errorf("report %s: %q", msg, e.Error())
		}
	}
}

func checkProfileInvariants(t *testing.T, p *Profile) {
	cleanAbs := func(what, s string) {
		if s == "" || !strings.HasPrefix(s, "/") || path.Clean(s) != s || len(s) > maxPathLen || controlCharMessage(s, 0) != "" {
			t.Errorf("%s %q is not a clean absolute path", what, s)
		}
	}
	seen := map[string]bool{}
	for _, m := range p.Filesystem.Mounts {
		cleanAbs("target", m.Target)
		if isBind(m.Type) || m.Type == MountFile && m.Content == nil {
			cleanAbs("source", m.Source)
		}
		if m.Target == "/" && m.Type != MountRemountRO {
			t.Errorf("%s mount on /", m.Type)
		}
		if m.Type != MountRemountRO {
			if seen[m.Target] {
				t.Errorf("duplicate target %q", m.Target)
			}
			seen[m.Target] = true
		}
		if m.Mode != nil && *m.Mode > 0o7777 || m.Size > maxTmpfsSize {
			t.Errorf("mode or size out of range: %+v", m)
		}
		if m.Content != nil && !utf8.ValidString(*m.Content) {
			t.Errorf("content is not UTF-8")
		}
		if m.At.Line < 1 {
			t.Errorf("mount without origin: %+v", m)
		}
	}
	for _, c := range p.Capabilities.Keep {
		if !slices.Contains(capNames(), c) {
			t.Errorf("capability %q is not canonical", c)
		}
	}
	for _, r := range p.Seccomp.Syscalls {
		if !IsSyscall(r.Name) {
			t.Errorf("syscall %q unknown", r.Name)
		}
	}
	if p.Hostname != "" && (!p.Namespaces.UTS || hostnameMessage(p.Hostname, false) != "") {
		t.Errorf("hostname %q with uts %v", p.Hostname, p.Namespaces.UTS)
	}
	if !p.Namespaces.Mount {
		t.Errorf("a profile without a mount namespace loaded")
	}
	if p.Seccomp.Policy == PolicyNone && !p.Process.NewSession {
		t.Errorf("seccomp none without a new session loaded")
	}
	for _, v := range p.Environment.Set {
		if envNameMessage(v.Name, false) != "" || controlCharMessage(v.Value, tabs) != "" {
			t.Errorf("bad variable %q=%q", v.Name, v.Value)
		}
	}
	for _, l := range p.Limits {
		if l.Soft > l.Hard {
			t.Errorf("limit %s soft > hard", l.Name)
		}
	}
	checkSectionInvariants(t, p)
	for key, o := range p.Origins {
		if o.Line < 1 || o.Col < 1 {
			t.Errorf("origin of %s has no position: %+v", key, o)
		}
	}
}

// checkSectionInvariants holds the desktop, D-Bus, network and test
// sections of a profile that loaded to what the launcher relies on.
func checkSectionInvariants(t *testing.T, p *Profile) {
	for _, bus := range []DBusBus{p.DBus.Session, p.DBus.System} {
		for _, names := range [][]string{bus.Talk, bus.Own, bus.See} {
			for _, n := range names {
				if busNameMessage(n, true) != "" {
					t.Errorf("bad bus name %q", n)
				}
			}
		}
		for _, b := range bus.Broadcast {
			if ruleMessage("broadcast", b) != "" {
				t.Errorf("bad broadcast %q", b)
			}
		}
		for _, c := range bus.Call {
			if ruleMessage("call", c) != "" {
				t.Errorf("bad call %q", c)
			}
		}
	}
	nw := p.Network
	if !slices.Contains(networkModes, nw.Mode) || !slices.Contains(networkBackends, nw.Backend) {
		t.Errorf("network mode %q backend %q", nw.Mode, nw.Backend)
	}
	if (nw.Mode == NetworkHost) == p.Namespaces.Net {
		t.Errorf("network mode %q with namespaces.net = %v", nw.Mode, p.Namespaces.Net)
	}
	if nw.Mode != NetworkNAT && (len(nw.Forwards) > 0 || nw.AllowHostLoopback || nw.Backend != BackendAuto) {
		t.Errorf("NAT settings with mode %q: %+v", nw.Mode, nw)
	}
	hostPorts := map[string]bool{}
	for _, f := range nw.Forwards {
		if f.HostPort == 0 || f.SandboxPort == 0 || f.Proto != "tcp" && f.Proto != "udp" || hostPorts[hostPortKey(f)] {
			t.Errorf("bad or repeated forward %+v", f)
		}
		hostPorts[hostPortKey(f)] = true
	}
	ts := p.Test
	if ts.Timeout < 1 || ts.Timeout > maxTestTimeout || ts.ExpectExit < 0 || ts.ExpectExit > 255 {
		t.Errorf("test timeout %d expect_exit %d", ts.Timeout, ts.ExpectExit)
	}
	if _, err := regexp.Compile(ts.ExpectOutput); err != nil {
		t.Errorf("expect_output does not compile: %v", err)
	}
	for _, argv := range [][]string{ts.Command, ts.Setup, ts.Check} {
		if len(argv) > 0 && argv[0] == "" {
			t.Errorf("command line with an empty program: %q", argv)
		}
	}
	for _, r := range ts.Requires {
		if r == "" || !strings.HasPrefix(r, "/") || path.Clean(r) != r {
			t.Errorf("requires %q is not a clean absolute path", r)
		}
	}
}
