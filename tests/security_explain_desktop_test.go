package tests

import (
	"encoding/json"
	"strings"
	"testing"
)

// desktopEverything turns on every [desktop] switch and has a rule of
// each kind on both buses.
const desktopEverything = `extends = ["minimal"]
[desktop]
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
talk = ["org.example.Talk"]
own = ["org.example.Own"]
see = ["org.example.See"]
call = ["org.example.Call=org.example.Call.Method@/org/example/Call", "org.freedesktop.portal.Desktop=org.freedesktop.portal.DynamicLauncher.*@/org/freedesktop/portal/desktop"]
broadcast = ["org.example.Signals=org.example.Signals.Changed@/"]
[dbus.system]
talk = ["org.example.SystemTalk"]
own = ["org.example.SystemOwn"]
see = ["org.example.SystemSee"]
call = ["org.example.SystemCall=*"]
broadcast = ["org.example.SystemSignals=*"]
`

// TestW6ExplainListsDesktopLoosenings checks that explain, in text and in
// JSON, lists every desktop switch and every D-Bus rule among the
// loosenings with what it exposes, X11 with the four things a payload can
// do to other clients, desktop.pipewire_unrestricted as host code
// execution and a call rule reaching a portal beyond desktop.portal's as
// such; that check notes those two; and that a profile with none of them
// lists none.
func TestW6ExplainListsDesktopLoosenings(t *testing.T) {
	p := writeProfile(t, "everything.toml", desktopEverything)
	r := sandbox(t, asRoot, "explain", p)
	if r.code != 0 {
		t.Fatalf("explain: %s", r)
	}
	loosened := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if text, ok := strings.CutPrefix(strings.TrimSpace(line), "LOOSENED: "); ok {
			key, _, _ := strings.Cut(text, ":")
			loosened[key] = text
		}
	}
	want := map[string][]string{
		"desktop.wayland":                    {"Wayland display", "everything.toml:3"},
		"desktop.x11":                        {"keystrokes typed into other windows (XInput2", "inject keystrokes and clicks into other windows (XTEST)", "capture the whole screen", "host pids of the other clients (X-Resource"},
		"desktop.pulseaudio":                 {"through the launcher's filter", "records sound", "monitors of the sinks", "refuses", "modules"},
		"desktop.pipewire_unrestricted":      {"host code execution possible", "load a library", "records sound", "everything.toml:7"},
		"desktop.gpu":                        {"/dev/dri", "sysfs"},
		"desktop.fonts":                      {"read-only data"},
		"desktop.themes":                     {"read-only data"},
		"desktop.portal":                     {"FileChooser", "Settings", "org.freedesktop.portal.Desktop", "sandboxed app"},
		"dbus.session.talk org.example.Talk": {"call every method", "session bus", "everything.toml:13"},
		"dbus.session.own org.example.Own":   {"pose as the service"},
		"dbus.session.see org.example.See":   {"see that org.example.See exists"},
		"dbus.session.call org.example.Call=org.example.Call.Method@/org/example/Call":                                              {"call the methods", "session bus"},
		"dbus.session.call org.freedesktop.portal.Desktop=org.freedesktop.portal.DynamicLauncher.*@/org/freedesktop/portal/desktop": {"org.freedesktop.portal.DynamicLauncher", "beyond desktop.portal's interfaces"},
		"dbus.session.broadcast org.example.Signals=org.example.Signals.Changed@/":                                                  {"signals matching"},
		"dbus.system.talk org.example.SystemTalk":                                                                                   {"system bus"},
		"dbus.system.own org.example.SystemOwn":                                                                                     {"system bus"},
		"dbus.system.see org.example.SystemSee":                                                                                     {"system bus"},
		"dbus.system.call org.example.SystemCall=*":                                                                                 {"call the methods", "system bus"},
		"dbus.system.broadcast org.example.SystemSignals=*":                                                                         {"system bus"},
	}
	for key, parts := range want {
		text, ok := loosened[key]
		if !ok {
			t.Errorf("no LOOSENED line for %s:\n%s", key, r.stdout)
			continue
		}
		for _, part := range parts {
			if !strings.Contains(text, part) {
				t.Errorf("the LOOSENED line for %s does not say %q: %s", key, part, text)
			}
		}
	}

	r = sandbox(t, asRoot, "explain", "--json", p)
	var out struct {
		Loosened []struct{ Key, Text string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil {
		t.Fatalf("explain --json: %v\n%s", err, r)
	}
	keys := map[string]bool{}
	for _, l := range out.Loosened {
		if l.Key != "" {
			k, _, _ := strings.Cut(l.Text, ":")
			keys[k] = true
		}
	}
	for key := range want {
		if !keys[key] {
			t.Errorf("explain --json lists no loosening %s: %+v", key, out.Loosened)
		}
	}

	// check notes the gravest even for a valid profile: host code
	// execution through PipeWire and a portal beyond desktop.portal's.
	r = sandbox(t, asRoot, "check", p)
	for _, part := range []string{"LOOSENED: desktop.pipewire_unrestricted: host code execution possible", "org.freedesktop.portal.DynamicLauncher"} {
		if r.code != 0 || !strings.Contains(r.stderr, part) {
			t.Errorf("check does not note %q: %s", part, r)
		}
	}

	r = sandbox(t, asRoot, "explain", "minimal")
	if strings.Contains(r.stdout, "LOOSENED: desktop.") || strings.Contains(r.stdout, "LOOSENED: dbus.") {
		t.Errorf("the minimal profile has desktop or D-Bus loosenings:\n%s", r.stdout)
	}
}
