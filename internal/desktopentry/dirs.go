package desktopentry

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// xdgData is where desktop entries and D-Bus service files live, per the
// XDG Base Directory Specification: the user's data directory first, then
// the system's in order. An entry in an earlier directory hides an entry
// with the same desktop file id in a later one; that shadowing is what
// `sandbox desktop install` relies on.
type xdgData struct {
	home   string   // $XDG_DATA_HOME, default ~/.local/share
	system []string // $XDG_DATA_DIRS, default /usr/local/share:/usr/share
}

// newXDGData reads the two variables. Relative paths are ignored, as the
// specification requires: they would depend on the menu's working
// directory.
func newXDGData(vars map[string]string, home string) xdgData {
	d := xdgData{home: vars["XDG_DATA_HOME"]}
	if !filepath.IsAbs(d.home) {
		d.home = filepath.Join(home, ".local", "share")
	}
	for _, dir := range strings.Split(vars["XDG_DATA_DIRS"], ":") {
		if filepath.IsAbs(dir) {
			d.system = append(d.system, filepath.Clean(dir))
		}
	}
	if len(d.system) == 0 {
		d.system = []string{"/usr/local/share", "/usr/share"}
	}
	return d
}

func (d xdgData) userApps() string     { return filepath.Join(d.home, "applications") }
func (d xdgData) userServices() string { return filepath.Join(d.home, "dbus-1", "services") }

// systemApps maps every desktop file id in the system directories to the
// entry that counts: the first directory holding the id wins.
func (d xdgData) systemApps() map[string]string {
	out := map[string]string{}
	for _, dir := range d.system {
		for id, path := range scanApps(filepath.Join(dir, "applications")) {
			if _, seen := out[id]; !seen {
				out[id] = path
			}
		}
	}
	return out
}

// userApp is the path of the user's entry for id, "" when there is none.
func (d xdgData) userApp(id string) string {
	return scanApps(d.userApps())[id]
}

// scanApps maps the desktop file ids under an applications directory to
// their paths. An entry in a subdirectory has the id of its relative path
// with "/" replaced by "-" (applications/kde/foo.desktop is kde-foo.desktop).
func scanApps(root string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(path, ".desktop") {
			return nil // an unreadable directory holds no entries we can use
		}
		rel, _ := filepath.Rel(root, path)
		out[strings.ReplaceAll(rel, string(filepath.Separator), "-")] = path
		return nil
	})
	return out
}

// sortedIDs is the ids of m in order, for stable output.
func sortedIDs(m map[string]string) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// systemService is the system D-Bus service file that starts the bus name,
// "" when there is none. The name inside the file counts, not the file's
// name, as for dbus-daemon.
func (d xdgData) systemService(name string) string {
	for _, dir := range d.system {
		if path := serviceIn(filepath.Join(dir, "dbus-1", "services"), name); path != "" {
			return path
		}
	}
	return ""
}

// userService is the user's D-Bus service file for the bus name, "" when
// there is none.
func (d xdgData) userService(name string) string {
	return serviceIn(d.userServices(), name)
}

// serviceIn finds the service file in dir that declares Name=name; the
// conventional NAME.service is tried first.
func serviceIn(dir, name string) string {
	conventional := filepath.Join(dir, name+".service")
	if serviceName(conventional) == name {
		return conventional
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, de := range entries {
		path := filepath.Join(dir, de.Name())
		if path != conventional && strings.HasSuffix(de.Name(), ".service") && serviceName(path) == name {
			return path
		}
	}
	return ""
}

func serviceName(path string) string {
	kf, err := readKeyFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(kf.str(groupDBus, "Name"))
}

// entryBusName is the D-Bus name GLib starts the entry at path by when it
// is DBusActivatable: the entry's file name, not its desktop file id (the
// entry applications/kde/org.kde.App.desktop has the id
// kde-org.kde.App.desktop and the name org.kde.App). Without a path, the
// id stands for the file name; a copy we kept aside is named as the entry
// it was.
func entryBusName(id, path string) (string, bool) {
	if path == "" {
		return busName(id)
	}
	return busName(strings.TrimSuffix(filepath.Base(path), backupSuffix))
}

// busName is the D-Bus name a DBusActivatable entry file is started by:
// its file name without ".desktop". ok is false when the id is not a
// valid bus name, in which case D-Bus cannot start it either.
func busName(id string) (string, bool) {
	name := strings.TrimSuffix(id, ".desktop")
	elems := strings.Split(name, ".")
	if len(elems) < 2 || len(name) > 255 {
		return name, false
	}
	for _, e := range elems {
		if e == "" || e[0] >= '0' && e[0] <= '9' {
			return name, false
		}
		for _, c := range e {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return name, false
			}
		}
	}
	return name, true
}
