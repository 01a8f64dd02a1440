package profile

import (
	"fmt"
	"path/filepath"
	"sort"
)

// Which profile runs a program, for `sandbox PROGRAM`, `sandbox enter`,
// `desktop install` and `desktop audit` alike. The rule:
//
//  1. A profile claims a program only by listing its basename in
//     `programs`, its own or inherited through `extends`. A profile's name
//     claims nothing: a vim.toml whose programs do not list vim is not
//     chosen for `sandbox vim`.
//  2. The claim found earliest on the search path wins: the user's
//     directory beats /etc, which beats /usr/share, which beats the
//     built-in profiles. So a user's notes.toml listing vim beats the
//     built-in vim.toml, whatever the names. A file hidden by a file of
//     the same name earlier on the path (the same-name override) claims
//     nothing itself.
//  3. Two claims at the same level are an error that names both files:
//     nothing decides between them that a user could predict, so the user
//     does, by removing the program from one (merge.remove.programs when
//     it is inherited) or by choosing with -p.
//
// Alphabetical order decides nothing: it did once, and a profile named
// ffdev silently took over firefox.

// Claim is one profile that lists a program.
type Claim struct {
	Name  string `json:"name"`
	Place string `json:"file"`
	// Level is the search level (an index into Source.Dirs, or
	// len(Source.Dirs) for a built-in profile).
	Level int `json:"level"`
	// Where names the level: a search directory or "built-in".
	Where string `json:"where"`
	// Broken is true when the profile does not load; it still claims,
	// so that running it reports its errors rather than another
	// profile running instead.
	Broken bool `json:"broken,omitempty"`
	// Why says why this claim won or lost.
	Why string `json:"why"`
}

// Choice is the profile a program maps to, and every other claim.
type Choice struct {
	Program string  `json:"program"`
	Claim           // the winner
	Losers  []Claim `json:"losers"`
}

// NoClaimError says that no profile lists a program. Named is a profile
// named like the program, which claims nothing by its name.
type NoClaimError struct{ Program, Named string }

func (e *NoClaimError) Error() string {
	if e.Named != "" {
		return fmt.Sprintf("no profile declares %q in its programs (profile %s is named like it, but a name claims nothing); run it with -p %s, or add it to that profile's programs", e.Program, e.Named, e.Named)
	}
	return fmt.Sprintf("no profile declares %q in its programs; choose one with -p PROFILE ('sandbox list' shows them)", e.Program)
}

// ConflictError says that two profiles of one level claim a program.
type ConflictError struct {
	Program string
	A, B    Claim
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s and %s both list %q in their programs, at the same level of the search path (%s), so neither is chosen; "+
		"remove it from the programs of one (merge.remove.programs = [%q] where it is inherited), or choose with -p PROFILE",
		e.A.Place, e.B.Place, e.Program, e.A.Where, e.Program)
}

// ProgramIndex maps program basenames to the profiles that claim them,
// from one listing: desktop audit resolves hundreds of programs.
type ProgramIndex struct {
	claims map[string][]Claim
	names  map[string]bool
}

// IndexPrograms indexes the claims of entries (from List) found on src.
func IndexPrograms(entries []Entry, src Source) ProgramIndex {
	ix := ProgramIndex{claims: map[string][]Claim{}, names: map[string]bool{}}
	for _, e := range entries {
		ix.names[e.Name] = true
		seen := map[string]bool{}
		for _, prog := range e.Programs {
			if seen[prog] {
				continue
			}
			seen[prog] = true
			ix.claims[prog] = append(ix.claims[prog], Claim{
				Name: e.Name, Place: e.Place, Level: e.Level,
				Where: levelName(e.Level, src), Broken: e.Err != nil,
			})
		}
	}
	return ix
}

// Programs returns every program some profile claims, sorted.
func (ix ProgramIndex) Programs() []string {
	out := make([]string, 0, len(ix.claims))
	for p := range ix.claims {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Resolve applies the rule to prog, a path or a basename.
func (ix ProgramIndex) Resolve(prog string) (Choice, error) {
	base := filepath.Base(prog)
	if base == "" || base == "." || base == "/" {
		return Choice{}, &NoClaimError{Program: prog}
	}
	claims := append([]Claim(nil), ix.claims[base]...)
	if len(claims) == 0 {
		e := &NoClaimError{Program: base}
		if ix.names[base] {
			e.Named = base
		}
		return Choice{}, e
	}
	sort.SliceStable(claims, func(i, j int) bool {
		if claims[i].Level != claims[j].Level {
			return claims[i].Level < claims[j].Level
		}
		return claims[i].Name < claims[j].Name
	})
	win := claims[0]
	if len(claims) > 1 && claims[1].Level == win.Level {
		return Choice{}, &ConflictError{Program: base, A: win, B: claims[1]}
	}
	win.Why = fmt.Sprintf("its programs list %q, and no other profile in %s does", base, win.Where)
	if len(claims) > 1 {
		win.Why += "; it is the earliest level of the search path with a claim"
	}
	c := Choice{Program: base, Claim: win, Losers: []Claim{}}
	for _, l := range claims[1:] {
		l.Why = fmt.Sprintf("it lists %q too, but %s comes after %s on the search path", base, l.Where, win.Where)
		c.Losers = append(c.Losers, l)
	}
	return c, nil
}

// Resolve finds the profile for prog on src by the rule above.
func Resolve(prog string, env Env, src Source) (Choice, error) {
	return IndexPrograms(listWith(claimEnv(env), src), src).Resolve(prog)
}

// claimEnv is env with a working directory ${CWD} accepts. What a
// profile claims must not depend on where the caller stands: from the
// home directory a profile that binds ${CWD} fails to load, and a broken
// profile's inherited programs would otherwise be lost, handing its
// programs to another profile.
func claimEnv(env Env) Env {
	home := filepath.Clean(env.Home)
	if !filepath.IsAbs(env.Home) {
		home = "/home"
	}
	env.Cwd = filepath.Join(home, "project")
	return env
}

// levelName names a search level for a person.
func levelName(level int, src Source) string {
	switch {
	case level >= 0 && level < len(src.Dirs):
		return src.Dirs[level]
	case level == len(src.Dirs):
		return "the built-in profiles"
	}
	return "a file given by path"
}

// LevelNames lists the search levels, most important first, as Resolve
// names them.
func LevelNames(src Source) []string {
	out := append([]string(nil), src.Dirs...)
	if src.Builtin != nil {
		out = append(out, levelName(len(src.Dirs), src))
	}
	return out
}
