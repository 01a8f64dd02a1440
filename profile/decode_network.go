package profile

import (
	"fmt"
	"strconv"
	"strings"
)

var (
	networkModes    = []string{NetworkNone, NetworkHost, NetworkNAT, NetworkFiltered}
	networkBackends = []string{BackendAuto, BackendPasta, BackendSlirp4netns}
)

func (d *fileDecoder) decodeNetwork(t map[string]any, p string) {
	for _, c := range []struct {
		key   string
		valid []string
	}{
		{"mode", networkModes},
		{"backend", networkBackends},
	} {
		v, kp, ok := d.child(t, p, c.key)
		if !ok {
			continue
		}
		if s, ok := d.str(v, kp, verbatim); ok {
			if contains(c.valid, s) {
				d.setScalar(kp, s)
			} else {
				d.errorf(kp, "unknown %s %s%s", c.key, quote(s), suggestOr(s, c.valid, "write "+orList(c.valid)))
			}
		}
	}
	d.boolAt(t, p, "allow_host_loopback")
	d.decodePorts(t, p, "connect_ports")
	d.decodePorts(t, p, "bind_ports")
	d.decodeEgress(t, p)
	v, kp, ok := d.child(t, p, "forward")
	if !ok {
		return
	}
	vals, paths := d.stringList(v, kp, verbatim)
	// A host port can be bound once per protocol; the second forward
	// would fail at launch, after the sandbox is half built.
	first := map[string]PortForward{}
	for i, s := range vals {
		f, msg := parseForward(s)
		if msg != "" {
			d.errorf(paths[i], "%s", msg)
			continue
		}
		f.At = d.origin(paths[i])
		if prev, dup := first[hostPortKey(f)]; dup {
			d.errorf(paths[i], "%s", duplicateForwardMessage(prev, f))
			continue
		}
		first[hostPortKey(f)] = f
		d.addEntry(kp, forwardKey(f), f, paths[i])
	}
}

// parseForward reads "HOSTPORT:SANDBOXPORT" with an optional "/tcp" or
// "/udp" (tcp when absent).
func parseForward(s string) (PortForward, string) {
	const example = `write "HOSTPORT:SANDBOXPORT", optionally ending in "/tcp" or "/udp", such as "8080:80" or "5353:53/udp"`
	ports, proto, hasProto := strings.Cut(s, "/")
	f := PortForward{Proto: "tcp"}
	if hasProto {
		if proto != "tcp" && proto != "udp" {
			return f, fmt.Sprintf("%s: unknown protocol %s; %s", quote(s), quote(proto), example)
		}
		f.Proto = proto
	}
	host, sandbox, ok := strings.Cut(ports, ":")
	if !ok {
		return f, fmt.Sprintf("%s is not a forward; %s", quote(s), example)
	}
	for _, pp := range []struct {
		what string
		text string
		dst  *uint16
	}{{"host", host, &f.HostPort}, {"sandbox", sandbox, &f.SandboxPort}} {
		n, msg := portNumber(pp.text)
		if msg != "" {
			return f, fmt.Sprintf("%s: the %s port %s", quote(s), pp.what, msg)
		}
		*pp.dst = n
	}
	return f, ""
}

// portNumber reads a decimal port, 1 to 65535.
func portNumber(s string) (uint16, string) {
	if s == "" || strings.Trim(s, "0123456789") != "" || len(s) > 5 {
		return 0, fmt.Sprintf("%s is not a number from 1 to 65535", quote(s))
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, fmt.Sprintf("%d is out of range; write a port from 1 to 65535", n)
	}
	return uint16(n), ""
}

// forwardKey is the canonical form of a forward, "8080:80/tcp": merge
// de-duplicates and merge.remove matches on it, so "8080:80" and
// "8080:80/tcp" are the same entry.
func forwardKey(f PortForward) string {
	return fmt.Sprintf("%d:%d/%s", f.HostPort, f.SandboxPort, f.Proto)
}

// hostPortKey is what a host can bind only once: "8080/tcp".
func hostPortKey(f PortForward) string {
	return fmt.Sprintf("%d/%s", f.HostPort, f.Proto)
}

// duplicateForwardMessage reports f, which forwards the same host port as
// the earlier prev.
func duplicateForwardMessage(prev, f PortForward) string {
	return fmt.Sprintf("host port %s is already forwarded by %s at %s; a host port can be forwarded once",
		hostPortKey(f), quote(forwardKey(prev)), originString(prev.At, f.At.File))
}

// orList is `"a", "b" or "c"`.
func orList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
