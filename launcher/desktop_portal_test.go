package launcher

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestPortalAppID checks that every profile name becomes a valid app id
// (a D-Bus name of two elements, neither starting with a digit) of its own.
func TestPortalAppID(t *testing.T) {
	for name, want := range map[string]string{
		"firefox":                      "sandbox.firefox",
		"/home/u/profiles/my-app.toml": "sandbox.my_app",
		"./7zip.toml":                  "sandbox._7zip",
		"a.b.c":                        "sandbox.a_b_c",
		"":                             "sandbox._",
		"ünï":                          "sandbox.__n__",
		strings.Repeat("x", 300):       "sandbox." + strings.Repeat("x", 247),
	} {
		if got := PortalAppID(name); got != want {
			t.Errorf("PortalAppID(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestPortalRuleReach checks which session bus rules explain lists as
// reaching portals beyond desktop.portal's interfaces.
func TestPortalRuleReach(t *testing.T) {
	for _, c := range []struct {
		kind, entry string
		beyond      bool
	}{
		{"talk", "org.freedesktop.portal.*", true},
		{"talk", "org.freedesktop.portal.Desktop", true},
		{"talk", "org.freedesktop.*", true},
		{"own", "org.freedesktop.portal.Flatpak", true},
		{"talk", "org.freedesktop.Notifications", false},
		{"talk", "org.freedesktop.portalx", false},
		{"call", "org.freedesktop.portal.Desktop=org.freedesktop.portal.DynamicLauncher.*@/org/freedesktop/portal/desktop", true},
		{"call", "org.freedesktop.portal.Desktop=org.freedesktop.portal.OpenURI.OpenURI", true},
		{"call", "org.freedesktop.portal.Desktop=*", true},
		{"call", "org.freedesktop.portal.Desktop=@/org/freedesktop/portal/desktop", true},
		{"call", "org.freedesktop.portal.Flatpak=org.freedesktop.portal.Flatpak.Spawn", true},
		{"call", "org.freedesktop.portal.Desktop=org.freedesktop.portal.Settings.Read@/org/freedesktop/portal/desktop", false},
		{"call", "org.freedesktop.portal.Desktop=org.freedesktop.DBus.Properties.Get", false},
		{"call", "org.example.App=org.example.App.*", false},
	} {
		what, beyond := PortalRuleReach(c.kind, c.entry)
		if beyond != c.beyond || beyond == (what == "") {
			t.Errorf("PortalRuleReach(%s, %s) = %q, %v; want beyond %v", c.kind, c.entry, what, beyond, c.beyond)
		}
	}
	call, _ := portalRules()
	for _, r := range call {
		if what, beyond := PortalRuleReach("call", r); beyond {
			t.Errorf("desktop.portal's own rule %s counted as beyond it: %s", r, what)
		}
	}
}

// TestDBusSocketPaths checks the socket files the proxy's namespace binds.
func TestDBusSocketPaths(t *testing.T) {
	for addr, want := range map[string][]string{
		"unix:path=/run/user/1000/bus":                       {"/run/user/1000/bus"},
		"unix:path=/run/user/1000/bus,guid=1234":             {"/run/user/1000/bus"},
		"unix:guid=1,path=/tmp/a%20b":                        {"/tmp/a b"},
		"unix:abstract=/tmp/dbus-x;unix:path=/run/dbus/sock": {"/run/dbus/sock"},
		"tcp:host=localhost,port=1":                          nil,
		"unix:path=/bad%2":                                   nil,
		"unix:path=relative":                                 nil,
	} {
		if got := dbusSocketPaths(addr); !reflect.DeepEqual(got, want) {
			t.Errorf("dbusSocketPaths(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestProxyPlan checks the proxy's namespace: /.flatpak-info naming the
// app id, written before the root turns read-only, the private directory
// bound writable only after that, the bus socket bound, no capabilities,
// and the program executed with its ready fd passed.
func TestProxyPlan(t *testing.T) {
	p := &DBusProxy{Program: "/usr/bin/xdg-dbus-proxy", AppID: "sandbox.viewer", Network: true,
		Buses: []DBusBusProxy{{Bus: "session", Address: "unix:path=/run/user/1000/bus"}}}
	plan := proxyPlan(p, p.Program, []string{"--fd=7"}, "/run/user/1000/sandbox-helpers-1", 7, "sandbox-42")
	index := map[string]int{}
	for i, s := range plan.Steps {
		key := s.Kind()
		switch v := s.(type) {
		case BindMount:
			key += " " + v.Target
			if v.Target == "/run/user/1000/sandbox-helpers-1" && v.ReadOnly {
				t.Errorf("the private directory is bound read-only")
			}
			if v.Target != "/run/user/1000/sandbox-helpers-1" && !v.ReadOnly {
				t.Errorf("%s is bound writable", v.Target)
			}
		case File:
			key += " " + v.Target
			info := string(v.Content)
			for _, want := range []string{"[Application]\nname=sandbox.viewer\n", "[Instance]\ninstance-id=sandbox-42\n", "[Context]\nshared=network;\n"} {
				if !strings.Contains(info, want) {
					t.Errorf("/.flatpak-info lacks %q:\n%s", want, info)
				}
			}
		case RemountReadOnly:
			key += " " + v.Target
		case Capabilities:
			if len(v.Keep) != 0 {
				t.Errorf("the proxy keeps capabilities %v", v.Keep)
			}
		case Exec:
			if !reflect.DeepEqual(v.Argv, []string{"/usr/bin/xdg-dbus-proxy", "--fd=7"}) {
				t.Errorf("exec %q", v.Argv)
			}
		}
		index[key] = i + 1
	}
	order := []string{"new-root", "bind-mount /usr", "bind-mount /run/user/1000/bus", "file /.flatpak-info",
		"remount-ro /", "bind-mount /run/user/1000/sandbox-helpers-1", "pivot-root", "capabilities", "no-new-privs", "exec"}
	for i, k := range order {
		if index[k] == 0 {
			t.Fatalf("no step %q in %v", k, plan.Steps)
		}
		if i > 0 && index[k] < index[order[i-1]] {
			t.Errorf("step %q comes before %q", k, order[i-1])
		}
	}
	if !reflect.DeepEqual(plan.PassFDs, []int{7}) || !plan.DieWithParent || !plan.NewSession {
		t.Errorf("pass %v, die with parent %v, new session %v", plan.PassFDs, plan.DieWithParent, plan.NewSession)
	}
	if os.Geteuid() != 0 && (plan.IDs == nil || runIDModeFor(plan) != idsSelf) {
		t.Errorf("rootless, the proxy's user namespace must map only the caller's own ids: %+v", plan.IDs)
	}
	// Without a network, /.flatpak-info says none.
	p.Network = false
	if info := string(portalInfo(p, "x")); strings.Contains(info, "network") {
		t.Errorf("no network, yet:\n%s", info)
	}
}
