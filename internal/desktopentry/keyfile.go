package desktopentry

import (
	"fmt"
	"os"
	"strings"
)

// keyFile is a desktop entry or a D-Bus service file kept line by line, so
// that a rewritten entry keeps every comment, translation and vendor key of
// the original in place and changes only the lines it must.
//
// The lines mean what they mean to GLib's GKeyFile, which every GLib
// menu, file manager and launcher reads entries with: a line that GLib
// reads as a key must never look like a group to us, or an Exec we do not
// see would run unsandboxed. keyfile_parse.go holds that grammar,
// and a differential test checks it against GLib itself.
type keyFile struct {
	path  string
	lines []keyLine
}

// keyLine is one line. group is the group the line belongs to ("" before
// the first header); key is empty for comments, blank lines and headers.
type keyLine struct {
	text   string // the line as GLib parses it: no end of line, no "\r" before it
	eol    string // "\n", "\r\n", or "" for a last line that has none
	num    int    // line number in the file, 0 for a line we added
	group  string
	header bool
	key    string // the whole key, locale included: "Name[de]"
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
	return parseKeyFile(path, string(data))
}

// get is the value of key in group as written in the file, the way GLib
// finds it: a group that appears twice is one group, and of a key written
// twice the last one counts.
func (kf *keyFile) get(group, key string) (string, bool) {
	for i := len(kf.lines) - 1; i >= 0; i-- {
		if l := kf.lines[i]; !l.header && l.key == key && l.group == group {
			return l.value, true
		}
	}
	return "", false
}

// keyLines lists every line that sets key in group, in file order.
func (kf *keyFile) keyLines(group, key string) []keyLine {
	var out []keyLine
	for _, l := range kf.lines {
		if !l.header && l.key == key && l.group == group {
			out = append(out, l)
		}
	}
	return out
}

// str is the unescaped string value of key in group, "" when absent.
func (kf *keyFile) str(group, key string) string {
	v, _ := kf.get(group, key)
	s, _ := glibString(v)
	return s
}

// boolean reads a boolean key as g_key_file_get_boolean does: "true" and
// "1" are true, whatever blanks follow; anything else, or no key, is
// false.
func (kf *keyFile) boolean(group, key string) bool {
	v, _ := kf.get(group, key)
	v = strings.TrimRight(v, glibSpace)
	return v == "true" || v == "1"
}

// groups lists the group names in the order they first appear.
func (kf *keyFile) groups() []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range kf.lines {
		if l.header && !seen[l.group] {
			seen[l.group] = true
			out = append(out, l.group)
		}
	}
	return out
}

func (kf *keyFile) hasGroup(group string) bool {
	for _, l := range kf.lines {
		if l.header && l.group == group {
			return true
		}
	}
	return false
}

// startGroup is the file's first group, "" when it has none. GLib reads a
// file as a desktop entry only when this is [Desktop Entry].
func (kf *keyFile) startGroup() string {
	for _, l := range kf.lines {
		if l.header {
			return l.group
		}
	}
	return ""
}

// String renders the file, each line with the end it had; a line we added
// ends in "\n", and so does a last line that had none once another
// follows it.
func (kf *keyFile) String() string {
	var b strings.Builder
	for i, l := range kf.lines {
		b.WriteString(l.text)
		switch {
		case l.eol != "":
			b.WriteString(l.eol)
		case i < len(kf.lines)-1:
			b.WriteByte('\n')
		}
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
