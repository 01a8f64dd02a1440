package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// argNoticeMax bounds the notices one launch prints about its arguments.
const argNoticeMax = 3

// argNotices are the lines a launch prints before it runs about host paths
// its command line names that the payload will not find, or that it would
// write where nothing is kept: `sandbox -p firefox firefox-esr
// file://$HOME/www/index.html` otherwise waits for a page that is not there,
// with no word of why. A path is an absolute argument, the value of an
// --option=/path, or a file:// URL. Like the working-directory notice, the
// lines are read from the compiled plan, silenced by
// filesystem.cwd_notice = false, and said again by a cached launch: each
// path's existence is recorded among the plan's inputs, so a path that
// appears later sends the next launch the ordinary way.
func argNotices(p *profile.Profile, pl *plan.Plan, command []string, in *hostview.PlanInputs) []string {
	if !p.Filesystem.CwdNotice || len(command) < 2 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, arg := range command[1:] {
		path := argPath(arg)
		if path == "" || seen[path] {
			continue
		}
		seen[path] = true
		if in != nil {
			in.ObservePresence(path)
		}
		if line := argNotice(pl, path); line != "" {
			out = append(out, line)
			if len(out) == argNoticeMax {
				break
			}
		}
	}
	return out
}

// argPath is the absolute host path arg names, or "".
func argPath(arg string) string {
	if strings.HasPrefix(arg, "file://") {
		u, err := url.Parse(arg)
		if err != nil || (u.Host != "" && u.Host != "localhost") {
			return ""
		}
		arg = u.Path
	} else if i := strings.IndexByte(arg, '='); strings.HasPrefix(arg, "-") && i > 0 {
		arg = arg[i+1:]
	}
	if !strings.HasPrefix(arg, "/") || strings.ContainsRune(arg, 0) {
		return ""
	}
	return filepath.Clean(arg)
}

// argNotice says what is wrong with the host path path inside the
// sandbox, or "" when the payload finds it (or can write it) where the
// command line says.
func argNotice(pl *plan.Plan, path string) string {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		// The path itself: a profile may bind a single file (/etc/hosts)
		// into a directory that is otherwise the sandbox's own.
		v := compile.PathIn(pl, path, os.Stat)
		if v.Kind == compile.CwdBind && compile.SameDir(os.Stat, v.Source, path) {
			return ""
		}
		return fmt.Sprintf("notice: %s, named on the command line, is not visible in the sandbox, so the command will not find it; --ro-bind %s (or --bind, to write it) shows it", path, path)
	case os.IsNotExist(err):
		// An output the command would create: where does it land?
		dir := filepath.Dir(path)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return ""
		}
		v := compile.PathIn(pl, dir, os.Stat)
		if v.Kind == compile.CwdBind && v.Persistent && compile.SameDir(os.Stat, v.Source, dir) {
			return ""
		}
		return fmt.Sprintf("notice: %s, named on the command line, would be written to %s; --bind %s keeps it", path, v.Describe(), dir)
	}
	return ""
}
