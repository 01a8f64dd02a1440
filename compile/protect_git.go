package compile

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The git files that make git run a program, or decide which such files
// git reads (checklist H1). A payload that could write one would run its
// command on the host the next time the user, or a shell prompt, runs git
// there.
const (
	whyGitConfig   = "git configuration: it names programs git runs (core.fsmonitor, core.hooksPath, aliases, filters)"
	whyGitHooks    = "git hooks: git runs them"
	whyGitFile     = "a .git file: it tells git where the repository, and so its configuration, is"
	whyGitCommon   = "git's commondir link: it tells git where the configuration and hooks are"
	whyGitHookPath = "the hooks directory core.hooksPath names: git runs what is in it"
	whyGitInclude  = "a file git's configuration includes: it can name programs git runs"
)

// gitLimit bounds the git directories one compile looks at (submodules,
// worktrees), so that a tree built to be huge cannot stall it.
const gitLimit = 64

// gitTrusted finds the git work trees a writable bind exposes and lists
// their protected files. A work tree is found where git would find it
// from the bound directory or from the caller's directory: the bind's
// source itself, and every directory from the caller's working directory
// up to the bind's source. Trees deeper inside a bind are not searched
// (that would read the whole tree at every launch); docs/security.md says
// so.
func (c *compiler) gitTrusted(views []writableView) []trusted {
	g := gitScan{c: c, seen: map[string]bool{}}
	cwd := ""
	if filepath.IsAbs(c.h.Cwd) {
		cwd = c.walk(c.h.Cwd).final
	}
	var tops []string
	for _, v := range views {
		tops = append(tops, v.src)
		if cwd != "" && under(cwd, v.src) {
			for d := cwd; d != v.src && d != "/"; d = filepath.Dir(d) {
				tops = append(tops, d)
			}
		}
	}
	for _, d := range tops {
		g.workTree(d)
	}
	return g.out
}

// gitScan collects the protected files of the git directories it visits.
type gitScan struct {
	c     *compiler
	seen  map[string]bool
	count int
	out   []trusted
}

func (g *gitScan) add(path, why string, dir, optional bool) {
	g.out = append(g.out, trusted{path: path, why: why, dir: dir, optional: optional})
}

// workTree looks at dir/.git: a directory is the repository, a file
// redirects to it ("gitdir: PATH").
func (g *gitScan) workTree(dir string) {
	dotgit := filepath.Join(dir, ".git")
	fi, err := g.c.h.Lstat(dotgit)
	if err != nil {
		return
	}
	if fi.Mode().IsRegular() {
		g.add(dotgit, whyGitFile, false, false)
		if target := g.readPointer(dotgit, "gitdir:"); target != "" {
			g.gitDir(resolveFrom(dir, target), dir, true)
		}
		return
	}
	// A directory, or a symlink to one: the walk of each file below
	// pins the link.
	g.gitDir(dotgit, dir, false)
}

// gitDir lists the protected files of the git directory gd, whose work
// tree is tree. linked is true for the private directory of a linked
// worktree or a submodule reached through a .git file, where config and
// hooks are normally absent (they are in the common directory).
func (g *gitScan) gitDir(gd, tree string, linked bool) {
	gd = filepath.Clean(gd)
	if g.seen[gd] || g.count >= gitLimit {
		return
	}
	g.seen[gd] = true
	g.count++
	fi, err := g.c.h.Lstat(gd)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 && !fi.IsDir() {
		return
	}
	config := filepath.Join(gd, "config")
	g.add(config, whyGitConfig, false, linked)
	g.add(filepath.Join(gd, "hooks"), whyGitHooks, true, linked)
	g.add(filepath.Join(gd, "config.worktree"), whyGitConfig, false, true)
	commondir := filepath.Join(gd, "commondir")
	g.add(commondir, whyGitCommon, false, true)
	if _, err := g.c.h.Lstat(commondir); err == nil {
		if target := g.readPointer(commondir, ""); target != "" {
			g.gitDir(resolveFrom(gd, target), tree, false)
		}
	}
	trees := []string{tree}
	if filepath.Base(gd) == ".git" && filepath.Dir(gd) != tree {
		// A common directory reached from a linked worktree: its
		// relative hooksPath means its own work tree's too.
		trees = append(trees, filepath.Dir(gd))
	}
	for _, t := range trees {
		g.configPaths(config, gd, t)
	}
	for _, sub := range []string{"modules", "worktrees"} {
		g.children(filepath.Join(gd, sub), tree)
	}
}

// children visits the git directories of submodules (modules/NAME, which
// may nest) and of linked worktrees (worktrees/NAME).
func (g *gitScan) children(dir, tree string) {
	if fi, err := g.c.h.Lstat(dir); err != nil || !fi.IsDir() {
		return
	}
	// The listing is a dependency of the plan: a submodule added later
	// must be protected too.
	entries, err := g.c.h.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			g.gitDir(filepath.Join(dir, e.Name()), tree, true)
		}
	}
}

// configPaths protects what a repository's configuration points at: the
// hooks directory core.hooksPath names (often inside the work tree,
// husky's .husky), and the files include.path and includeIf.*.path pull
// in. Only these two keys name files git later trusts as configuration or
// runs.
func (g *gitScan) configPaths(config, gd, tree string) {
	data := g.readSmall(config)
	if data == nil {
		return
	}
	home := g.c.home()
	expand := func(v, base string) string {
		switch {
		case strings.HasPrefix(v, "~/") && home != "":
			return filepath.Join(home, v[2:])
		case filepath.IsAbs(v):
			return filepath.Clean(v)
		case strings.HasPrefix(v, "~"):
			return ""
		}
		return resolveFrom(base, v)
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				continue
			}
			section = strings.ToLower(strings.Fields(line[1:end] + " ")[0])
			line = strings.TrimSpace(line[end+1:])
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if v == "" {
			continue
		}
		switch {
		case section == "core" && k == "hookspath":
			// Relative to where hooks run: the top of the work tree.
			if p := expand(v, tree); p != "" {
				g.add(p, whyGitHookPath, true, false)
			}
		case (section == "include" || section == "includeif") && k == "path":
			if p := expand(v, gd); p != "" {
				g.add(p, whyGitInclude, false, false)
			}
		}
	}
}

// readPointer reads a one-line file that names another git directory (a
// .git file "gitdir: PATH", a commondir "PATH").
func (g *gitScan) readPointer(path, prefix string) string {
	data := g.readSmall(path)
	line, _, _ := strings.Cut(string(data), "\n")
	v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// readSmall reads a small file the plan then depends on; nil when it is
// missing, unreadable or larger than git's files of this kind ever are.
func (g *gitScan) readSmall(path string) []byte {
	f, err := g.c.h.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const max = 64 << 10
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil || len(data) > max {
		return nil
	}
	return data
}

// resolveFrom is target read in a file of directory base: absolute as it
// is, relative to base otherwise.
func resolveFrom(base, target string) string {
	if filepath.IsAbs(target) {
		return filepath.Clean(target)
	}
	return filepath.Join(base, target)
}
