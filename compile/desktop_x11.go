package compile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
)

// X11 gets the socket of one display and a cookie for that display only:
// the caller's Xauthority usually holds cookies for every display and host
// the user ever used, and each one opens a screen whose every keystroke an
// X client can read.

// maxXauthority bounds the caller's Xauthority file; real ones are a few
// hundred bytes.
const maxXauthority = 1 << 20

// Xauthority address families (Xauth.h). A local display's entry is
// FamilyLocal with the host name as address; FamilyWild matches any
// address.
const (
	xauthFamilyLocal = 256
	xauthFamilyWild  = 65535
)

// xauthEntry is one record of an Xauthority file.
type xauthEntry struct {
	Family  uint16
	Address []byte
	Number  string
	Name    string
	Data    []byte
}

func (d *desktopCompiler) x11(at profile.Origin) {
	display, _ := d.c.h.Getenv("DISPLAY")
	if display == "" {
		d.absent("desktop.x11", at, "$DISPLAY is not set; run from an X session or set desktop.x11 = false")
		return
	}
	n, err := x11DisplayNumber(display)
	if err != nil {
		d.need("desktop.x11", at, "%v; set desktop.x11 = false", err)
		return
	}
	sock := x11SocketOf(n)
	if !d.exists(sock) {
		d.need("desktop.x11", at, "there is no X socket at %s for DISPLAY=%s; run from an X session or set desktop.x11 = false", sock, display)
		return
	}
	d.other = append(d.other, plan.BindMount{From: plan.From{At: plan.Origin(at)}, Source: sock, Target: sock, ReadOnly: true})
	d.env["DISPLAY"] = fmt.Sprintf(":%d", n)

	desc := fmt.Sprintf("the X display :%d: only its socket %s is bound", n, sock)
	file := d.xauthorityFile()
	// The cookie depends on the host name too, which no file's
	// identity shows.
	d.c.h.Inputs.Refuse("desktop.x11 copies a cookie chosen by the host name")
	host, _ := d.c.h.Hostname()
	switch cookie, err := xauthorityFor(d.c.h.Open, file, host, n); {
	case err != nil:
		d.need("desktop.x11", at, "%v; fix or remove the file, or set desktop.x11 = false", err)
		return
	case cookie == nil:
		desc += fmt.Sprintf("; %s holds no cookie for it, so none is passed", file)
	default:
		target := path.Join(d.runtime, "Xauthority")
		d.runtimeUsed(at)
		d.inRuntime = append(d.inRuntime, plan.File{From: plan.From{At: plan.Origin(at)}, Target: target, Content: cookie, Mode: 0o600})
		d.env["XAUTHORITY"] = target
		desc += fmt.Sprintf("; %s holds only this display's cookie, taken from %s", target, file)
	}
	if !d.c.p.Namespaces.Net {
		desc += "; LOOSENED: with the host's network shared, the X server's abstract socket @" + sock + " is reachable too"
	} else {
		desc += " (its abstract socket @" + sock + " is out of reach in the sandbox's own network namespace)"
	}
	desc += "; an X client can read the whole screen and every keystroke: prefer Wayland"
	d.item("desktop.x11", at, "%s", desc)
}

// xauthorityFile is the caller's $XAUTHORITY, else ~/.Xauthority.
func (d *desktopCompiler) xauthorityFile() string {
	if v, ok := d.c.h.Getenv("XAUTHORITY"); ok && path.IsAbs(v) {
		return v
	}
	return path.Join(d.c.h.Home, ".Xauthority")
}

// x11DisplayNumber parses a local DISPLAY: ":N", ":N.S", "unix:N[.S]".
// A display reached over TCP ("host:N") has no socket to bind.
func x11DisplayNumber(display string) (int, error) {
	host, rest, ok := strings.Cut(display, ":")
	if !ok {
		return 0, fmt.Errorf("DISPLAY=%q is not of the form :N", display)
	}
	if host != "" && host != "unix" {
		return 0, fmt.Errorf("DISPLAY=%q is a display reached over the network; only a local display (:N) can be given to a sandbox", display)
	}
	num, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("DISPLAY=%q is not of the form :N", display)
	}
	return n, nil
}

// xauthorityFor reads file and returns a new Xauthority holding only the
// cookies for local display n of this host, or nil when there are none
// (or no file: the server may not ask for one). An entry counts when its
// display number is n and it is FamilyWild, or FamilyLocal naming host.
// The entries are written as FamilyWild: a FamilyLocal entry names the
// host, and a sandbox with a hostname of its own would not match it.
func xauthorityFor(open func(string) (*os.File, error), file, host string, n int) ([]byte, error) {
	f, err := open(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the Xauthority file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxXauthority+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the Xauthority file: %w", err)
	}
	if len(b) > maxXauthority {
		return nil, fmt.Errorf("the Xauthority file %s is larger than %d bytes", file, maxXauthority)
	}
	entries, err := parseXauthority(b)
	if err != nil {
		return nil, fmt.Errorf("the Xauthority file %s is damaged: %w", file, err)
	}
	var out []byte
	for _, e := range entries {
		local := e.Family == xauthFamilyLocal && string(e.Address) == host
		if e.Number != strconv.Itoa(n) || !(local || e.Family == xauthFamilyWild) {
			continue
		}
		e.Family, e.Address = xauthFamilyWild, nil
		out = appendXauthority(out, e)
	}
	return out, nil
}

// parseXauthority decodes the records of an Xauthority file: a big-endian
// 16-bit family, then address, display number, auth name and auth data,
// each a big-endian 16-bit length and that many bytes.
func parseXauthority(b []byte) ([]xauthEntry, error) {
	var out []xauthEntry
	field := func() ([]byte, error) {
		if len(b) < 2 {
			return nil, io.ErrUnexpectedEOF
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, io.ErrUnexpectedEOF
		}
		v := b[2 : 2+n]
		b = b[2+n:]
		return v, nil
	}
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("record %d: %w", len(out)+1, io.ErrUnexpectedEOF)
		}
		e := xauthEntry{Family: binary.BigEndian.Uint16(b)}
		b = b[2:]
		var fields [4][]byte
		for i := range fields {
			v, err := field()
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", len(out)+1, err)
			}
			fields[i] = v
		}
		e.Address, e.Number, e.Name, e.Data = fields[0], string(fields[1]), string(fields[2]), fields[3]
		out = append(out, e)
	}
	return out, nil
}

// appendXauthority encodes one record.
func appendXauthority(out []byte, e xauthEntry) []byte {
	out = binary.BigEndian.AppendUint16(out, e.Family)
	for _, f := range [][]byte{e.Address, []byte(e.Number), []byte(e.Name), e.Data} {
		out = binary.BigEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}
