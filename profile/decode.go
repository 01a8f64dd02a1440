package profile

import (
	"fmt"
	"strings"
)

// decodeTop decodes every section of one file into d.l. Shapes and key
// names were checked by checkShapes; here each value gets its meaning.
func (d *fileDecoder) decodeTop(raw map[string]any) {
	if v, p, ok := d.child(raw, "", "description"); ok {
		if s, ok := d.str(v, p, verbatim); ok {
			d.setScalar(p, s)
		}
	}
	if v, p, ok := d.child(raw, "", "programs"); ok {
		d.decodePrograms(v, p)
	}
	if v, p, ok := d.child(raw, "", "extends"); ok {
		vals, paths := d.stringList(v, p, 0)
		for i, s := range vals {
			if s == "" {
				d.errorf(paths[i], `empty profile name; write a name such as "base" or a path such as "./base.toml"`)
				continue
			}
			d.l.extends = append(d.l.extends, entry{key: s, val: s, at: d.origin(paths[i]), path: paths[i]})
		}
	}
	for _, key := range []string{"hostname", "domainname"} {
		if v, p, ok := d.child(raw, "", key); ok {
			if s, ok := d.str(v, p, 0); ok {
				if msg := hostnameMessage(s, key == "domainname"); msg != "" {
					d.errorf(p, "%s", msg)
					continue
				}
				d.setScalar(p, s)
			}
		}
	}
	if t, p, ok := d.table(raw, "namespaces"); ok {
		for _, key := range sortedKeys(t) {
			d.boolAt(t, p, key)
		}
	}
	if t, p, ok := d.table(raw, "identity"); ok {
		d.decodeIdentity(t, p)
	}
	if t, p, ok := d.table(raw, "filesystem"); ok {
		d.boolAt(t, p, "persistent_home")
		if v, cp, ok := d.child(t, p, "cwd"); ok {
			if s, ok := d.path(v, cp); ok {
				d.setScalar(cp, s)
			}
		}
		d.boolAt(t, p, "cwd_notice")
		if v, up, ok := d.child(t, p, "unprotect"); ok {
			arr, _ := v.([]any)
			for i, e := range arr {
				ep := joinIndex(up, i)
				if d.bad[ep] {
					continue
				}
				if s, ok := d.path(e, ep); ok {
					d.addEntry(up, s, s, ep)
				}
			}
		}
	}
	if v, p, ok := d.child(raw, "", "mount"); ok {
		d.decodeMounts(v, p)
	}
	if t, p, ok := d.table(raw, "capabilities"); ok {
		d.decodeCapabilities(t, p)
	}
	if t, p, ok := d.table(raw, "seccomp"); ok {
		d.decodeSeccomp(t, p)
	}
	if t, p, ok := d.table(raw, "environment"); ok {
		d.decodeEnvironment(t, p)
	}
	if t, p, ok := d.table(raw, "limits"); ok {
		d.decodeLimits(t, p)
	}
	if t, p, ok := d.table(raw, "process"); ok {
		d.decodeProcess(t, p)
	}
	if t, p, ok := d.table(raw, "desktop"); ok {
		d.decodeDesktop(t, p)
	}
	if t, p, ok := d.table(raw, "dbus"); ok {
		d.decodeDBus(t, p)
	}
	if t, p, ok := d.table(raw, "network"); ok {
		d.decodeNetwork(t, p)
	}
	if t, p, ok := d.table(raw, "landlock"); ok {
		d.decodeLandlock(t, p)
	}
	if t, p, ok := d.table(raw, "test"); ok {
		d.decodeSmokeTest(t, p)
	}
	if t, p, ok := d.table(raw, "merge"); ok {
		d.decodeMerge(t, p)
	}
}

func (d *fileDecoder) decodePrograms(v any, p string) {
	vals, paths := d.stringList(v, p, verbatim)
	for i, s := range vals {
		switch {
		case s == "" || s == "." || s == "..":
			d.errorf(paths[i], "%s is not a program name; write an executable's basename such as \"firefox\"", quote(s))
		case strings.Contains(s, "/"):
			base := s[strings.LastIndexByte(s, '/')+1:]
			d.errorf(paths[i], "programs are matched by basename; write %s instead of %s", quote(base), quote(s))
		default:
			d.addEntry("programs", s, s, paths[i])
		}
	}
}

// maxID is the largest id a profile may name: 2^32-1 is (uid_t)-1, which
// the kernel reserves as "no id".
const maxID = 1<<32 - 2

func (d *fileDecoder) decodeIdentity(t map[string]any, p string) {
	for _, key := range []string{"uid", "gid"} {
		if v, kp, ok := d.child(t, p, key); ok {
			if n, ok := d.intIn(v, kp, 0, maxID); ok {
				d.setScalar(kp, uint32(n))
			}
		}
	}
	d.boolAt(t, p, "subids")
	d.boolAt(t, p, "host_root")
	for _, key := range []string{"uid_map", "gid_map"} {
		v, kp, ok := d.child(t, p, key)
		if !ok {
			continue
		}
		for i, elem := range tableList(v) {
			ep := joinIndex(kp, i)
			if d.bad[ep] {
				continue
			}
			if r, ok := d.idRange(elem.(map[string]any), ep); ok {
				d.addEntry(kp, "", r, ep)
			}
		}
	}
}

// idRange decodes one {inside, outside, count} entry and checks it alone;
// overlaps between entries are checked after merging.
func (d *fileDecoder) idRange(t map[string]any, p string) (IDRange, bool) {
	var vals [3]int64
	ok := true
	for i, key := range []string{"inside", "outside", "count"} {
		v, kp, present := d.child(t, p, key)
		if !present {
			if kp == "" { // absent, not merely bad
				d.errorf(p, "an id map entry needs inside, outside and count; %s is missing", key)
			}
			ok = false
			continue
		}
		// A range may run up to the last id, so count alone can be 2^32-1.
		hi := int64(maxID)
		if key == "count" {
			hi = maxID + 1
		}
		n, good := d.intIn(v, kp, 0, hi)
		vals[i], ok = n, ok && good
	}
	if !ok {
		return IDRange{}, false
	}
	r := IDRange{Inside: uint32(vals[0]), Outside: uint32(vals[1]), Count: uint32(vals[2])}
	switch {
	case vals[2] < 1:
		d.errorf(joinKey(p, "count"), "count must be at least 1")
		return r, false
	case vals[0]+vals[2] > maxID+1:
		d.errorf(joinKey(p, "count"), "inside + count is %d, past the last id %d; lower inside or count", vals[0]+vals[2], maxID)
		return r, false
	case vals[1]+vals[2] > maxID+1:
		d.errorf(joinKey(p, "count"), "outside + count is %d, past the last id %d; lower outside or count", vals[1]+vals[2], maxID)
		return r, false
	}
	return r, true
}

func (d *fileDecoder) decodeProcess(t map[string]any, p string) {
	for _, key := range []string{"die_with_parent", "new_session", "init", "nested_user_namespaces", "no_new_privs"} {
		d.boolAt(t, p, key)
	}
	v, kp, ok := d.child(t, p, "pass_fds")
	if !ok {
		return
	}
	for i, e := range v.([]any) {
		ep := joinIndex(kp, i)
		if d.bad[ep] {
			continue
		}
		// 0-2 are always passed; 1023 keeps a typo like 10240 from
		// asking for an fd no caller has.
		if n, ok := d.intIn(e, ep, 3, 1023); ok {
			d.addEntry(kp, fmt.Sprint(n), int(n), ep)
		}
	}
}

// decodeMerge reads [merge]: which inherited lists this file replaces and
// which inherited entries it removes.
func (d *fileDecoder) decodeMerge(t map[string]any, p string) {
	if v, kp, ok := d.child(t, p, "replace"); ok {
		vals, paths := d.stringList(v, kp, verbatim)
		for i, s := range vals {
			if !contains(replaceableKeys, s) {
				d.errorf(paths[i], "%s is not a list key%s", quote(s), suggestOr(s, replaceableKeys, "valid keys are "+strings.Join(replaceableKeys, ", ")))
				continue
			}
			d.l.replace = append(d.l.replace, entry{key: s, val: s, at: d.origin(paths[i]), path: paths[i]})
		}
	}
	rt, rp, ok := d.child(t, p, "remove")
	if !ok {
		return
	}
	rm := rt.(map[string]any)
	for _, list := range sortedKeys(rm) {
		v, lp, ok := d.child(rm, rp, list)
		if !ok {
			continue
		}
		if !contains(removableKeys, list) {
			hint := ""
			switch {
			case contains(wholeValueKeys, list):
				hint = fmt.Sprintf(", a command replaced whole: set it in this file, or use merge.replace = [%q] to drop the inherited one", list)
			case contains(replaceableKeys, list):
				hint = fmt.Sprintf("; use merge.replace = [%q] to drop the inherited list", list)
			}
			d.errorf(lp, "entries cannot be removed from %s%s%s", quote(list), hint, suggestOr(list, removableKeys, "valid keys are "+strings.Join(removableKeys, ", ")))
			continue
		}
		vals, paths := d.stringList(v, lp, 0)
		for i, s := range vals {
			key, ok := d.removeKey(list, s, paths[i])
			if ok {
				d.l.remove[list] = append(d.l.remove[list], entry{key: key, val: s, at: d.origin(paths[i]), path: paths[i]})
			}
		}
	}
}

// removeKey canonicalises an entry of merge.remove the way the list's own
// entries are keyed, so that "net_raw" removes "CAP_NET_RAW" and
// "/tmp/" removes the mount at "/tmp".
func (d *fileDecoder) removeKey(list, s, path string) (string, bool) {
	switch list {
	case "mount", "filesystem.unprotect":
		return d.checkPath(s, path)
	case "capabilities.keep":
		c, msg := canonicalCap(s)
		if msg != "" {
			d.errorf(path, "%s", msg)
			return "", false
		}
		return c, true
	case "network.forward":
		f, msg := parseForward(s)
		if msg != "" {
			d.errorf(path, "%s", msg)
			return "", false
		}
		return forwardKey(f), true
	case "test.requires":
		return d.checkPath(s, path)
	}
	return s, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
