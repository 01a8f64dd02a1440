package profile

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// Entry describes one installed profile.
type Entry struct {
	Name        string
	Description string
	// Place is the file's path, or "builtin:NAME.toml".
	Place    string
	Programs []string
	// Level is the search level the file was found at: an index into
	// Source.Dirs, or len(Source.Dirs) for a built-in profile. A lower
	// level wins when profiles claim one program (see Resolve).
	Level int
	// Err is not nil when the profile does not load; Description and
	// Programs then come from the file alone, when it can be read.
	Err error
}

// listEnv is the caller List checks profiles for. List has no caller, but
// a profile that uses ${XDG_RUNTIME_DIR} must not be listed as broken for
// that; Load with the real Env is the final word.
func listEnv() Env {
	return Env{
		UID: 1000, GID: 1000, User: "user", Home: "/home/user", Cwd: "/home/user/project",
		Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
	}
}

// List returns every installed profile, sorted by name. When several
// search directories hold the same name, the first one found is the one
// that counts, as in Load.
func List(src Source) []Entry {
	return listWith(listEnv(), src)
}

func listWith(env Env, src Source) []Entry {
	var out []Entry
	for _, sf := range installed(src) {
		res := loadSource(sf.name, sf, env, src)
		e := Entry{Name: sf.name, Place: sf.display, Level: sf.level}
		switch {
		case res.profile != nil:
			e.Description = res.profile.Description
			e.Programs = res.profile.Programs
		case res.top != nil:
			if s, ok := res.top.scalars["description"]; ok {
				e.Description = s.val.(string)
			}
			for _, p := range res.top.lists["programs"] {
				e.Programs = append(e.Programs, p.val.(string))
			}
		}
		if len(res.errs) > 0 {
			e.Err = res.errs
		}
		out = append(out, e)
	}
	return out
}

// installed finds the first file of every profile name on the search path,
// sorted by name.
func installed(src Source) []*sourceFile {
	byName := map[string]*sourceFile{}
	for level, dir := range src.Dirs {
		entries, err := src.readDir(dir)
		if err != nil {
			continue // an absent search directory holds no profiles
		}
		for _, de := range entries {
			name, ok := listedName(de.Name())
			if !ok || byName[name] != nil {
				continue
			}
			sf := diskSource(filepath.Join(dir, de.Name()), src)
			sf.level = level
			byName[name] = sf
		}
	}
	if src.Builtin != nil {
		entries, _ := fs.ReadDir(src.Builtin, ".")
		for _, de := range entries {
			if name, ok := listedName(de.Name()); ok && byName[name] == nil {
				byName[name] = builtinSource(de.Name(), src)
			}
		}
	}
	out := make([]*sourceFile, 0, len(byName))
	for _, sf := range byName {
		out = append(out, sf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// listedName is the profile name of a file in a search directory, if the
// file is one Load could find by that name.
func listedName(file string) (string, bool) {
	name, ok := strings.CutSuffix(file, ".toml")
	if !ok || isPath(name) || nameMessage(name) != "" {
		return "", false
	}
	return name, true
}

// FindByProgram returns the profile made for the program prog (a path or
// a basename) by the rule of Resolve, and false when no profile claims it
// or when two profiles of one level do (Resolve says which).
func FindByProgram(prog string, env Env, src Source) (string, bool) {
	c, err := Resolve(prog, env, src)
	if err != nil {
		return "", false
	}
	return c.Name, true
}
