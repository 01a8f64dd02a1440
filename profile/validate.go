package profile

import (
	"fmt"
	"slices"
)

// validate runs every check (checks.go) on the merged profile.
func validate(p *Profile, m *merged, env Env) Errors {
	v := &validator{p: p, m: m, env: env}
	for _, c := range checks {
		v.check = c.name
		c.run(v)
	}
	return v.errs
}

type validator struct {
	p     *Profile
	m     *merged
	env   Env
	check string // the check running, which its errors carry
	errs  Errors
}

// errAt reports a problem at the place key was set.
func (v *validator) errAt(o Origin, key, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: o.File, Line: o.Line, Col: o.Col, Key: key, Msg: fmt.Sprintf(format, args...), Check: v.check})
}

// setAt returns where a scalar was set, and whether it was.
func (v *validator) setAt(key string) (Origin, bool) {
	s, ok := v.m.scalars[key]
	return s.at, ok
}

func (v *validator) mountNamespace() {
	if o, ok := v.setAt("namespaces.mount"); ok && !v.p.Namespaces.Mount {
		v.errAt(o, "namespaces.mount", "the filesystem view needs a mount namespace; remove this line or write mount = true")
	}
}

func (v *validator) utsForNames() {
	// Without its own UTS namespace, a root launcher would rename the
	// host itself (checklist I5).
	for _, key := range []string{"hostname", "domainname"} {
		o, ok := v.setAt(key)
		if !ok || v.p.Namespaces.UTS || v.m.bad["namespaces.uts"] {
			continue
		}
		where := ""
		if uo, ok := v.setAt("namespaces.uts"); ok {
			where = " (it is false at " + originString(uo, o.File) + ")"
		}
		v.errAt(o, key, "%s needs a UTS namespace%s: set namespaces.uts = true, or remove %s", key, where, key)
	}
}

func (v *validator) terminalInjection() {
	if v.p.Seccomp.Policy == PolicyNone && !v.p.Process.NewSession && !v.m.bad["process.new_session"] {
		o, _ := v.setAt("seccomp.policy")
		v.errAt(o, "seccomp.policy", "TIOCSTI would be open: set process.new_session = true or keep a seccomp policy")
	}
}

func (v *validator) defaultActionAllowList() {
	if o, ok := v.setAt("seccomp.default_action"); ok && v.p.Seccomp.Policy != PolicyAllowList && !v.m.bad["seccomp.policy"] {
		v.errAt(o, "seccomp.default_action", "default_action applies only with policy = \"allow-list\"; remove it, or set the policy")
	}
}

func (v *validator) terminalGuardNeedsFilter() {
	if o, ok := v.setAt("seccomp.allow_terminal_injection"); ok && v.p.Seccomp.Policy == PolicyNone && !v.m.bad["seccomp.policy"] {
		v.errAt(o, "seccomp.allow_terminal_injection", "the terminal guard is part of the filter, and policy = \"none\" has none; remove this line, or choose a policy")
	}
}

func (v *validator) syscallsNeedFilter() {
	sc := v.p.Seccomp
	if sc.Policy == PolicyNone && len(sc.Syscalls) > 0 && !v.m.bad["seccomp.policy"] {
		r := sc.Syscalls[0]
		v.errAt(r.At, "seccomp.syscalls."+r.Name, "syscall rules have no effect with policy = \"none\"; remove them, or choose a policy")
	}
}

// maxMapEntries is the kernel's limit on lines in a uid_map or gid_map.
const maxMapEntries = 340

// idMap is one of the explicit id maps, with what the checks of it need.
type idMap struct {
	key     string // "identity.uid_map"
	ranges  []IDRange
	entries []entry
	idKey   string // "identity.uid"
	id      *uint32
	own     uint32 // the caller's id, run as when idKey is unset
}

// idMaps returns the explicit maps the profile writes.
func (v *validator) idMaps() []idMap {
	id := v.p.Identity
	var out []idMap
	for _, mp := range []idMap{
		{key: "identity.uid_map", ranges: id.UIDMap, idKey: "identity.uid", id: id.UID, own: v.env.UID},
		{key: "identity.gid_map", ranges: id.GIDMap, idKey: "identity.gid", id: id.GID, own: v.env.GID},
	} {
		mp.entries = v.m.lists[mp.key]
		if len(mp.entries) > 0 {
			out = append(out, mp)
		}
	}
	return out
}

func (v *validator) subidsOrMaps() {
	if !v.p.Identity.Subids {
		return
	}
	for _, mp := range v.idMaps() {
		o, _ := v.setAt("identity.subids")
		v.errAt(o, "identity.subids", "subids and %s are exclusive: an explicit map already says which ids exist; remove one", mp.key[len("identity."):])
	}
}

func (v *validator) mapSize() {
	for _, mp := range v.idMaps() {
		if len(mp.entries) > maxMapEntries {
			e := mp.entries[maxMapEntries]
			v.errAt(e.at, e.path, "%d map entries; the kernel accepts at most %d", len(mp.entries), maxMapEntries)
		}
	}
}

func (v *validator) mapOverlap() {
	for _, mp := range v.idMaps() {
		if len(mp.entries) > maxMapEntries {
			continue // map-size says enough
		}
		v.overlaps(mp.entries, "inside", func(r IDRange) uint32 { return r.Inside })
		v.overlaps(mp.entries, "outside", func(r IDRange) uint32 { return r.Outside })
	}
}

func (v *validator) idInMap() {
	for _, mp := range v.idMaps() {
		if len(mp.entries) > maxMapEntries || v.m.bad[mp.idKey] {
			continue // map-size, or the id's own error, says enough
		}
		want, o, key := mp.own, mp.entries[0].at, mp.entries[0].path
		if mp.id != nil {
			want = *mp.id
			o, _ = v.setAt(mp.idKey)
			key = mp.idKey
		}
		covered := slices.ContainsFunc(mp.ranges, func(r IDRange) bool {
			return want >= r.Inside && uint64(want) < uint64(r.Inside)+uint64(r.Count)
		})
		if !covered {
			v.errAt(o, key, "id %d is not inside any %s range; add a range that covers it, or change %s", want, mp.key[len("identity."):], mp.idKey[len("identity."):])
		}
	}
}

// overlaps reports id map entries whose ranges share ids on one side; the
// kernel refuses such a map, and an overlap outside would give two
// sandbox ids the same host id.
func (v *validator) overlaps(entries []entry, side string, start func(IDRange) uint32) {
	for i := range entries {
		a := entries[i].val.(IDRange)
		for j := 0; j < i; j++ {
			b := entries[j].val.(IDRange)
			as, bs := uint64(start(a)), uint64(start(b))
			if as < bs+uint64(b.Count) && bs < as+uint64(a.Count) {
				v.errAt(entries[i].at, entries[i].path,
					"%s ids %d-%d overlap %d-%d of the entry at %s; map each id once",
					side, as, as+uint64(a.Count)-1, bs, bs+uint64(b.Count)-1, originString(entries[j].at, entries[i].at.File))
				break
			}
		}
	}
}

func (v *validator) mountCount() {
	if entries := v.m.lists["mount"]; len(entries) > maxMounts {
		e := entries[maxMounts]
		v.errAt(e.at, e.path, "the merged profile has %d mounts; the limit is %d", len(entries), maxMounts)
	}
}

func (v *validator) mountTargetOnce() {
	entries := v.m.lists["mount"]
	if len(entries) > maxMounts {
		return // mount-count says enough
	}
	first := map[string]entry{}
	for _, e := range entries {
		mt := e.val.(Mount)
		// remount-ro names a path an earlier entry mounted; that is its
		// whole point, not a duplicate.
		if mt.Type == MountRemountRO {
			continue
		}
		prev, dup := first[mt.Target]
		if !dup {
			first[mt.Target] = e
			continue
		}
		hint := "remove one"
		if prev.at.File != e.at.File {
			hint = fmt.Sprintf("to replace the inherited one, add merge.remove.mount = [%s]", quote(mt.Target))
		}
		v.errAt(e.at, e.path+".target", "target %s is already mounted by the entry at %s; %s",
			quote(mt.Target), originString(prev.at, e.at.File), hint)
		if e.cwd || prev.cwd {
			v.errs[len(v.errs)-1].Situation = cwdDuplicateSituation(mt.Target)
		}
	}
}
