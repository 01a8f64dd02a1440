package compile

import (
	"fmt"
	"strconv"

	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// A sandbox that root starts must not hand out host root (checklist R1).
// Without a user namespace, or with one whose maps send the sandbox's ids
// to host id 0, the payload is host uid 0: it owns every file host root
// owns, and a file it creates in a writable bind (a set-uid copy of a
// shell, say) is host root's too. So a root launch maps the sandbox's ids
// to an unprivileged host id, and host root is mapped only when the
// profile says identity.host_root = true.

// overflowID is the id a root launch maps to when nobody invoked it
// through sudo or pkexec: the kernel's overflow uid and gid ("nobody"),
// an id that owns nothing on a usual system.
const overflowID = 65534

// RootSubIDStart and RootSubIDCount are the host ids a root launch with
// identity.subids maps when /etc/subuid (or /etc/subgid) grants root
// nothing: 65536 ids from 0x70000000. They exclude host root, and lie in
// the range systemd leaves unused (above its container range, 524288 to
// 1879048191, below its foreign range from 0x7FFE0000), far above what
// useradd hands out as subordinate ids (100000 to 600100000 by default)
// and below 2^31, which some tools mishandle.
const (
	RootSubIDStart = 0x70000000
	RootSubIDCount = 65536
)

// hostRoot reports whether the sandbox may be host root: a root launch
// whose profile says identity.host_root = true.
func (c *compiler) hostRoot() bool {
	return c.h.Root() && c.p.Identity.HostRoot
}

// unprivilegedIDs returns the host uid and gid a root launch maps the
// sandbox's ids to: the invoking user's when root was gained through sudo
// (SUDO_UID, SUDO_GID) or pkexec (PKEXEC_UID, with the group the user
// database gives it), else the overflow id. A set-id launcher maps to its
// real ids: its environment is the caller's and says nothing trustworthy.
func (c *compiler) unprivilegedIDs() (uid, gid uint32, from string) {
	if c.h.UID != 0 {
		gid = c.h.GID
		if gid == 0 {
			gid = overflowID
		}
		return c.h.UID, gid, "the caller's real ids (a set-id launch)"
	}
	if u, ok := c.envID("SUDO_UID"); ok {
		if g, ok := c.envID("SUDO_GID"); ok {
			return u, g, "the sudo caller's (SUDO_UID, SUDO_GID)"
		}
		return u, overflowID, "the sudo caller's (SUDO_UID; no SUDO_GID, so the overflow group)"
	}
	if u, ok := c.envID("PKEXEC_UID"); ok {
		if g, ok := c.h.PasswdGID(u); ok && g != 0 {
			return u, g, "the pkexec caller's (PKEXEC_UID, and its group from the user database)"
		}
		return u, overflowID, "the pkexec caller's (PKEXEC_UID; no group in the user database, so the overflow group)"
	}
	return overflowID, overflowID, "the overflow id nobody (no SUDO_UID or PKEXEC_UID says who invoked root)"
}

// rootNote says, for explain, which host ids a root launch maps to and why.
func rootNote(uid, gid uint32, from string) string {
	return fmt.Sprintf("a root launch: the sandbox's ids map to host uid %d and gid %d, %s, never to host root (identity.host_root); files the payload creates are theirs",
		uid, gid, from)
}

// envID reads a numeric, non-zero id from the caller's variable name.
func (c *compiler) envID(name string) (uint32, bool) {
	v, ok := c.h.Getenv(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 || n > hostview.MaxID {
		return 0, false
	}
	return uint32(n), true
}

// rootSingleMap maps the payload's own ids, one each, to the unprivileged
// host ids. The launcher writes this map (the sandbox may only map the id
// it had on the host), and leaves setgroups allowed so that the sandbox
// drops host root's supplementary groups before anything else
// (sbx_become): with group 0 it would still reach what host root's group
// may.
func (c *compiler) rootSingleMap(m *plan.IDMapping, uid, gid uint32) {
	hu, hg, from := c.unprivilegedIDs()
	m.Note = rootNote(hu, hg, from)
	m.UIDMap = planIDs([]profile.IDRange{{Inside: uid, Outside: hu, Count: 1}})
	m.GIDMap = planIDs([]profile.IDRange{{Inside: gid, Outside: hg, Count: 1}})
}

// rootSubIDs maps the payload's ids to the unprivileged host ids and the
// rest of 0..65535 to root's own /etc/subuid and /etc/subgid grants, or to
// the fixed range when it has none. The launcher writes these maps itself.
func (c *compiler) rootSubIDs(m *plan.IDMapping, uid, gid uint32) {
	hu, hg, from := c.unprivilegedIDs()
	m.Note = rootNote(hu, hg, from) + "; the other ids map to root's /etc/subuid and /etc/subgid grants, or to 65536 ids from " +
		strconv.Itoa(RootSubIDStart) + " where it has none"
	fixed := []hostview.SubIDRange{{Start: RootSubIDStart, Count: RootSubIDCount}}
	for _, kind := range []struct {
		file   string
		grants []hostview.SubIDRange
		inside uint32
		own    uint32
		out    *[]plan.IDRange
	}{
		{"/etc/subuid", c.h.SubUIDs, uid, hu, &m.UIDMap},
		{"/etc/subgid", c.h.SubGIDs, gid, hg, &m.GIDMap},
	} {
		grants := kind.grants
		if len(grants) == 0 {
			grants = fixed
		}
		for _, g := range grants {
			if g.Start == 0 {
				c.fail(profile.Origin(m.At), "identity.subids",
					"%s grants root a range that starts at host id 0 (root): a sandbox using it would own host root's files; give root a range of unprivileged ids there (such as root:%d:%d), or set identity.host_root = true",
					kind.file, RootSubIDStart, RootSubIDCount)
				return
			}
		}
		*kind.out = planIDs(withSubIDs(kind.inside, kind.own, grants))
	}
}

// refuseHostRootMaps rejects explicit maps that send an id to host root
// without identity.host_root.
func (c *compiler) refuseHostRootMaps() {
	for _, mp := range []struct {
		key string
		r   []profile.IDRange
	}{{"identity.uid_map", c.p.Identity.UIDMap}, {"identity.gid_map", c.p.Identity.GIDMap}} {
		for i, x := range mp.r {
			if x.Outside != 0 {
				continue
			}
			key := fmt.Sprintf("%s[%d]", mp.key, i)
			c.fail(c.origin(key), key,
				"maps inside id %d to host id 0 (root): the payload would own every file host root owns; map it to an unprivileged host id (outside = %d and up), or set identity.host_root = true to allow it",
				x.Inside, overflowID)
		}
	}
}

// refuseRootWithoutUserns rejects a root launch without a user namespace
// whose payload would be host uid or gid 0.
func (c *compiler) refuseRootWithoutUserns() {
	uid, gid := c.insideIDs()
	if uid != 0 && gid != 0 {
		return
	}
	c.fail(c.origin("namespaces.user"), "namespaces.user",
		"without a user namespace the payload of a root launch runs as host uid %d and gid %d, and owns what host root owns; set non-zero identity.uid and identity.gid, or namespaces.user = true (the sandbox's root then maps to an unprivileged host id), or identity.host_root = true to allow it",
		uid, gid)
}
