package main

import (
	"fmt"
	"os"
	"strings"
)

// keyFile is a desktop entry or a D-Bus service file kept line by line, so
// that a rewritten entry keeps every comment, translation and vendor key of
// the original in place and changes only the lines it must.
type keyFile struct {
	path  string
	lines []keyLine
}

// keyLine is one line. group is the group the line belongs to ("" before
// the first header); key is empty for comments, blank lines and headers.
type keyLine struct {
	text   string
	group  string
	header bool
	key    string
	value  string // as written: string escapes not undone
}

// maxKeyFile bounds what we read: entries are a few kilobytes, and
// dbus-daemon itself refuses service files over 128 KiB.
const maxKeyFile = 1 << 20

func readKeyFile(path string) (*keyFile, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if info.Size() > maxKeyFile {
		return nil, fmt.Errorf("%s is larger than %d bytes; not a desktop entry", path, maxKeyFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseKeyFile(path, string(data)), nil
}

// parseKeyFile reads text leniently: a line that is neither a header, a
// comment nor key=value is kept as it is and means nothing, as menus
// treat it.
func parseKeyFile(path, text string) *keyFile {
	kf := &keyFile{path: path}
	group := ""
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if text == "" {
		return kf
	}
	for _, raw := range strings.Split(text, "\n") {
		l := keyLine{text: raw, group: group}
		trimmed := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]"):
			group = trimmed[1 : len(trimmed)-1]
			l.group, l.header = group, true
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		default:
			if k, v, ok := strings.Cut(raw, "="); ok {
				l.key = strings.TrimSpace(k)
				l.value = strings.TrimLeft(v, " \t")
			}
		}
		kf.lines = append(kf.lines, l)
	}
	return kf
}

// get is the first value of key in group, as written in the file.
func (kf *keyFile) get(group, key string) (string, bool) {
	for _, l := range kf.lines {
		if !l.header && l.group == group && l.key == key {
			return l.value, true
		}
	}
	return "", false
}

// str is the unescaped string value of key in group, "" when absent.
func (kf *keyFile) str(group, key string) string {
	v, _ := kf.get(group, key)
	return unescapeString(v)
}

// boolean reads a boolean key; only the literal "true" is true.
func (kf *keyFile) boolean(group, key string) bool {
	v, _ := kf.get(group, key)
	return strings.TrimSpace(v) == "true"
}

// groups lists the group names in file order.
func (kf *keyFile) groups() []string {
	var out []string
	for _, l := range kf.lines {
		if l.header {
			out = append(out, l.group)
		}
	}
	return out
}

func (kf *keyFile) hasGroup(group string) bool {
	for _, g := range kf.groups() {
		if g == group {
			return true
		}
	}
	return false
}

// String renders the file; every line ends in a newline.
func (kf *keyFile) String() string {
	var b strings.Builder
	for _, l := range kf.lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// baseKey is a key without its locale: "Exec[de]" is "Exec".
func baseKey(key string) string {
	if i := strings.IndexByte(key, '['); i > 0 {
		return key[:i]
	}
	return key
}

// The groups of a desktop entry and a D-Bus service file.
const (
	groupEntry      = "Desktop Entry"
	groupActionPfx  = "Desktop Action "
	groupDBus       = "D-BUS Service"
	keyProfile      = "X-Sandbox-Profile"
	keyOriginal     = "X-Sandbox-Original"
	dbusActivatable = "DBusActivatable"
)

// markerGroup is the group that carries our marker keys in kf: the
// desktop entry's main group or the D-Bus service group.
func markerGroup(kf *keyFile) string {
	if kf.hasGroup(groupDBus) && !kf.hasGroup(groupEntry) {
		return groupDBus
	}
	return groupEntry
}

// ours reports whether sandbox wrote kf: it carries our marker.
func ours(kf *keyFile) bool {
	_, ok := kf.get(markerGroup(kf), keyProfile)
	return ok
}

// execGroups are the groups of a desktop entry that can start the program.
func isExecGroup(group string) bool {
	return group == groupEntry || strings.HasPrefix(group, groupActionPfx) || group == groupDBus
}
