package profile

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"sandbox/internal/lazy"
)

// A layer is one profile file, decoded: every value typed, checked on its
// own and with variables expanded, but not yet merged with the files it
// extends. Cross-value rules (hostname needs uts, duplicate targets) wait
// for the merged profile, because another layer may fix them.
type layer struct {
	src *sourceFile

	extends []entry            // val: string, as written (expanded)
	scalars map[string]scalar  // dotted key -> value
	lists   map[string][]entry // list or table key -> entries, in file order
	replace []entry            // val: list key
	remove  map[string][]entry // list key -> entries whose key is removed

	// bad holds the key paths that had an error, so that the merged
	// checks do not pile a second, misleading error on top: a uid
	// written as "0" should not also be reported as outside uid_map.
	bad map[string]bool

	// replaceTargets makes this layer's mounts replace inherited ones
	// with the same target, in place (the command line's layer).
	replaceTargets bool
}

// scalar is a single value and where it was set.
type scalar struct {
	val any
	at  Origin
}

// entry is one element of a list or table. key identifies it for
// de-duplication, [merge] remove and table overrides: the canonical
// capability name, the cleaned mount target, the syscall name.
type entry struct {
	key  string
	val  any
	at   Origin
	path string // key path in its own file, for messages
	// cwd marks a [[mount]] whose source or target names ${CWD}: what
	// it mounts depends on where the caller stands, not on the file.
	cwd bool
}

// fileDecoder turns one file's text into a layer, collecting errors.
type fileDecoder struct {
	src  *sourceFile
	loc  *locator
	x    expander
	bad  map[string]bool
	errs Errors
	l    *layer
}

// decodeLayer parses and checks one file. It returns the layer even when
// there are errors, so that the caller can still follow its extends and
// report problems in every file at once; the layer is nil only when the
// text is not TOML at all.
func decodeLayer(src *sourceFile, text string, env Env) (*layer, Errors) {
	d := &fileDecoder{
		src: src,
		x:   expander{env: env, profileDir: src.dir},
		bad: map[string]bool{},
		l: &layer{
			src:     src,
			scalars: map[string]scalar{},
			lists:   map[string][]entry{},
			remove:  map[string][]entry{},
		},
	}
	raw, loc, err := parseText(text)
	if err != nil {
		return nil, Errors{d.parseError(text, err)}
	}
	d.loc = loc
	d.checkShapes(raw)
	d.decodeTop(raw)
	d.l.bad = d.bad
	return d.l, d.errs
}

// origin is where path is written in this file.
func (d *fileDecoder) origin(path string) Origin {
	line, col, _ := d.loc.find(path)
	return Origin{File: d.src.display, Line: line, Col: col}
}

// errorf records a problem with the value at path.
func (d *fileDecoder) errorf(path, format string, args ...any) {
	d.bad[path] = true
	o := d.origin(path)
	d.errs = append(d.errs, &Error{File: o.File, Line: o.Line, Col: o.Col, Key: path, Msg: fmt.Sprintf(format, args...)})
}

// duplicateKeyMsg is compiled on first use: only a broken file needs it.
func duplicateKeyMsg() *regexp.Regexp { return duplicateKeyMsgValue.Get() }

var duplicateKeyMsgValue = lazy.Value[*regexp.Regexp]{Make: func() *regexp.Regexp {
	return regexp.MustCompile(`^Key '(.*)' has already been defined\.$`)
}}

// parseError turns the TOML decoder's error into ours, with the decoder's
// own position (checklist B1) and, for a duplicate key, the line of the
// first definition.
func (d *fileDecoder) parseError(text string, err error) *Error {
	e := &Error{File: d.src.display}
	var deep *ShapeError
	if errors.As(err, &deep) {
		// A second scan stops where the first did.
		e.Line, e.Col = locate(text).lineCol(deep.Offset)
		e.Key, e.Msg = escapeControls(deep.Path), deep.Error()
		return e
	}
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		e.Msg = "invalid TOML: " + err.Error()
		return e
	}
	loc := locate(text)
	e.Line, e.Col = loc.lineCol(pe.Position.Start)
	if e.Line < 1 {
		e.Line, e.Col = 1, 1
	}
	e.Key = pe.LastKey
	msg := pe.Message
	switch m := duplicateKeyMsg().FindStringSubmatch(msg); {
	case m != nil:
		e.Key = m[1]
		msg = fmt.Sprintf("%s is defined twice; keep one", quote(m[1]))
		if off, ok := loc.pos[m[1]]; ok {
			if line, _ := loc.lineCol(off); line != e.Line {
				msg = fmt.Sprintf("%s is defined twice (first at line %d); keep one", quote(m[1]), line)
			}
		}
	case strings.Contains(msg, "strings cannot contain newlines"):
		msg = `unterminated string: close it with " on the same line, or use """ for a string that spans lines`
	case strings.HasPrefix(msg, "unexpected EOF"):
		msg = "unexpected end of file" + strings.TrimPrefix(msg, "unexpected EOF") + "; close the string, array or table that is still open"
	case strings.Contains(msg, "out of range"):
		msg += "; write a smaller number"
	case strings.Contains(msg, "leading zero"):
		msg = leadingZeroMsg(msg, e.Key)
	default:
		msg = "invalid TOML: " + msg
	}
	e.Key = indexMountKey(text, pe.Position.Start, e.Key)
	// The parser quotes pieces of the input; a control character there
	// must not reach the terminal (checklist B8).
	e.Key, e.Msg = escapeControls(e.Key), escapeControls(msg)
	return e
}

// escapeControls replaces control characters with Go escapes.
func escapeControls(s string) string {
	if controlCharMessage(s, 0) == "" {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// child returns t[key] and its path when it is present and passed the shape
// check.
func (d *fileDecoder) child(t map[string]any, parent, key string) (any, string, bool) {
	v, ok := t[key]
	if !ok {
		return nil, "", false
	}
	p := joinKey(parent, key)
	if d.bad[p] {
		return nil, p, false
	}
	return v, p, true
}

// table returns the sub-table t[key] when present and well-formed.
func (d *fileDecoder) table(t map[string]any, key string) (map[string]any, string, bool) {
	v, p, ok := d.child(t, "", key)
	if !ok {
		return nil, p, false
	}
	m, ok := v.(map[string]any)
	return m, p, ok
}

// sortedKeys returns the keys of t in a stable order; the position in the
// file orders nothing here because tables are merged key by key.
func sortedKeys(t map[string]any) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// setScalar records a scalar value of this layer.
func (d *fileDecoder) setScalar(path string, v any) {
	d.l.scalars[path] = scalar{val: v, at: d.origin(path)}
}

// addEntry appends to one of this layer's lists.
func (d *fileDecoder) addEntry(list, key string, v any, path string) {
	d.l.lists[list] = append(d.l.lists[list], entry{key: key, val: v, at: d.origin(path), path: path})
}

// strFlags adjust how a string value is read.
type strFlags int

const (
	// verbatim skips variable expansion (description).
	verbatim strFlags = 1 << iota
	// multiline allows tab, newline and carriage return (file content).
	multiline
	// tabs allows tab (environment values).
	tabs
)

// str reads a string value: variables expanded, then refused if it holds a
// control character. Control characters in a path, hostname or variable
// can hide text on a terminal or smuggle a second line into a generated
// file (flatpak CVE-2023-28101, checklist B8).
func (d *fileDecoder) str(v any, path string, flags strFlags) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	if msg := controlCharMessage(s, flags); msg != "" {
		d.errorf(path, "%s", msg)
		return "", false
	}
	if flags&verbatim == 0 {
		d.x.cwdRefused = ""
		exp, msg := d.x.expand(s)
		if msg != "" {
			d.errorf(path, "%s", msg)
			d.errs[len(d.errs)-1].Situation = d.x.cwdRefused
			return "", false
		}
		if msg := controlCharMessage(exp, flags); msg != "" {
			d.errorf(path, "after expanding variables, %s", msg)
			return "", false
		}
		s = exp
	}
	return s, true
}

// controlCharMessage reports the first control character in s that flags
// do not allow, or "".
func controlCharMessage(s string, flags strFlags) string {
	for i, r := range s {
		if r >= 0x20 && r != 0x7f && !(r >= 0x80 && r <= 0x9f) {
			continue
		}
		if r == '\t' && flags&(tabs|multiline) != 0 {
			continue
		}
		if (r == '\n' || r == '\r') && flags&multiline != 0 {
			continue
		}
		return fmt.Sprintf("contains the control character %U at byte %d; remove it", r, i)
	}
	return ""
}

// strings reads an array of strings, reporting and skipping bad elements.
func (d *fileDecoder) stringList(v any, path string, flags strFlags) (vals []string, paths []string) {
	arr, _ := v.([]any)
	for i, e := range arr {
		ep := joinIndex(path, i)
		if d.bad[ep] {
			continue
		}
		if s, ok := d.str(e, ep, flags); ok {
			vals = append(vals, s)
			paths = append(paths, ep)
		}
	}
	return vals, paths
}

// boolAt records the boolean t[key] as scalar parent.key.
func (d *fileDecoder) boolAt(t map[string]any, parent, key string) {
	if v, p, ok := d.child(t, parent, key); ok {
		d.setScalar(p, v.(bool))
	}
}

// intIn checks that an integer value is within [lo, hi].
func (d *fileDecoder) intIn(v any, path string, lo, hi int64) (int64, bool) {
	n, ok := v.(int64)
	if !ok {
		return 0, false
	}
	if n < lo || n > hi {
		d.errorf(path, "%d is out of range; write an integer from %d to %d", n, lo, hi)
		return 0, false
	}
	return n, true
}
