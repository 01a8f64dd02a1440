package compile

import (
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
