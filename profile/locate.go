package profile

import (
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
	current := ""
	for !sc.eof() {
		sc.skipSpace(true)
		if sc.eof() {
			break
		}
		start := sc.i
		if sc.peek() == '[' {
			current = l.header(sc)
		} else {
			l.keyValue(sc, current)
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

// header reads "[a.b]" or "[[a.b]]" and returns the table path that
// following keys belong to.
func (l *locator) header(sc *scanner) string {
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
		return ""
	}
	p := ""
	for j, k := range keys {
		p = joinKey(p, k)
		if j == len(keys)-1 {
			break
		}
		l.record(p, offs[j]) // an implicit table such as "a" in [a.b]
		// A prefix that is an array of tables means its latest element.
		if n := l.aotCount[p]; n > 0 {
			p = joinIndex(p, n-1)
		}
	}
	l.record(p, start)
	if array {
		n := l.aotCount[p]
		l.aotCount[p] = n + 1
		p = joinIndex(p, n)
		l.record(p, start)
	}
	return p
}

// keyValue reads "a.b = value" inside table path current.
func (l *locator) keyValue(sc *scanner, current string) {
	keys, offs := parseDottedKey(sc)
	if len(keys) == 0 {
		return
	}
	p := current
	for j, k := range keys {
		p = joinKey(p, k)
		l.record(p, offs[j])
	}
	sc.skipSpace(false)
	if sc.peek() != '=' {
		return
	}
	sc.i++
	sc.skipSpace(false)
	l.recordValue(p, sc.i)
	l.value(sc, p, 0)
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

// maxNesting stops a pathological "[[[[[[..." value from recursing deeply;
// the decoder has already bounded real input.
const maxNesting = 200

// value skips one value, recording the paths of array elements and
// inline-table keys inside it.
func (l *locator) value(sc *scanner, path string, depth int) {
	if sc.eof() || depth > maxNesting {
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
		keys, offs := parseDottedKey(sc)
		p := path
		for j, k := range keys {
			p = joinKey(p, k)
			l.record(p, offs[j])
		}
		sc.skipSpace(false)
		if sc.peek() == '=' {
			sc.i++
			sc.skipSpace(false)
			l.recordValue(p, sc.i)
			l.value(sc, p, depth+1)
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
