package compile

import (
	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// insideIDs returns the uid and gid the payload runs as: the profile's, or
// the caller's own.
func (c *compiler) insideIDs() (uint32, uint32) {
	uid, gid := c.h.UID, c.h.GID
	if c.p.Identity.UID != nil {
		uid = *c.p.Identity.UID
	}
	if c.p.Identity.GID != nil {
		gid = *c.p.Identity.GID
	}
	return uid, gid
}

// idMapping decides how the new user namespace maps ids, and who may write
// the maps: the sandbox itself (one id, its own), the root launcher
// (explicit maps) or newuidmap/newgidmap (ranges granted in /etc/subuid).
func (c *compiler) idMapping() *plan.IDMapping {
	p := c.p
	id := p.Identity
	if !p.Namespaces.User {
		if !c.h.Root() {
			c.fail(c.origin("namespaces.user"), "namespaces.user",
				"a launcher that is not root can only build a sandbox inside a new user namespace; set namespaces.user = true (or run as root)")
		}
		// Maps without a user namespace are refused by the profile
		// (check maps-need-userns).
		if c.h.Root() && !c.hostRoot() {
			c.refuseRootWithoutUserns()
		}
		return nil
	}
	uid, gid := c.insideIDs()
	m := &plan.IDMapping{At: plan.Origin(c.origin("identity"))}
	switch {
	case len(id.UIDMap) > 0 || len(id.GIDMap) > 0:
		if !c.h.Root() {
			key := "identity.uid_map"
			if len(id.UIDMap) == 0 {
				key = "identity.gid_map"
			}
			c.fail(c.origin(key), key,
				"explicit id maps can only be applied by a launcher running as root; use identity.subids = true to map the ranges /etc/subuid grants you")
		}
		hu, hg := uint32(0), uint32(0)
		if c.h.Root() && !c.hostRoot() {
			c.refuseHostRootMaps()
			var from string
			hu, hg, from = c.unprivilegedIDs()
			m.Note = "a root launch: the profile's maps, which are never to host root without identity.host_root"
			if len(id.UIDMap) == 0 || len(id.GIDMap) == 0 {
				// The side the profile leaves out maps the
				// payload's own id.
				m.Note = rootNote(hu, hg, from)
			}
		}
		m.UIDMap = planIDs(orSingle(id.UIDMap, uid, hu))
		m.GIDMap = planIDs(orSingle(id.GIDMap, gid, hg))
		m.At = plan.Origin(c.origin("identity.uid_map"))
	case id.Subids:
		m.At = plan.Origin(c.origin("identity.subids"))
		if c.hostRoot() {
			// Root needs no helper: with identity.host_root the
			// ids map to the same ids on the host, like a rootful
			// container.
			m.UIDMap = planIDs([]profile.IDRange{{Inside: 0, Outside: 0, Count: 65536}})
			m.GIDMap = planIDs([]profile.IDRange{{Inside: 0, Outside: 0, Count: 65536}})
			break
		}
		if c.h.Root() {
			// Root needs no helper either, but maps its own grants
			// (or a fixed unprivileged range), never host root.
			c.rootSubIDs(m, uid, gid)
			break
		}
		if len(c.h.SubUIDs) == 0 || len(c.h.SubGIDs) == 0 {
			c.fail(profile.Origin(m.At), "identity.subids",
				"no subordinate ids are granted to %s in /etc/subuid and /etc/subgid; add a line such as %q to both (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s), or set identity.subids = false",
				c.h.User, c.h.User+":100000:65536", c.h.User)
		}
		m.UIDMap = planIDs(withSubIDs(uid, c.h.UID, c.h.SubUIDs))
		m.GIDMap = planIDs(withSubIDs(gid, c.h.GID, c.h.SubGIDs))
		m.Helper = true
		// newgidmap leaves setgroups allowed for a granted range, and
		// with it the payload (uid 0 inside) could shed the caller's
		// supplementary groups and read what they shut out through
		// "other" (P4, P8). The launcher denies it first; newgidmap
		// never writes "allow" over a "deny".
		m.DenySetgroups = true
	case c.h.Root() && !c.hostRoot():
		// One id each, an unprivileged host one: the launcher
		// writes the map.
		c.rootSingleMap(m, uid, gid)
	default:
		// One id, the caller's own (host root's with
		// identity.host_root): the sandbox writes this map itself,
		// which the kernel allows only after setgroups is denied.
		m.UIDMap = planIDs([]profile.IDRange{{Inside: uid, Outside: c.h.EUID, Count: 1}})
		m.GIDMap = planIDs([]profile.IDRange{{Inside: gid, Outside: c.gidOutside(), Count: 1}})
		m.DenySetgroups = true
	}
	return m
}

// gidOutside is the host gid the caller's own single gid map points at.
func (c *compiler) gidOutside() uint32 {
	if c.h.Root() {
		return 0
	}
	return c.h.GID
}

// singleID reports whether the plan maps exactly one uid and one gid, the
// only case in which the sandbox can lock its mounts by itself.
func singleID(m *plan.IDMapping) bool {
	return m != nil && !m.Helper && len(m.UIDMap) == 1 && m.UIDMap[0].Count == 1 &&
		len(m.GIDMap) == 1 && m.GIDMap[0].Count == 1
}

func orSingle(r []profile.IDRange, inside, outside uint32) []profile.IDRange {
	if len(r) > 0 {
		return r
	}
	return []profile.IDRange{{Inside: inside, Outside: outside, Count: 1}}
}

// withSubIDs maps the caller's own id to inside, and the granted ranges to
// the remaining ids from 0 upwards, skipping inside.
func withSubIDs(inside, own uint32, grants []hostview.SubIDRange) []profile.IDRange {
	out := []profile.IDRange{{Inside: inside, Outside: own, Count: 1}}
	next := uint32(0)
	for _, g := range grants {
		start, count := g.Start, g.Count
		for count > 0 {
			if next == inside {
				next++
			}
			n := count
			if next < inside && next+n > inside {
				n = inside - next
			}
			out = append(out, profile.IDRange{Inside: next, Outside: start, Count: n})
			next += n
			start += n
			count -= n
		}
	}
	return out
}

// setIDs returns the step that switches ids, when the sandbox does not
// already run as them.
func (c *compiler) setIDs(uid, gid uint32) (plan.SetIDs, bool) {
	at := plan.From{At: plan.Origin(c.origin("identity.uid"))}
	if !c.p.Namespaces.User {
		// Root mode without a user namespace: the child is host root.
		if uid == 0 && gid == 0 {
			return plan.SetIDs{}, false
		}
		// Supplementary groups are dropped: root's groups must not
		// follow the payload.
		return plan.SetIDs{From: at, UID: uid, GID: gid, Groups: []uint32{}}, true
	}
	m := c.p.Identity
	if len(m.UIDMap) > 0 || len(m.GIDMap) > 0 || (m.Subids && c.h.Root()) {
		// The root launcher's child starts as whatever host root maps
		// to (or as inside id 0 when host root is not mapped); switch
		// to the declared ids.
		return plan.SetIDs{From: at, UID: uid, GID: gid, Groups: []uint32{}}, true
	}
	return plan.SetIDs{}, false
}
