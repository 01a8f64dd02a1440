package profile

import (
	"fmt"
	"net/netip"
	"sandbox/internal/hostport"
	"strings"
)

// egressExample is the fix every bad allow-list entry is told.
const egressExample = `write "HOST", "HOST:PORT", "*.SUFFIX", "*.SUFFIX:PORT" or an IP address ("1.2.3.4:443", "[2001:db8::1]:443"), such as "pypi.org:443" or "*.github.com"`

// decodeEgress reads network.allow, network.allow_private and
// network.hosts. Entries are checked here, at their own line, so that a
// typo is reported before anything runs rather than as a refused
// connection later.
func (d *fileDecoder) decodeEgress(t map[string]any, p string) {
	for _, key := range []string{"allow", "allow_private"} {
		v, kp, ok := d.child(t, p, key)
		if !ok {
			continue
		}
		vals, paths := d.stringList(v, kp, verbatim)
		for i, s := range vals {
			r, msg := ParseEgressRule(s)
			if msg != "" {
				d.errorf(paths[i], "%s", msg)
				continue
			}
			r.At = d.origin(paths[i])
			d.addEntry(kp, r.String(), r, paths[i])
		}
	}
	v, kp, ok := d.child(t, p, "hosts")
	if !ok {
		return
	}
	vals, paths := d.stringList(v, kp, verbatim)
	for i, s := range vals {
		h, msg := parseHostMapping(s)
		if msg != "" {
			d.errorf(paths[i], "%s", msg)
			continue
		}
		h.At = d.origin(paths[i])
		d.addEntry(kp, h.Name, h, paths[i])
	}
}

// String is the canonical form of a rule: "pypi.org:443", "*.github.com",
// "[::1]:8080". Merging de-duplicates on it.
func (r EgressRule) String() string { return hostport.Format(r.Host, r.Port) }

// IsIP reports whether the rule names an IP address rather than a name.
func (r EgressRule) IsIP() bool {
	_, err := netip.ParseAddr(r.Host)
	return err == nil
}

// ParseEgressRule reads one allow-list entry. The rule: "HOST" (ports 80
// and 443), "HOST:PORT", "*.SUFFIX" (every name that ends in ".SUFFIX",
// at any depth, but not SUFFIX itself), an IPv4 address, or an IPv6
// address (in brackets when a port follows). Names are compared without
// case and without a trailing dot.
func ParseEgressRule(s string) (EgressRule, string) {
	var r EgressRule
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return r, fmt.Sprintf("%s: an IPv6 address opened with \"[\" needs \"]\"; %s", quote(s), egressExample)
		}
		host, port = s[1:end], s[end+1:]
		if port != "" {
			if !strings.HasPrefix(port, ":") {
				return r, fmt.Sprintf("%s is not an allow-list entry; %s", quote(s), egressExample)
			}
			port = port[1:]
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return r, fmt.Sprintf("%s: %s is not an IPv6 address; %s", quote(s), quote(host), egressExample)
		}
	case strings.Count(s, ":") > 1:
		// A bare IPv6 address: no port.
		host = s
	default:
		if h, p, ok := strings.Cut(s, ":"); ok {
			host, port = h, p
			if port == "" {
				return r, fmt.Sprintf("%s ends in \":\" without a port; %s", quote(s), egressExample)
			}
		}
	}
	if port != "" {
		n, msg := portNumber(port)
		if msg != "" {
			return r, fmt.Sprintf("%s: the port %s; %s", quote(s), msg, egressExample)
		}
		r.Port = int(n)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return r, fmt.Sprintf("%s: an address with a zone cannot be allowed; write the address without %%%s", quote(s), a.Zone())
		}
		r.Host = a.Unmap().String()
		return r, ""
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	wild := strings.HasPrefix(name, "*.")
	if wild {
		name = name[2:]
	}
	if msg := checkHostName(name); msg != "" {
		return r, fmt.Sprintf("%s: %s; %s", quote(s), msg, egressExample)
	}
	if wild && !strings.Contains(name, ".") {
		return r, fmt.Sprintf("%s allows every name under a top-level domain; name a domain such as \"*.example.com\", or use network.mode = \"nat\" for the whole internet", quote(s))
	}
	r.Host = name
	if wild {
		r.Host = "*." + name
	}
	return r, ""
}

// checkHostName says what is wrong with a DNS name, or "".
func checkHostName(name string) string {
	switch {
	case name == "":
		return "no host name"
	case name == "*" || strings.Contains(name, "*"):
		return "\"*\" may only open an entry, as in \"*.example.com\" (use network.mode = \"nat\" for every host)"
	case len(name) > 253:
		return "the name is longer than 253 characters"
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return fmt.Sprintf("%s is not a host name (empty or over-long label)", quote(name))
		}
		if strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return fmt.Sprintf("%s is not a host name (only letters, digits, \"-\" and \"_\")", quote(name))
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Sprintf("%s is neither a host name nor an IP address", quote(name))
	}
	return ""
}

// parseHostMapping reads "NAME=IP".
func parseHostMapping(s string) (HostMapping, string) {
	const example = `write "NAME=IP", such as "pypi.test=127.0.0.1"`
	name, addr, ok := strings.Cut(s, "=")
	if !ok {
		return HostMapping{}, fmt.Sprintf("%s is not a host mapping; %s", quote(s), example)
	}
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if msg := checkHostName(name); msg != "" {
		return HostMapping{}, fmt.Sprintf("%s: %s; %s", quote(s), msg, example)
	}
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil || a.Zone() != "" {
		return HostMapping{}, fmt.Sprintf("%s: %s is not an IP address; %s", quote(s), quote(addr), example)
	}
	return HostMapping{Name: name, Addr: a.Unmap().String()}, ""
}
