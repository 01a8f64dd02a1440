package profile

import (
	"strings"
)

// maxDepth bounds an extends chain. Real chains are two or three deep; the
// bound turns a runaway chain into an error that names it.
const maxDepth = 16

// Load reads the profile nameOrPath (a name on the search path, or a path
// if it contains "/" or ends in ".toml"), resolves its extends, merges the
// layers, expands variables, fills in defaults and validates everything.
// The error, when not nil, is an Errors holding every problem found.
func Load(nameOrPath string, env Env, src Source) (*Profile, error) {
	res := loadProfile(nameOrPath, env, src)
	if len(res.errs) > 0 {
		return nil, res.errs
	}
	return res.profile, nil
}

// loadResult is what loadProfile found: the profile when there are no
// errors, and the requested file's own layer when it could be decoded, so
// that List can describe a broken profile.
type loadResult struct {
	profile *Profile
	top     *layer
	errs    Errors
}

func loadProfile(nameOrPath string, env Env, src Source) loadResult {
	var sf *sourceFile
	if isPath(nameOrPath) {
		if msg := controlCharMessage(nameOrPath, 0); msg != "" {
			return loadResult{errs: Errors{{Msg: "profile path " + msg}}}
		}
		sf = diskSource(nameOrPath, src)
	} else {
		if msg := nameMessage(nameOrPath); msg != "" {
			return loadResult{errs: Errors{{Msg: msg}}}
		}
		sf = findName(nameOrPath, 0, src)
		if sf == nil {
			return loadResult{errs: Errors{{Msg: notFoundMessage(nameOrPath, src)}}}
		}
	}
	return loadSource(nameOrPath, sf, env, src)
}

// loadSource loads the profile whose top file is sf.
func loadSource(name string, sf *sourceFile, env Env, src Source) loadResult {
	ld := &loader{env: env, src: src, done: map[string]bool{}}
	ld.load(sf, nil, nil)
	ld.addExtra()
	var res loadResult
	for _, l := range ld.order {
		if l.src == sf {
			res.top = l
		}
	}
	// The merged checks run even when single values had errors, so that
	// one round reports everything; but not when a whole layer is
	// missing, since "no inherited mount to remove" would be noise.
	if !ld.incomplete {
		p, errs := finish(name, ld.order, env)
		res.profile = p
		ld.errs = append(ld.errs, errs...)
	}
	if len(ld.errs) > 0 {
		res.profile = nil
		// Base layers first, like Files; files that never became a layer
		// (unreadable, not TOML) in the order they were met.
		var files []string
		for _, l := range ld.order {
			files = append(files, l.src.display)
		}
		res.errs = sortErrors(ld.errs, append(files, ld.seen...))
	}
	return res
}

// loader follows extends depth first and lists the layers base first.
type loader struct {
	env   Env
	src   Source
	errs  Errors
	order []*layer
	done  map[string]bool
	seen  []string // display names in the order met, to sort errors
	// incomplete is set when a whole file is missing from order: it
	// could not be found, read or parsed.
	incomplete bool
}

// load adds sf and everything it extends to ld.order, each file once, in
// post-order: a file comes after all the files it extends. A file reached
// twice (A extends B and C, both extend D) is merged once, at its first
// place, so that D cannot override B's choices by being applied again.
// chain is the path of files from the requested one to sf; via is the
// extends entry that named sf.
func (ld *loader) load(sf *sourceFile, chain []*sourceFile, via *entry) {
	for i, c := range chain {
		if c.ident == sf.ident {
			ld.viaError(via, "extends cycle: "+chainText(append(chain[i:], sf))+"; remove one of these extends")
			return
		}
	}
	if len(chain) >= maxDepth {
		ld.viaError(via, "extends chain is deeper than 16 files: "+chainText(append(chain, sf)))
		return
	}
	if ld.done[sf.ident] {
		return
	}
	ld.done[sf.ident] = true
	ld.seen = append(ld.seen, sf.display)

	var data []byte
	var msg string
	if sf.fsPath != "" {
		data, msg = readFSFile(ld.src.Builtin, sf.fsPath)
	} else {
		data, msg = readDiskFile(ld.src, sf.disk)
	}
	if msg != "" {
		ld.errs = append(ld.errs, &Error{File: sf.display, Msg: msg})
		ld.incomplete = true
		return
	}
	l, errs := decodeLayer(sf, string(data), ld.env)
	ld.errs = append(ld.errs, errs...)
	if l == nil {
		ld.incomplete = true
		return
	}
	chain = append(chain, sf)
	for i := range l.extends {
		ext := &l.extends[i]
		next, msg := resolveExtends(ext.val.(string), sf, ld.src)
		if msg != "" {
			ld.viaError(ext, msg)
			continue
		}
		ld.load(next, chain, ext)
	}
	ld.order = append(ld.order, l)
}

// viaError reports a problem with an extends entry at that entry, or as a
// file-less error for the requested profile itself.
func (ld *loader) viaError(via *entry, msg string) {
	ld.incomplete = true
	if via == nil {
		ld.errs = append(ld.errs, &Error{Msg: msg})
		return
	}
	ld.errs = append(ld.errs, &Error{File: via.at.File, Line: via.at.Line, Col: via.at.Col, Key: via.path, Msg: msg})
}

func chainText(chain []*sourceFile) string {
	names := make([]string, len(chain))
	for i, c := range chain {
		names[i] = c.display
	}
	return strings.Join(names, " -> ")
}
