package profile

import (
	"fmt"
	"sort"
	"strings"
)

// locator maps key paths to the line and column where they appear in a
// file. The TOML decoder keeps key positions private, so the locator scans
// the text itself. It runs only on text the decoder accepted, but it is
// written to survive anything (it is fuzzed): every loop consumes at least
// one byte and nothing indexes past the end.
//
// The position of a path is where its key starts, the "[[mount]]" header
// for an array-of-tables element, or the value for an array element. The
// first occurrence wins, which is what a duplicate-key message wants.
type locator struct {
	src        string
	lineStarts []int
	pos        map[string]int // path -> byte offset
	vpos       map[string]int // path -> byte offset of its value

	// Array-of-tables bookkeeping: how many [[x]] headers each resolved
	// path has had, so "[[mount]]" number three becomes "mount[2]" and a
	// nested "[[a.b]]" attaches to the latest "a" element.
	aotCount map[string]int

	// work is what the paths built so far cost (maxWork); deep is the
	// first place the text went past maxNesting or maxWork, where the
	// scan stopped, or nil.
	work int
	deep *ShapeError
}

// locate scans src and returns its locator.
func locate(src string) *locator {
	l := &locator{
		src:      src,
		pos:      map[string]int{},
		vpos:     map[string]int{},
		aotCount: map[string]int{},
	}
	l.lineStarts = append(l.lineStarts, 0)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			l.lineStarts = append(l.lineStarts, i+1)
		}
	}
	l.scan()
	return l
}

// lineCol converts a byte offset to a 1-based line and byte column, the
// same convention as the TOML parser's own errors.
func (l *locator) lineCol(off int) (int, int) {
	if off < 0 {
		off = 0
	}
	if off > len(l.src) {
		off = len(l.src)
	}
	line := sort.Search(len(l.lineStarts), func(i int) bool { return l.lineStarts[i] > off })
	return line, off - l.lineStarts[line-1] + 1
}

// find returns the position of path, or of its closest ancestor that has
// one; ok is false when not even the top level is known.
func (l *locator) find(path string) (line, col int, ok bool) {
	for p := path; ; p = parentPath(p) {
		if off, found := l.pos[p]; found {
			line, col = l.lineCol(off)
			return line, col, true
		}
		if p == "" {
			return 0, 0, false
		}
	}
}

func (l *locator) record(path string, off int) {
	if _, ok := l.pos[path]; !ok {
		l.pos[path] = off
	}
}

func (l *locator) scan() {
	sc := &scanner{s: l.src}
	current, depth := "", 0
	for !sc.eof() {
		sc.skipSpace(true)
		if sc.eof() {
			break
		}
		start := sc.i
		if sc.peek() == '[' {
			current, depth = l.header(sc)
		} else {
			l.keyValue(sc, current, depth)
		}
		if sc.i == start {
			sc.i++ // never stall on unexpected input
		}
		// Whatever is left on the line is a comment or garbage the
		// decoder has already rejected.
		sc.skipSpace(false)
		if !sc.eof() && sc.peek() != '\n' && sc.peek() != '\r' {
			sc.skipLine()
		}
	}
}

// maxNesting bounds how deeply a profile may nest: table headers, dotted
// keys, inline tables and arrays together, counted as the segments of a
// key path ("mount[2].target" is 3); a profile's deepest keys are 4 deep
// ("identity.uid_map[0].count").
const maxNesting = 32

// maxWork bounds the size of a profile's key structure: every key and
// array element costs its depth, once for each of its segments (a key
// 3 deep costs 1+2+3), which is what building its path costs here and in
// the TOML decoder. The largest shipped profile costs 252.
const maxWork = 1 << 15

// Both bounds are checked before the TOML decoder sees the text (B14):
// its cost, and that of the paths built here, grows with the square of
// the depth and with the number of keys, and a 32 KiB file of nothing
// but nesting took seconds and gigabytes. Within them, any file up to
// the size limit decodes in a fraction of a second.

// ShapeError is a profile shaped as no profile is: nested too deep, or
// with too many keys and values.
type ShapeError struct {
	Offset int    // where the key or value that goes too far starts
	Path   string // its path, cut short
	Msg    string
}

func (e *ShapeError) Error() string { return e.Msg }

// tooDeep records the first place the nesting passes maxNesting and ends
// the scan: nothing after it is worth the cost.
func (l *locator) tooDeep(sc *scanner, off int, path string) {
	l.refuse(sc, off, path, fmt.Sprintf("nested more than %d levels deep (tables, dotted keys, inline tables and arrays together); a profile's keys are a few levels deep: write them out flat", maxNesting))
}

// spend counts the work of one more path segment at depth, and refuses
// the file once it is more than any profile needs.
func (l *locator) spend(sc *scanner, off int, path string, depth int) bool {
	l.work += depth
	if l.work <= maxWork {
		return true
	}
	l.refuse(sc, off, path, "too many keys and values (the file's keys, array elements and their nesting together pass the bound a profile never reaches); split it, or check that it is the right file")
	return false
}

func (l *locator) refuse(sc *scanner, off int, path, msg string) {
	if l.deep == nil {
		const show = 120
		if len(path) > show {
			path = strings.ToValidUTF8(path[:show], "") + "..."
		}
		l.deep = &ShapeError{Offset: off, Path: path, Msg: msg}
	}
	sc.i = len(sc.s)
}

// header reads "[a.b]" or "[[a.b]]" and returns the table path that
// following keys belong to, and its depth.
func (l *locator) header(sc *scanner) (string, int) {
	start := sc.i
	array := sc.hasPrefix("[[")
	if array {
		sc.i += 2
	} else {
		sc.i++
	}
	keys, offs := parseDottedKey(sc)
	sc.skipSpace(false)
	if array && sc.hasPrefix("]]") {
		sc.i += 2
	} else if sc.peek() == ']' {
		sc.i++
	}
	if len(keys) == 0 {
		return "", 0
	}
	p, depth := "", 0
	for j, k := range keys {
		p = joinKey(p, k)
		if depth++; depth > maxNesting {
			l.tooDeep(sc, offs[j], p)
			return "", 0
		}
		if !l.spend(sc, offs[j], p, depth) {
			return "", 0
		}
		if j == len(keys)-1 {
			break
		}
		l.record(p, offs[j]) // an implicit table such as "a" in [a.b]
		// A prefix that is an array of tables means its latest element.
		if n := l.aotCount[p]; n > 0 {
			p = joinIndex(p, n-1)
			depth++
		}
	}
	l.record(p, start)
	if array {
		n := l.aotCount[p]
		l.aotCount[p] = n + 1
		p = joinIndex(p, n)
		depth++
		l.record(p, start)
	}
	if depth > maxNesting {
		l.tooDeep(sc, start, p)
		return "", 0
	}
	return p, depth
}

// keyValue reads "a.b = value" inside table path current, depth deep.
func (l *locator) keyValue(sc *scanner, current string, depth int) {
	p, depth, ok := l.dottedPath(sc, current, depth)
	if !ok {
		return
	}
	sc.skipSpace(false)
	if sc.peek() != '=' {
		return
	}
	sc.i++
	sc.skipSpace(false)
	l.recordValue(p, sc.i)
	l.value(sc, p, depth)
}

// dottedPath reads a dotted key below path, depth deep, recording each
// segment, and returns the key's path and depth; ok is false when there
// is no key, or when it goes too deep (the scan then ends).
func (l *locator) dottedPath(sc *scanner, path string, depth int) (string, int, bool) {
	keys, offs := parseDottedKey(sc)
	if len(keys) == 0 {
		return "", 0, false
	}
	p := path
	for j, k := range keys {
		p = joinKey(p, k)
		if depth++; depth > maxNesting {
			l.tooDeep(sc, offs[j], p)
			return "", 0, false
		}
		if !l.spend(sc, offs[j], p, depth) {
			return "", 0, false
		}
		l.record(p, offs[j])
	}
	return p, depth, true
}

func (l *locator) recordValue(path string, off int) {
	if _, ok := l.vpos[path]; !ok {
		l.vpos[path] = off
	}
}

// valueText returns the source text of a scalar value that is not a
// string, such as "0o755" or "755", or "" when unknown.
func (l *locator) valueText(path string) string {
	off, ok := l.vpos[path]
	if !ok || off >= len(l.src) {
		return ""
	}
	end := off
	for end < len(l.src) && !strings.ContainsRune(",]}#\n\r \t", rune(l.src[end])) {
		end++
	}
	return l.src[off:end]
}

// value skips one value, recording the paths of array elements and
// inline-table keys inside it; path is depth deep.
func (l *locator) value(sc *scanner, path string, depth int) {
	if sc.eof() {
		return
	}
	switch {
	case sc.hasPrefix(`"""`):
		skipMultiline(sc, `"""`, true)
	case sc.hasPrefix(`'''`):
		skipMultiline(sc, `'''`, false)
	case sc.peek() == '"':
		skipQuoted(sc, '"', true)
	case sc.peek() == '\'':
		skipQuoted(sc, '\'', false)
	case sc.peek() == '[':
		l.array(sc, path, depth)
	case sc.peek() == '{':
		l.inlineTable(sc, path, depth)
	default:
		// Numbers, booleans and dates run to a delimiter; a local
		// date-time may hold one space, which this tolerates.
		for !sc.eof() && !strings.ContainsRune(",]}#\n\r", rune(sc.peek())) {
			sc.i++
		}
	}
}

func (l *locator) array(sc *scanner, path string, depth int) {
	sc.i++ // [
	for idx := 0; !sc.eof(); idx++ {
		sc.skipSpace(true)
		if sc.eof() {
			return
		}
		if sc.peek() == ']' {
			sc.i++
			return
		}
		start := sc.i
		elem := joinIndex(path, idx)
		if depth+1 > maxNesting {
			l.tooDeep(sc, start, elem)
			return
		}
		if !l.spend(sc, start, elem, depth+1) {
			return
		}
		l.record(elem, start)
		l.value(sc, elem, depth+1)
		sc.skipSpace(true)
		switch {
		case sc.peek() == ',':
			sc.i++
		case sc.peek() == ']':
			sc.i++
			return
		case sc.i == start:
			sc.i++ // garbage: keep moving
		}
	}
}

func (l *locator) inlineTable(sc *scanner, path string, depth int) {
	sc.i++ // {
	for !sc.eof() {
		sc.skipSpace(true) // TOML 1.1 allows newlines in inline tables
		if sc.eof() {
			return
		}
		if sc.peek() == '}' {
			sc.i++
			return
		}
		start := sc.i
		if p, d, ok := l.dottedPath(sc, path, depth); ok {
			sc.skipSpace(false)
			if sc.peek() == '=' {
				sc.i++
				sc.skipSpace(false)
				l.recordValue(p, sc.i)
				l.value(sc, p, d)
			}
		}
		sc.skipSpace(true)
		switch {
		case sc.peek() == ',':
			sc.i++
		case sc.peek() == '}':
			sc.i++
			return
		case sc.i == start:
			sc.i++
		}
	}
}
