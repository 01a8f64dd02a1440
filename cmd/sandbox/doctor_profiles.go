package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sandbox/profile"
)

// searchPathFinding: `make install PREFIX=P` puts the binary in P/bin and
// the profiles in P/share/sandbox/profiles. The search path
// (profile.SystemDirs) holds that directory for P = /usr/local and /usr
// only; with another PREFIX the installed profiles would be silently
// ignored in favour of the built-in ones. The built-in profiles always
// remain, so this never fails.
func searchPathFinding(h doctorHost) doctorFinding {
	const check = "profile_search_path"
	env := profile.Env{Home: h.Env["HOME"], Vars: h.Env}
	dirs := profile.DefaultDirs(env)
	searched := strings.Join(dirs, ", ") + ", then the built-in profiles"
	exe, err := h.Executable()
	if err != nil {
		return findWarn(check, "", "cannot tell where this binary is installed (%v); the search path is %s", err, searched)
	}
	bin := filepath.Dir(exe)
	if filepath.Base(bin) != "bin" {
		return findOK(check, "%s is not installed under a PREFIX/bin; the search path is %s", exe, searched)
	}
	installed := filepath.Join(filepath.Dir(bin), "share", "sandbox", "profiles")
	st, err := os.Stat(h.path(installed))
	switch {
	case err != nil || !st.IsDir():
		return findOK(check, "%s has no installed profiles in %s (the built-in ones are used); the search path is %s", exe, installed, searched)
	case slices.Contains(dirs, installed):
		return findOK(check, "the profiles installed with %s, in %s, are on the search path: %s", exe, installed, searched)
	}
	return findWarn(check,
		fmt.Sprintf("reinstall with make install PREFIX=/usr/local (or PREFIX=/usr), or move the files to %s", profile.SystemDirs[0]),
		"the profiles installed with %s, in %s, are not searched, so the built-in ones are used instead; the search path is %s", exe, installed, searched)
}
