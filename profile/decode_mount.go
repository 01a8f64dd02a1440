package profile

import (
	"fmt"
	"strings"
)

// maxMounts bounds [[mount]] entries, per file and merged (checklist B7);
// real profiles have a few dozen.
const maxMounts = 4096

// maxContent bounds the inline content of a file entry.
const maxContent = 1 << 20

var mountTypes = []string{
	string(MountBind), string(MountROBind), string(MountDevBind), string(MountTmpfs),
	string(MountProc), string(MountDev), string(MountMqueue), string(MountOverlay),
	string(MountSymlink), string(MountDir), string(MountFile), string(MountRemountRO),
}

func isBind(t MountType) bool {
	return t == MountBind || t == MountROBind || t == MountDevBind
}

// defaultMode is the mode a tmpfs root, dir or file gets when the profile
// does not say; other types have none.
func defaultMode(t MountType) (uint32, bool) {
	switch t {
	case MountTmpfs, MountDir:
		return 0o755, true
	case MountFile:
		return 0o644, true
	}
	return 0, false
}

func (d *fileDecoder) decodeMounts(v any, p string) {
	list := tableList(v)
	if len(list) > maxMounts {
		d.errorf(joinIndex(p, maxMounts), "%d [[mount]] entries; the limit is %d", len(list), maxMounts)
		list = list[:maxMounts]
	}
	for i, elem := range list {
		ep := joinIndex(p, i)
		if d.bad[ep] {
			continue
		}
		if m, ok := d.decodeMount(elem.(map[string]any), ep); ok {
			m.Key = ep
			d.l.lists["mount"] = append(d.l.lists["mount"], entry{key: m.Target, val: m, at: m.At, path: ep, cwd: namesCwd(elem.(map[string]any))})
		}
	}
}

// decodeMount decodes one [[mount]] entry and checks the rules that
// involve only the entry itself.
func (d *fileDecoder) decodeMount(t map[string]any, p string) (Mount, bool) {
	m := Mount{At: d.origin(p)}
	tv, tp, ok := d.child(t, p, "type")
	if !ok {
		if tp == "" {
			d.errorf(p, "[[mount]] needs a type: one of %s", allMountText)
		}
		return m, false
	}
	typ, ok := d.str(tv, tp, verbatim)
	if !ok {
		return m, false
	}
	if !contains(mountTypes, typ) {
		d.errorf(tp, "unknown mount type %s%s", quote(typ), suggestOr(typ, mountTypes, "write one of "+allMountText))
		return m, false
	}
	m.Type = MountType(typ)
	good := true
	fail := func(path, format string, args ...any) {
		d.errorf(path, format, args...)
		good = false
	}

	// Keys that mean nothing for this type are errors, not ignored: a
	// "size" on a bind mount would silently give no limit at all.
	for _, key := range sortedKeys(t) {
		if key != "type" && !d.bad[joinKey(p, key)] && !mountFieldApplies(key, m.Type) {
			fail(joinKey(p, key), "%s does not apply to a %s entry; it applies to %s", key, typ, appliesText(key))
		}
	}
	if !good {
		return m, false
	}

	pathField := func(key string) (string, string, bool) {
		v, kp, present := d.child(t, p, key)
		if !present {
			return "", kp, false
		}
		s, ok := d.path(v, kp)
		if !ok {
			good = false
		}
		return s, kp, ok
	}
	source, sourcePath, hasSource := pathField("source")
	target, targetPath, hasTarget := pathField("target")
	m.Source, m.Target = source, target
	if v, _, ok := d.child(t, p, "optional"); ok {
		m.Optional = v.(bool)
	}
	if v, _, ok := d.child(t, p, "writable"); ok {
		m.Writable = v.(bool)
	}

	switch {
	case isBind(m.Type):
		if !hasSource && sourcePath == "" {
			fail(p, "a %s entry needs source = \"/host/path\"", typ)
		}
		if !hasTarget && targetPath == "" {
			m.Target = m.Source
		}
	case m.Type == MountFile:
		d.decodeFileEntry(t, p, &m, hasSource || sourcePath != "", &good)
	}
	if !isBind(m.Type) && !hasTarget && targetPath == "" {
		fail(p, "a %s entry needs target = \"/path/inside\"", typ)
	}
	if m.Target == "/" && m.Type != MountRemountRO {
		if hasTarget {
			fail(targetPath, `target "/" would replace the sandbox root; mount below it, or use type = "remount-ro" to make the root read-only`)
		} else {
			fail(sourcePath, `the target defaults to the source "/", which would replace the sandbox root; add a target below it, such as target = "/run/host"`)
		}
	}

	if v, kp, ok := d.child(t, p, "size"); ok {
		if n, msg := parseSize(v, maxTmpfsSize); msg != "" {
			fail(kp, "%s", msg)
		} else {
			m.Size = n
		}
	}
	d.decodeMode(t, p, &m, &good)
	switch m.Type {
	case MountSymlink:
		d.decodeSymlink(t, p, &m, &good)
	case MountOverlay:
		d.decodeOverlay(t, p, &m, &good)
	}
	return m, good
}

func (d *fileDecoder) decodeFileEntry(t map[string]any, p string, m *Mount, hasSource bool, good *bool) {
	v, kp, hasContent := d.child(t, p, "content")
	switch {
	case hasContent && hasSource:
		d.errorf(kp, "content and source are exclusive: inline the content, or copy the host file named by source, not both")
		*good = false
		return
	case !hasContent && kp == "" && !hasSource:
		d.errorf(p, `a file entry needs content = "..." (inline text, may be "") or source = "/host/file"`)
		*good = false
		return
	case hasContent:
		s, ok := d.str(v, kp, multiline)
		if !ok {
			*good = false
			return
		}
		if len(s) > maxContent {
			d.errorf(kp, "content is %d bytes; the limit is 1 MiB: bind a host file instead", len(s))
			*good = false
			return
		}
		m.Content = &s
	}
	if m.Optional && !hasSource {
		d.errorf(joinKey(p, "optional"), "optional applies to a file entry only with source (a missing host file is skipped)")
		*good = false
	}
}

func (d *fileDecoder) decodeMode(t map[string]any, p string, m *Mount, good *bool) {
	v, kp, ok := d.child(t, p, "mode")
	if !ok {
		if def, has := defaultMode(m.Type); has {
			m.Mode = &def
		}
		return
	}
	n, _ := v.(int64)
	if n < 0 || n > 0o7777 {
		d.errorf(kp, "mode %s is out of range; write permission bits from 0o0 to 0o7777, such as 0o755", d.loc.valueText(kp))
		*good = false
		return
	}
	// 755 written in decimal is 0o1363 (sticky, odd bits): almost surely
	// meant as octal. Only the source text can tell the two apart.
	if text := d.loc.valueText(kp); text != "" && !strings.HasPrefix(text, "0o") && n != 0 {
		want := fmt.Sprintf("0o%o", n)
		if digits := strings.TrimLeft(strings.ReplaceAll(text, "_", ""), "+0"); digits != "" && strings.Trim(digits, "01234567") == "" {
			want = "0o" + digits // the digits were meant as octal
		}
		d.errorf(kp, "mode %s is not written in octal (it is 0o%o); write modes with 0o, such as %s", text, n, want)
		*good = false
		return
	}
	mode := uint32(n)
	m.Mode = &mode
}

func (d *fileDecoder) decodeSymlink(t map[string]any, p string, m *Mount, good *bool) {
	v, kp, ok := d.child(t, p, "link_to")
	if !ok {
		if kp == "" {
			d.errorf(p, `a symlink entry needs link_to = "what/it/points/to"`)
		}
		*good = false
		return
	}
	s, ok := d.str(v, kp, 0)
	switch {
	case !ok:
		*good = false
	case s == "":
		d.errorf(kp, "empty link_to; write what the link points to, a relative or absolute path")
		*good = false
	case len(s) > maxPathLen:
		d.errorf(kp, "link_to is %d bytes long; the limit is %d", len(s), maxPathLen)
		*good = false
	default:
		m.LinkTo = s
	}
}

func (d *fileDecoder) decodeOverlay(t map[string]any, p string, m *Mount, good *bool) {
	v, kp, ok := d.child(t, p, "lower")
	if !ok {
		if kp == "" {
			d.errorf(p, `an overlay entry needs lower = ["/dir", ...], the read-only layers, top first`)
		}
		*good = false
	} else {
		vals, paths := d.stringList(v, kp, 0)
		if len(v.([]any)) == 0 {
			d.errorf(kp, `lower is empty; write at least one dir, such as lower = ["/usr"]`)
			*good = false
		}
		for i, s := range vals {
			c, ok := d.checkPath(s, paths[i])
			if !ok {
				*good = false
				continue
			}
			m.Lower = append(m.Lower, c)
		}
		if len(vals) != len(v.([]any)) {
			*good = false
		}
	}
	upper, upperPath, hasUpper := d.optionalPath(t, p, "upper", good)
	work, workPath, hasWork := d.optionalPath(t, p, "work", good)
	m.Upper, m.Work = upper, work
	switch {
	case hasUpper && !hasWork && workPath == "":
		d.errorf(upperPath, `upper needs work = "/dir", an empty dir on the same filesystem as upper`)
		*good = false
	case hasWork && !hasUpper && upperPath == "":
		d.errorf(workPath, "work applies only with upper; remove it, or add upper")
		*good = false
	case hasUpper && hasWork && upper == work:
		d.errorf(workPath, "work must be a different dir from upper")
		*good = false
	}
	if hasUpper && m.Size != 0 {
		d.errorf(joinKey(p, "size"), "size applies to the tmpfs upper of an overlay without upper; remove size or upper")
		*good = false
	}
}

func (d *fileDecoder) optionalPath(t map[string]any, p, key string, good *bool) (string, string, bool) {
	v, kp, ok := d.child(t, p, key)
	if !ok {
		return "", kp, false
	}
	s, ok := d.path(v, kp)
	if !ok {
		*good = false
	}
	return s, kp, ok
}

// namesCwd reports whether a [[mount]] entry's source or target uses
// ${CWD}.
func namesCwd(t map[string]any) bool {
	for _, key := range []string{"source", "target"} {
		if s, ok := t[key].(string); ok && strings.Contains(s, "${CWD}") {
			return true
		}
	}
	return false
}
