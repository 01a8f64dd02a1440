package compile

import (
	"os/exec"
	"reflect"
	"sandbox/internal/compiletest"
	"sandbox/plan"
	"strings"
	"testing"
)

// TestDBusCompile checks that each bus with rules gets a filtered proxy
// with exactly those rules, bound at the bus's usual path, and that a bus
// without rules gets nothing at all.
func TestDBusCompile(t *testing.T) {
	p := compiletest.LoadText(t, `extends = ["minimal"]

[desktop]
portal = true

[dbus.session]
talk = ["org.freedesktop.Notifications"]
own = ["org.example.App", "org.example.App.*"]
see = ["org.example.Other"]
broadcast = ["org.example.Other=org.example.Other.Changed@/org/example"]

[dbus.system]
talk = ["org.freedesktop.login1"]
`)
	h := desktopHost([]string{"XDG_RUNTIME_DIR=/run/user/1000", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus,guid=1234"},
		"/run/user/1000/bus", "/run/dbus/system_bus_socket")
	pl, err := Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	// desktop.portal: named interfaces of the portal frontend, never
	// org.freedesktop.portal.* (W3).
	portal := []string{}
	call, broadcast := portalRules()
	for _, r := range call {
		portal = append(portal, "--call="+r)
	}
	sessionRules := append(append([]string{
		"--see=org.example.Other",
		"--talk=org.freedesktop.Notifications",
		"--own=org.example.App", "--own=org.example.App.*",
	}, portal...), "--broadcast=org.example.Other=org.example.Other.Changed@/org/example")
	for _, r := range broadcast {
		sessionRules = append(sessionRules, "--broadcast="+r)
	}
	want := &plan.DBusProxy{Program: "/usr/bin/xdg-dbus-proxy", Buses: []plan.DBusBusProxy{
		{Bus: "session", Address: "unix:path=/run/user/1000/bus,guid=1234", Rules: sessionRules},
		{Bus: "system", Address: "unix:path=/run/dbus/system_bus_socket", Rules: []string{"--talk=org.freedesktop.login1"}},
	}, AppID: "sandbox.p"}
	for _, r := range sessionRules {
		if strings.Contains(r, "DynamicLauncher") || strings.HasSuffix(r, "org.freedesktop.portal.*") {
			t.Errorf("desktop.portal reaches %s", r)
		}
	}
	got := pl.DBusProxy
	if got != nil {
		for i := range got.Buses {
			if got.Buses[i].At.Line == 0 {
				t.Errorf("bus %s has no origin", got.Buses[i].Bus)
			}
			got.Buses[i].At = want.Buses[i].At
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("proxy\n got %+v\nwant %+v", got, want)
	}
	var sockets []plan.DBusSocket
	for _, s := range pl.Steps {
		if d, ok := s.(plan.DBusSocket); ok {
			sockets = append(sockets, d)
		}
	}
	if len(sockets) != 2 || sockets[0].Bus != "session" || sockets[0].Target != "/run/user/1000/bus" ||
		sockets[1].Bus != "system" || sockets[1].Target != "/run/dbus/system_bus_socket" {
		t.Errorf("socket steps %+v", sockets)
	}
	for name, want := range map[string]string{
		"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
		"DBUS_SYSTEM_BUS_ADDRESS":  "unix:path=/run/dbus/system_bus_socket",
		"XDG_RUNTIME_DIR":          "/run/user/1000",
	} {
		if v, _ := envOf(pl, name); v != want {
			t.Errorf("%s=%q, want %q", name, v, want)
		}
	}
	if len(pl.Desktop) != 1 || pl.Desktop[0].Key != "desktop.portal" {
		t.Errorf("explained desktop items %+v, want desktop.portal", pl.Desktop)
	}
	lines := DescribeDBus(pl)
	if len(lines) != 2 || !strings.Contains(lines[0], "may use the portal interfaces Settings, FileChooser, Print, Notification, Inhibit, NetworkMonitor, ProxyResolver, MemoryMonitor, PowerProfileMonitor of org.freedesktop.portal.Desktop (desktop.portal) and no other; may call org.freedesktop.Notifications; may own org.example.App, org.example.App.*; may see org.example.Other; receives signals from org.example.Other=org.example.Other.Changed@/org/example; every other") ||
		!strings.Contains(lines[1], "the system bus (unix:path=/run/dbus/system_bus_socket)") {
		t.Errorf("explained as %q", lines)
	}
}

// TestDBusNoRules checks that without rules neither bus is reachable: no
// proxy, no socket, no address in the environment, even when the caller
// keeps its own.
func TestDBusNoRules(t *testing.T) {
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[environment]\nkeep = [\"DBUS_SESSION_BUS_ADDRESS\"]\n")
	h := desktopHost([]string{"XDG_RUNTIME_DIR=/run/user/1000"}, "/run/user/1000/bus", "/run/dbus/system_bus_socket")
	pl, err := Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if pl.DBusProxy != nil {
		t.Errorf("proxy %+v without rules", pl.DBusProxy)
	}
	for _, s := range pl.Steps {
		if b, ok := s.(plan.BindMount); ok && strings.Contains(b.Source, "bus") {
			t.Errorf("a bus socket is bound: %+v", b)
		}
		if _, ok := s.(plan.DBusSocket); ok {
			t.Errorf("socket step %+v", s)
		}
	}
	if got := DescribeDBus(pl); !reflect.DeepEqual(got, []string{"the session bus is not reachable (no rules)", "the system bus is not reachable (no rules)"}) {
		t.Errorf("explained as %q", got)
	}
}

// TestDBusMissing checks the errors for a bus or proxy this machine lacks.
func TestDBusMissing(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		env   []string
		exist []string
		noBin bool
		want  string
	}{
		{"no system bus", "[dbus.system]\ntalk = [\"org.freedesktop.login1\"]\n", nil, nil, false,
			"/p.toml:4:9: dbus.system: the system bus cannot be found: $DBUS_SYSTEM_BUS_ADDRESS is not set and /run/dbus/system_bus_socket does not exist; start the system bus (the dbus package), or remove the rules"},
		{"session address names a missing socket", "[dbus.session]\nsee = [\"org.example.A\"]\n",
			[]string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/gone"}, nil, false,
			"/p.toml:4:8: dbus.session: the session bus is not reachable: $DBUS_SESSION_BUS_ADDRESS names /run/user/1000/gone, which does not exist; start the bus, or remove the rules"},
		{"no proxy", "[dbus.session]\ntalk = [\"org.example.A\"]\n", []string{"XDG_RUNTIME_DIR=/run/user/1000"}, []string{"/run/user/1000/bus"}, true,
			"/p.toml:4:9: dbus.session: the session bus is reached through xdg-dbus-proxy, which is not installed; install it (sudo apt-get install xdg-dbus-proxy), or remove the rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n"+tt.text)
			h := desktopHost(tt.env, tt.exist...)
			if tt.noBin {
				h.LookPathFunc = func(string) (string, error) { return "", exec.ErrNotFound }
			}
			_, err := Compile(p, []string{"app"}, h)
			if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
				t.Errorf("error %v\nwant ...%s", err, tt.want)
			}
			h.Lenient = true
			pl, err := Compile(p, []string{"app"}, h)
			if err != nil || pl.DBusProxy != nil || len(pl.Warnings) != 1 {
				t.Errorf("lenient: %v, proxy %+v, warnings %v", err, pl.DBusProxy, pl.Warnings)
			}
		})
	}
}
