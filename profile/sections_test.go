package profile

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

const sectionsBase = `[desktop]
wayland = true
fonts = true

[dbus.session]
talk = ["org.freedesktop.Notifications", "org.example.Base"]
broadcast = ["org.example.Base=*"]

[dbus.system]
see = ["org.freedesktop.UPower"]

[network]
mode = "nat"
backend = "pasta"
forward = ["8080:80", "5353:53/udp"]

[test]
command = ["app", "--version"]
setup = ["mkdir", "-p", "${XDG_DOWNLOAD_DIR}"]
check = ["test", "-d", "${XDG_DOWNLOAD_DIR}"]
requires = ["/usr/bin/app"]
expect_output = "^app [0-9]+"
timeout = 30
`

// TestMergeNewSections pins how the desktop, D-Bus, network and test keys
// merge: booleans and strings as scalars, bus names, forwards and
// required paths as sets, and the test's command lines replaced whole.
func TestMergeNewSections(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"base.toml": sectionsBase,
		"child.toml": `extends = ["base"]

[desktop]
fonts = false
gpu = true

[dbus.session]
talk = ["org.example.Child", "org.freedesktop.Notifications"]

[network]
forward = ["8080:80/tcp", "9090:90"]
allow_host_loopback = true

[test]
command = ["app", "--self-test"]
requires = ["/usr/lib/app/data"]
`,
		"trim.toml": `extends = ["base"]

[merge]
replace = ["test.check", "dbus.system.see"]
remove = { "network.forward" = ["8080:80"], "dbus.session.talk" = ["org.example.Base"], "dbus.session.broadcast" = ["org.example.Base=*"], "test.requires" = ["/usr/bin/app/"] }
`,
	})}
	p := mustLoad(t, "child", src)

	if want := (Desktop{Wayland: true, GPU: true}); p.Desktop != want {
		t.Errorf("desktop %+v, want %+v (fonts turned off by the child)", p.Desktop, want)
	}
	if o := p.Origins["desktop.fonts"]; o.File != "builtin:child.toml" || o.Line != 4 {
		t.Errorf("Origins[desktop.fonts] = %+v, want child.toml line 4", o)
	}
	if got, want := p.DBus.Session.Talk, []string{"org.freedesktop.Notifications", "org.example.Base", "org.example.Child"}; !slices.Equal(got, want) {
		t.Errorf("session talk %v, want %v (appended, each name once)", got, want)
	}
	if o := p.Origins["dbus.session.talk.org.example.Child"]; o.File != "builtin:child.toml" {
		t.Errorf("Origins of the child's bus name = %+v", o)
	}
	if got, want := p.DBus.System.See, []string{"org.freedesktop.UPower"}; !slices.Equal(got, want) {
		t.Errorf("system see %v, want %v", got, want)
	}
	var fw []string
	for _, f := range p.Network.Forwards {
		fw = append(fw, forwardKey(f))
	}
	if want := []string{"8080:80/tcp", "5353:53/udp", "9090:90/tcp"}; !slices.Equal(fw, want) {
		t.Errorf("forwards %v, want %v (the repeated 8080:80 kept once)", fw, want)
	}
	if p.Network.Mode != NetworkNAT || p.Network.Backend != BackendPasta || !p.Network.AllowHostLoopback || !p.Namespaces.Net {
		t.Errorf("network %+v, net namespace %v", p.Network, p.Namespaces.Net)
	}
	// The command is the child's alone: argv lists are never appended.
	if got, want := p.Test.Command, []string{"app", "--self-test"}; !slices.Equal(got, want) {
		t.Errorf("test.command %v, want %v", got, want)
	}
	if got, want := p.Test.Setup, []string{"mkdir", "-p", "/home/alice/Downloads"}; !slices.Equal(got, want) {
		t.Errorf("test.setup %v, want %v (inherited, variables expanded)", got, want)
	}
	if got, want := p.Test.Requires, []string{"/usr/bin/app", "/usr/lib/app/data"}; !slices.Equal(got, want) {
		t.Errorf("test.requires %v, want %v", got, want)
	}
	if p.Test.Timeout != 30 || p.Test.ExpectOutput != "^app [0-9]+" || p.Test.ExpectExit != 0 {
		t.Errorf("test %+v", p.Test)
	}

	p = mustLoad(t, "trim", src)
	if len(p.Test.Check) != 0 || len(p.Test.Command) != 2 {
		t.Errorf("after merge.replace test.check: command %v check %v, want the command kept and no check", p.Test.Command, p.Test.Check)
	}
	if _, ok := p.Origins["test.check"]; ok {
		t.Errorf("a replaced test.check keeps its origin")
	}
	if len(p.DBus.System.See) != 0 || len(p.DBus.Session.Broadcast) != 0 || !slices.Equal(p.DBus.Session.Talk, []string{"org.freedesktop.Notifications"}) {
		t.Errorf("dbus after replace and remove: %+v", p.DBus)
	}
	if len(p.Network.Forwards) != 1 || forwardKey(p.Network.Forwards[0]) != "5353:53/udp" {
		t.Errorf("forwards after removing \"8080:80\": %+v", p.Network.Forwards)
	}
	if len(p.Test.Requires) != 0 {
		t.Errorf("requires after removing \"/usr/bin/app/\": %v", p.Test.Requires)
	}
}

// TestReplaceDropsAnInheritedCommand checks that merge.replace on
// test.command leaves the profile without a test, and that a layer
// setting its own command after replacing keeps it.
func TestReplaceDropsAnInheritedCommand(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"base.toml": sectionsBase,
		"none.toml": "extends = [\"base\"]\nmerge.replace = [\"test.command\"]\n",
		"own.toml":  "extends = [\"base\"]\nmerge.replace = [\"test.command\"]\ntest.command = [\"true\"]\n",
	})}
	if p := mustLoad(t, "none", src); len(p.Test.Command) != 0 {
		t.Errorf("command %v, want none", p.Test.Command)
	}
	if p := mustLoad(t, "own", src); !slices.Equal(p.Test.Command, []string{"true"}) {
		t.Errorf("command %v, want [true]", p.Test.Command)
	}
}

// TestNetworkModeAndNamespace pins the agreement between network.mode and
// namespaces.net, and where `sandbox explain` finds the line that decided
// each.
func TestNetworkModeAndNamespace(t *testing.T) {
	for _, c := range []struct {
		text    string
		mode    string
		net     bool
		modeAt  int // line of Origins["network.mode"], 0 for none
		netAt   int
		wantErr string
	}{
		{text: "", mode: NetworkNone, net: true},
		{text: "network.mode = \"host\"", mode: NetworkHost, net: false, modeAt: 1, netAt: 1},
		{text: "network.mode = \"nat\"", mode: NetworkNAT, net: true, modeAt: 1, netAt: 1},
		{text: "namespaces.net = false", mode: NetworkHost, net: false, modeAt: 1, netAt: 1},
		{text: "namespaces.net = true", mode: NetworkNone, net: true, modeAt: 1, netAt: 1},
		{text: "namespaces.net = true\nnetwork.mode = \"nat\"", mode: NetworkNAT, net: true, modeAt: 2, netAt: 1},
		{text: "namespaces.net = false\nnetwork.mode = \"host\"", mode: NetworkHost, net: false, modeAt: 2, netAt: 1},
		{text: "namespaces.net = true\nnetwork.mode = \"host\"",
			wantErr: `builtin:t.toml:2:9: network.mode: mode "host" shares the host network, but namespaces.net = true at line 1 asks for a new one; remove namespaces.net (network.mode says it all), or choose mode "none" or "nat"`},
		{text: "namespaces.net = false\nnetwork.mode = \"none\"",
			wantErr: `builtin:t.toml:2:9: network.mode: mode "none" needs a new network namespace, but namespaces.net = false at line 1 shares the host's; remove namespaces.net (network.mode says it all), or write mode = "host"`},
		// NAT-only values at their defaults are accepted in any mode.
		{text: "network.backend = \"auto\"\nnetwork.allow_host_loopback = false", mode: NetworkNone, net: true},
		{text: "network.backend = \"pasta\"",
			wantErr: `builtin:t.toml:1:9: network.backend: backend applies only with mode = "nat" (network.mode is "none" by default); remove it, or set mode = "nat"`},
	} {
		p, err := loadText(t, c.text)
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr {
				t.Errorf("%q: error\n got: %v\nwant: %s", c.text, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if p.Network.Mode != c.mode || p.Namespaces.Net != c.net {
			t.Errorf("%q: mode %q net %v, want %q %v", c.text, p.Network.Mode, p.Namespaces.Net, c.mode, c.net)
		}
		if p.Origins["network.mode"].Line != c.modeAt || p.Origins["namespaces.net"].Line != c.netAt {
			t.Errorf("%q: origins of mode %+v and net %+v, want lines %d and %d", c.text, p.Origins["network.mode"], p.Origins["namespaces.net"], c.modeAt, c.netAt)
		}
	}
}

// TestModeAcrossLayers checks that the agreement is a rule of the merged
// profile: a child that switches a host-network base to NAT must also say
// namespaces.net = true, and is told so with both lines.
func TestModeAcrossLayers(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"host.toml":  "namespaces.net = false\n",
		"nat.toml":   "extends = [\"host\"]\nnetwork.mode = \"nat\"\n",
		"fixed.toml": "extends = [\"host\"]\nnamespaces.net = true\nnetwork.mode = \"nat\"\n",
	})}
	msg := loadErr(t, "nat", src)
	if !strings.Contains(msg, `builtin:nat.toml:2:9: network.mode: mode "nat" needs a new network namespace, but namespaces.net = false at builtin:host.toml:1:12`) {
		t.Errorf("error: %s", msg)
	}
	if p := mustLoad(t, "fixed", src); p.Network.Mode != NetworkNAT || !p.Namespaces.Net {
		t.Errorf("fixed: mode %q net %v", p.Network.Mode, p.Namespaces.Net)
	}
}

// TestNewSectionsDecode loads every key of [desktop], [dbus.*], [network]
// and [test] once and compares the typed result field by field.
func TestNewSectionsDecode(t *testing.T) {
	p := mustLoadText(t, `[desktop]
wayland = true
x11 = true
pulseaudio = true
pipewire = true
pipewire_unrestricted = true
gpu = true
fonts = true
themes = true
portal = true

[dbus.session]
talk = ["org.freedesktop.Notifications", "org.kde.StatusNotifierWatcher"]
own = ["org.mozilla.firefox.*"]
see = ["org.a11y.Bus"]
broadcast = ["org.freedesktop.portal.*=@/org/freedesktop/portal/*"]

[dbus.system]
talk = ["org.freedesktop.login1"]

[network]
mode = "nat"
backend = "slirp4netns"
forward = ["8080:80", "5353:53/udp"]
allow_host_loopback = true

[test]
command = ["sh", "-c", """
echo ok > "${XDG_DOWNLOAD_DIR}/out"
"""]
expect_exit = 3
expect_output = '^ok\s*$$'
timeout = 600
requires = ["/usr/bin/sh/"]
setup = ["mkdir", "-p", "${XDG_DOWNLOAD_DIR}"]
check = ["test", "-s", "${XDG_DOWNLOAD_DIR}/out"]
`)
	if want := (Desktop{Wayland: true, X11: true, PulseAudio: true, PipeWire: true, PipeWireUnrestricted: true,
		GPU: true, Fonts: true, Themes: true, Portal: true}); p.Desktop != want {
		t.Errorf("desktop %+v", p.Desktop)
	}
	wantBus := DBus{
		Session: DBusBus{
			Talk:      []string{"org.freedesktop.Notifications", "org.kde.StatusNotifierWatcher"},
			Own:       []string{"org.mozilla.firefox.*"},
			See:       []string{"org.a11y.Bus"},
			Call:      []string{},
			Broadcast: []string{"org.freedesktop.portal.*=@/org/freedesktop/portal/*"},
		},
		System: DBusBus{Talk: []string{"org.freedesktop.login1"}, Own: []string{}, See: []string{}, Call: []string{}, Broadcast: []string{}},
	}
	if !reflect.DeepEqual(p.DBus, wantBus) {
		t.Errorf("dbus\n got: %+v\nwant: %+v", p.DBus, wantBus)
	}
	if !p.DBus.Session.HasRules() || !p.DBus.System.HasRules() || (DBusBus{}).HasRules() {
		t.Errorf("HasRules is wrong")
	}
	wantNet := Network{Mode: NetworkNAT, Backend: BackendSlirp4netns, AllowHostLoopback: true, Forwards: []PortForward{
		{HostPort: 8080, SandboxPort: 80, Proto: "tcp", At: Origin{"builtin:t.toml", 24, 12}},
		{HostPort: 5353, SandboxPort: 53, Proto: "udp", At: Origin{"builtin:t.toml", 24, 23}},
	}}
	if !reflect.DeepEqual(p.Network, wantNet) {
		t.Errorf("network\n got: %+v\nwant: %+v", p.Network, wantNet)
	}
	wantTest := SmokeTest{
		Command:      []string{"sh", "-c", "echo ok > \"/home/alice/Downloads/out\"\n"},
		ExpectExit:   3,
		ExpectOutput: `^ok\s*$`,
		Timeout:      600,
		Requires:     []string{"/usr/bin/sh"},
		Setup:        []string{"mkdir", "-p", "/home/alice/Downloads"},
		Check:        []string{"test", "-s", "/home/alice/Downloads/out"},
	}
	if !reflect.DeepEqual(p.Test, wantTest) {
		t.Errorf("test\n got: %+v\nwant: %+v", p.Test, wantTest)
	}
	for key, line := range map[string]int{
		"desktop.pipewire_unrestricted": 6, "desktop.portal": 10, "dbus.session.own.org.mozilla.firefox.*": 14,
		"network.forward.5353:53/udp": 24, "network.allow_host_loopback": 25, "namespaces.net": 22, "test.command": 28,
		"test.requires./usr/bin/sh": 34,
	} {
		if o := p.Origins[key]; o.Line != line {
			t.Errorf("Origins[%q] = %+v, want line %d", key, o, line)
		}
	}
}
