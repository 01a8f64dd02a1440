package launcher

import (
	"os"
	"reflect"
	"sandbox/plan"
	"strings"
	"testing"
)

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
	p := &plan.DBusProxy{Program: "/usr/bin/xdg-dbus-proxy", AppID: "sandbox.viewer", Network: true,
		Buses: []plan.DBusBusProxy{{Bus: "session", Address: "unix:path=/run/user/1000/bus"}}}
	pl := proxyPlan(p, p.Program, []string{"--fd=7"}, "/run/user/1000/sandbox-helpers-1", 7, "sandbox-42")
	index := map[string]int{}
	for i, s := range pl.Steps {
		key := s.Kind()
		switch v := s.(type) {
		case plan.BindMount:
			key += " " + v.Target
			if v.Target == "/run/user/1000/sandbox-helpers-1" && v.ReadOnly {
				t.Errorf("the private directory is bound read-only")
			}
			if v.Target != "/run/user/1000/sandbox-helpers-1" && !v.ReadOnly {
				t.Errorf("%s is bound writable", v.Target)
			}
		case plan.File:
			key += " " + v.Target
			info := string(v.Content)
			for _, want := range []string{"[Application]\nname=sandbox.viewer\n", "[Instance]\ninstance-id=sandbox-42\n", "[Context]\nshared=network;\n"} {
				if !strings.Contains(info, want) {
					t.Errorf("/.flatpak-info lacks %q:\n%s", want, info)
				}
			}
		case plan.RemountReadOnly:
			key += " " + v.Target
		case plan.Capabilities:
			if len(v.Keep) != 0 {
				t.Errorf("the proxy keeps capabilities %v", v.Keep)
			}
		case plan.Exec:
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
			t.Fatalf("no step %q in %v", k, pl.Steps)
		}
		if i > 0 && index[k] < index[order[i-1]] {
			t.Errorf("step %q comes before %q", k, order[i-1])
		}
	}
	if !reflect.DeepEqual(pl.PassFDs, []int{7}) || !pl.DieWithParent || !pl.InNewSession() {
		t.Errorf("pass %v, die with parent %v, new session %v", pl.PassFDs, pl.DieWithParent, pl.InNewSession())
	}
	if os.Geteuid() != 0 && (pl.IDs == nil || runIDModeFor(pl) != idsSelf) {
		t.Errorf("rootless, the proxy's user namespace must map only the caller's own ids: %+v", pl.IDs)
	}
	// Without a network, /.flatpak-info says none.
	p.Network = false
	if info := string(portalInfo(p, "x")); strings.Contains(info, "network") {
		t.Errorf("no network, yet:\n%s", info)
	}
}
