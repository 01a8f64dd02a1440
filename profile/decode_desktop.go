package profile

import (
	"fmt"
	"strings"
)

// desktopKeys are the booleans of [desktop], in schema order.
var desktopKeys = []string{"wayland", "x11", "pulseaudio", "pipewire", "pipewire_unrestricted", "gpu", "fonts", "themes", "portal"}

func (d *fileDecoder) decodeDesktop(t map[string]any, p string) {
	for _, key := range desktopKeys {
		d.boolAt(t, p, key)
	}
}

// busRuleKeys are the rule lists of one bus table.
var busRuleKeys = []string{"talk", "own", "see", "call", "broadcast"}

// decodeDBus reads [dbus.session] and [dbus.system]. Each rule becomes an
// argument of xdg-dbus-proxy, so a name is checked here against the D-Bus
// grammar: a malformed one would be refused by the proxy only at launch,
// or worse, match more than the author meant.
func (d *fileDecoder) decodeDBus(t map[string]any, p string) {
	for _, bus := range []string{"session", "system"} {
		bv, bp, ok := d.child(t, p, bus)
		if !ok {
			continue
		}
		bt := bv.(map[string]any)
		for _, key := range busRuleKeys {
			v, kp, ok := d.child(bt, bp, key)
			if !ok {
				continue
			}
			vals, paths := d.stringList(v, kp, verbatim)
			for i, s := range vals {
				check := func(s string) string { return busNameMessage(s, true) }
				switch key {
				case "broadcast":
					check = func(s string) string { return ruleMessage("broadcast", s) }
				case "call":
					check = func(s string) string { return ruleMessage("call", s) }
				}
				if msg := check(s); msg != "" {
					d.errorf(paths[i], "%s", msg)
					continue
				}
				d.addEntry(kp, s, s, paths[i])
			}
		}
	}
}

// maxBusName is the D-Bus specification's limit on a bus name.
const maxBusName = 255

// busNameMessage checks a well-known bus name as the D-Bus specification
// defines it: at least two elements joined by ".", each of [A-Za-z0-9_-]
// and not starting with a digit, at most 255 bytes. With wildcard, a
// trailing ".*" (xdg-dbus-proxy's "this name and every name below it") is
// allowed after a valid name.
func busNameMessage(s string, wildcard bool) string {
	name := s
	if wildcard {
		name = strings.TrimSuffix(s, ".*")
	}
	const example = `write a name such as "org.freedesktop.Notifications", or "org.example.App.*" for a name and those below it`
	switch {
	case name == "":
		return fmt.Sprintf("%s is not a bus name; %s", quote(s), example)
	case len(name) > maxBusName:
		return fmt.Sprintf("bus name is %d bytes; the limit is %d", len(name), maxBusName)
	case strings.HasPrefix(name, ":"):
		return fmt.Sprintf("%s is a unique connection name, which changes on every connection; %s", quote(s), example)
	}
	elems := strings.Split(name, ".")
	if len(elems) < 2 {
		return fmt.Sprintf("%s has one element; a bus name has at least two joined by \".\": %s", quote(s), example)
	}
	for _, e := range elems {
		if e == "" {
			return fmt.Sprintf("%s has an empty element; %s", quote(s), example)
		}
		if e[0] >= '0' && e[0] <= '9' {
			return fmt.Sprintf("%s: the element %s starts with a digit, which a bus name may not; write it as %s", quote(s), quote(e), quote("_"+e))
		}
		for i := 0; i < len(e); i++ {
			c := e[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				hint := "a bus name uses only letters, digits, '_' and '-' between the dots"
				if c == '*' {
					hint = `"*" may only end a name, as ".*"`
				}
				return fmt.Sprintf("%s contains %q; %s", quote(s), c, hint)
			}
		}
	}
	return ""
}

// ruleMessage checks a "NAME=RULE" call or broadcast entry. RULE is
// xdg-dbus-proxy's filter: an optional interface or interface.member
// (either may end in ".*", or be "*" alone), then an optional "@" and an
// object path (which may end in "/*").
func ruleMessage(kind, s string) string {
	const example = `write "NAME=RULE", such as "org.example.App=org.example.App.*@/org/example/App"`
	name, rule, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Sprintf("%s has no \"=\"; %s", quote(s), example)
	}
	if msg := busNameMessage(name, true); msg != "" {
		return kind + " name: " + msg
	}
	if rule == "" {
		what := "signal"
		if kind == "call" {
			what = "method"
		}
		return fmt.Sprintf("%s has an empty rule after \"=\"; %s, or \"*\" for every %s of NAME", quote(s), example, what)
	}
	member, path, hasPath := strings.Cut(rule, "@")
	if member != "" && member != "*" {
		if msg := busNameMessage(member, true); msg != "" {
			return fmt.Sprintf("%s: the interface part %s is not an interface or interface.member; %s", quote(s), quote(member), example)
		}
	}
	if hasPath {
		if msg := objectPathMessage(path); msg != "" {
			return fmt.Sprintf("%s: %s", quote(s), msg)
		}
	}
	return ""
}

// objectPathMessage checks a D-Bus object path, allowing a trailing "/*"
// (this path and every path below it).
func objectPathMessage(p string) string {
	base := strings.TrimSuffix(p, "/*")
	if p == "/*" {
		base = "/"
	}
	if !strings.HasPrefix(base, "/") {
		return fmt.Sprintf("the object path %s must start with \"/\", such as \"/org/example/App\"", quote(p))
	}
	if base == "/" {
		return ""
	}
	for _, e := range strings.Split(base[1:], "/") {
		if e == "" {
			return fmt.Sprintf("the object path %s has an empty element (a doubled or trailing \"/\")", quote(p))
		}
		for i := 0; i < len(e); i++ {
			c := e[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				return fmt.Sprintf("the object path %s contains %q; an object path uses only letters, digits and '_' between the slashes", quote(p), c)
			}
		}
	}
	return ""
}
