package main

import (
	"fmt"
	"os"
	"sandbox/hostview"
	"strings"
)

// subIDFindings: identity.subids maps more ids than the caller's own.
// Rootless it needs the caller's /etc/subuid and /etc/subgid lines and
// set-uid (or capable) newuidmap and newgidmap to apply them; root
// writes the maps itself and falls back to ids of its own choosing
// (compile/ids_root.go). Only such profiles need any of it, so
// nothing here fails.
func subIDFindings(h doctorHost) []doctorFinding {
	uids, uerr := hostview.ReadSubIDs(h.path("/etc/subuid"), h.User, h.UID)
	gids, gerr := hostview.ReadSubIDs(h.path("/etc/subgid"), h.User, h.UID)
	var fs []doctorFinding
	switch {
	case h.root():
		fs = append(fs, findOK("subids", "root: identity.subids maps root's /etc/subuid and /etc/subgid grants (%s, %s), else 65536 ids from 0x70000000",
			rangeText(uids), rangeText(gids)))
	case uerr != nil || gerr != nil || len(uids) == 0 || len(gids) == 0:
		var missing []string
		if len(uids) == 0 {
			missing = append(missing, "/etc/subuid")
		}
		if len(gids) == 0 {
			missing = append(missing, "/etc/subgid")
		}
		if len(missing) == 0 {
			missing = append(missing, "/etc/subuid or /etc/subgid (unreadable)")
		}
		fs = append(fs, findWarn("subids",
			fmt.Sprintf("sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s", h.User),
			"no grant for %s in %s: profiles with identity.subids = true cannot map more ids than your own", h.User, strings.Join(missing, " and ")))
	default:
		fs = append(fs, findOK("subids", "%s is granted %s in /etc/subuid and %s in /etc/subgid", h.User, rangeText(uids), rangeText(gids)))
	}
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		fs = append(fs, idmapToolFinding(h, tool))
	}
	return fs
}

func rangeText(rs []hostview.SubIDRange) string {
	if len(rs) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d ids from %d", r.Count, r.Start))
	}
	return strings.Join(parts, ", ")
}

// idmapToolFinding: newuidmap writes a map for an unprivileged caller
// only when it is set-uid root or holds CAP_SETUID (CAP_SETGID for
// newgidmap) as a file capability.
func idmapToolFinding(h doctorHost, tool string) doctorFinding {
	p, err := h.LookPath(tool)
	if err != nil {
		if h.root() {
			return findOK(tool, "%s is not installed; root launches write their id maps themselves", tool)
		}
		return findWarn(tool, "sudo apt-get install uidmap (the package with newuidmap and newgidmap)",
			"%s is not installed: profiles with identity.subids = true cannot run", tool)
	}
	st, err := os.Stat(h.path(p))
	switch {
	case err != nil:
		return findWarn(tool, "reinstall the uidmap package", "%s found at %s but cannot be read: %v", tool, p, err)
	case st.Mode()&os.ModeSetuid != 0:
		return findOK(tool, "%s is set-uid root", p)
	case h.FileCaps(h.path(p)):
		return findOK(tool, "%s has file capabilities", p)
	case h.root():
		return findOK(tool, "%s is neither set-uid nor capable, which only rootless launches need", p)
	}
	capName := "cap_setuid"
	if tool == "newgidmap" {
		capName = "cap_setgid"
	}
	return findWarn(tool, fmt.Sprintf("sudo chmod u+s %s, or sudo setcap %s+ep %s", p, capName, p),
		"%s is neither set-uid nor has file capabilities: it cannot write your subordinate id maps", p)
}

// helperFindings: the host programs some profiles start. network.mode =
// "nat" needs pasta or slirp4netns, D-Bus rules need xdg-dbus-proxy.
func helperFindings(h doctorHost) []doctorFinding {
	var fs []doctorFinding
	var found []string
	for _, name := range []string{"pasta", "slirp4netns"} {
		if p, err := h.LookPath(name); err == nil {
			found = append(found, p)
		}
	}
	if len(found) > 0 {
		fs = append(fs, findOK("network_helper", "network.mode = \"nat\" can use %s", strings.Join(found, ", ")))
	} else {
		fs = append(fs, findWarn("network_helper", "sudo apt-get install passt (or slirp4netns)",
			"neither pasta nor slirp4netns is installed: profiles with network.mode = \"nat\" cannot run"))
	}
	if p, err := h.LookPath("xdg-dbus-proxy"); err == nil {
		fs = append(fs, findOK("xdg_dbus_proxy", "D-Bus rules can use %s", p))
	} else {
		fs = append(fs, findWarn("xdg_dbus_proxy", "sudo apt-get install xdg-dbus-proxy",
			"xdg-dbus-proxy is not installed: profiles with D-Bus rules or portals cannot run"))
	}
	return fs
}
