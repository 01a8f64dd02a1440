package profile

import (
	"fmt"
	"sort"
)

// listMode is how a list or table key merges across layers.
type listMode int

const (
	// appendAll keeps every entry in order (mounts, id maps).
	appendAll listMode = iota
	// stringSet appends entries whose key is new (capability names).
	stringSet
	// keyedTable replaces an entry with the same key in place and
	// appends new keys (seccomp.syscalls, environment.set, limits).
	keyedTable
)

// listModeOf says how the key list (a list or a table) merges across
// layers; a key not named here keeps every entry (appendAll), as mounts
// and id maps do.
func listModeOf(list string) listMode {
	switch list {
	case "programs", "capabilities.keep", "environment.keep", "environment.unset",
		"filesystem.unprotect", "process.pass_fds",
		"dbus.session.talk", "dbus.session.own", "dbus.session.see", "dbus.session.call", "dbus.session.broadcast",
		"dbus.system.talk", "dbus.system.own", "dbus.system.see", "dbus.system.call", "dbus.system.broadcast",
		// Forwards are keyed by their canonical form, so an inherited
		// forward written again is kept once; a different forward of
		// the same host port is an error of the merged profile.
		"network.forward", "test.requires",
		"network.connect_ports", "network.bind_ports",
		// Allow-list entries are keyed by their canonical form.
		"network.allow", "network.allow_private",
		"landlock.read_only", "landlock.read_write":
		return stringSet
	case "seccomp.syscalls", "environment.set", "limits",
		// A host mapping is keyed by its name, so a later layer maps a
		// name anew.
		"network.hosts":
		return keyedTable
	}
	return appendAll
}

// merged is the running result of merging layers, base first.
type merged struct {
	scalars map[string]scalar
	lists   map[string][]entry
	bad     map[string]bool // key paths with an error in any layer

	// at indexes the sets and keyed tables: list -> entry key -> its
	// place in lists[list], so that merging stays linear in the number
	// of entries (a profile of 20,000 variables took a second, B14).
	// A list's index is built on first use and dropped when the list
	// changes otherwise.
	at map[string]map[string]int
}

// mergeLayers folds the layers in order: scalars, last wins; lists,
// appended; tables, key by key. Each layer's [merge] section applies to
// what came before it.
func mergeLayers(layers []*layer) (*merged, Errors) {
	m := &merged{scalars: map[string]scalar{}, lists: map[string][]entry{}, bad: map[string]bool{},
		at: map[string]map[string]int{}}
	var errs Errors
	for _, l := range layers {
		for k := range l.bad {
			m.bad[k] = true
		}
		for _, r := range l.replace {
			delete(m.lists, r.key)
			delete(m.at, r.key)
			// test.command, test.setup and test.check are whole
			// values: replacing one drops the inherited command.
			delete(m.scalars, r.key)
		}
		for _, list := range sortedListKeys(l.remove) {
			for _, r := range l.remove[list] {
				if !m.removeEntry(list, r.key) {
					errs = append(errs, &Error{File: r.at.File, Line: r.at.Line, Col: r.at.Col, Key: r.path,
						Msg: fmt.Sprintf("no inherited %s entry %s to remove; check the spelling, or delete this line", list, quote(r.val.(string)))})
				}
			}
		}
		for k, v := range l.scalars {
			m.scalars[k] = v
		}
		for _, list := range sortedListKeys(l.lists) {
			for _, e := range l.lists[list] {
				if list == "mount" && l.replaceTargets && m.replaceMount(e) {
					continue
				}
				m.add(list, e)
			}
		}
	}
	return m, errs
}

func (m *merged) add(list string, e entry) {
	mode := listModeOf(list)
	if mode == appendAll {
		m.lists[list] = append(m.lists[list], e)
		return
	}
	idx := m.index(list)
	if i, ok := idx[e.key]; ok {
		if mode == keyedTable {
			m.lists[list][i] = e
		}
		return
	}
	idx[e.key] = len(m.lists[list])
	m.lists[list] = append(m.lists[list], e)
}

// index returns the index of list, building it from the list.
func (m *merged) index(list string) map[string]int {
	idx := m.at[list]
	if idx == nil {
		idx = make(map[string]int, len(m.lists[list]))
		for i, x := range m.lists[list] {
			if _, dup := idx[x.key]; !dup {
				idx[x.key] = i
			}
		}
		m.at[list] = idx
	}
	return idx
}

// removeEntry drops every entry of list with key; false when there was none.
func (m *merged) removeEntry(list, key string) bool {
	kept := m.lists[list][:0:0]
	found := false
	for _, x := range m.lists[list] {
		if x.key == key {
			found = true
			continue
		}
		kept = append(kept, x)
	}
	m.lists[list] = kept
	delete(m.at, list)
	return found
}

func sortedListKeys(m map[string][]entry) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// replaceMount puts e in the place of the first inherited mount with its
// target, other than a remount-ro, and drops the rest; false when there is
// none.
func (m *merged) replaceMount(e entry) bool {
	target := e.val.(Mount).Target
	found := false
	kept := m.lists["mount"][:0:0]
	for _, x := range m.lists["mount"] {
		xm := x.val.(Mount)
		if xm.Target != target || xm.Type == MountRemountRO {
			kept = append(kept, x)
			continue
		}
		if !found {
			kept = append(kept, e)
			found = true
		}
	}
	if found {
		m.lists["mount"] = kept
		delete(m.at, "mount")
	}
	return found
}
