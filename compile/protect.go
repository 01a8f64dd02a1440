package compile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
)

// Files the host trusts (checklist H1, H2): wherever a writable bind of
// the profile exposes a path of trustedPaths, the plan binds that path onto
// itself read-only after every mount of the profile, so no ordering of the
// profile undoes it, and pins every directory and symlink between the
// bind's root and the path (a Protect step each). The rule for a path
// that does not exist:
//
//   - where the payload could create it (its nearest existing directory is
//     writable inside and not itself protected), the compile fails with the
//     bind's position and the fix: create it on the host, bind less, or
//     release it. Nothing is ever created on the host for it, and no
//     placeholder can be mounted where no mount point exists;
//   - where it could not, nothing is needed.
//
// Git files whose absence is normal (commondir, config.worktree) are the
// exception: they are protected when present and not refused when absent;
// docs/security.md says what that leaves open.
//
// A profile releases a path only by naming it, or a directory above it,
// in filesystem.unprotect; explain lists it as a loosening.

// writableView is a part of the host the payload can write: a writable
// bind, or the persistent upper directory of an overlay.
type writableView struct {
	step   int
	src    string // the host path, without symlinks
	target string // where the payload sees it
	at     profile.Origin
	key    string
}

// protectSteps returns the Protect steps for the view steps has built so
// far, and records in plan.Protected what they protect and what the
// profile released.
func (c *compiler) protectSteps(pl *plan.Plan, steps []plan.Step) []plan.Step {
	views := c.writableViews(steps)
	if len(views) == 0 {
		return nil
	}
	pr := &protector{c: c, steps: steps, views: views, byTarget: map[string]*plan.Protect{}}
	for _, t := range c.trustedPaths(views) {
		pr.protect(t)
	}
	return pr.finish(pl)
}

// writableViews lists the binds among steps that the payload can write
// through.
func (c *compiler) writableViews(steps []plan.Step) []writableView {
	var out []writableView
	for i, st := range steps {
		var src, target string
		switch s := st.(type) {
		case plan.BindMount:
			if s.ReadOnly {
				continue
			}
			src, target = s.Source, s.Target
		case plan.Overlay:
			if s.Upper == "" {
				continue
			}
			src, target = s.Upper, s.Target
		default:
			continue
		}
		w := c.walk(src)
		if w.final == "" {
			continue // a missing optional source: the bind is skipped
		}
		out = append(out, writableView{step: i, src: w.final, target: target, at: profile.Origin(st.Origin()), key: c.mountKey(profile.Origin(st.Origin()))})
	}
	return out
}

// mountKey is the key of the [[mount]] entry written at o.
func (c *compiler) mountKey(o profile.Origin) string {
	for _, m := range c.p.Filesystem.Mounts {
		if m.At == o {
			return mountKey(m)
		}
	}
	return "mount"
}

// inside is where the payload sees host path p through v, and whether it
// does at all: p must be v's source or below it, and no later step may
// mount over it or over a directory above it (a tmpfs hides it, a
// read-only bind or remount-ro makes it read-only, another bind shows
// another host path there).
func (pr *protector) inside(v writableView, p string) (rel string, ok bool) {
	switch {
	case p == v.src:
	case under(p, v.src):
		rel = strings.TrimPrefix(p, strings.TrimSuffix(v.src, "/")+"/")
	default:
		return "", false
	}
	at := joinInside(v.target, rel)
	for _, st := range pr.steps[v.step+1:] {
		if t, ok := mountTargetOf(st); ok && (t == at || under(at, t)) {
			return "", false
		}
	}
	return rel, true
}

// mountTargetOf is where a step mounts something, for the steps that
// replace or cover what was there.
func mountTargetOf(st plan.Step) (string, bool) {
	switch s := st.(type) {
	case plan.BindMount:
		return s.Target, true
	case plan.Tmpfs:
		return s.Target, true
	case plan.Proc:
		return s.Target, true
	case plan.Dev:
		return s.Target, true
	case plan.Mqueue:
		return s.Target, true
	case plan.Overlay:
		return s.Target, true
	case plan.RemountReadOnly:
		return s.Target, true
	case plan.DBusSocket:
		return s.Target, true
	}
	return "", false
}

// protector collects the steps, the released paths and the refusals of
// one compile.
type protector struct {
	c        *compiler
	steps    []plan.Step
	views    []writableView
	byTarget map[string]*plan.Protect
	released []plan.ProtectedPath
	// missing are paths the payload could create, per view.
	missing map[int][]trusted
}

// protect adds what keeps t as it is on the host.
func (pr *protector) protect(t trusted) {
	c := pr.c
	if t.ownState && !pr.near(t.path) {
		return
	}
	w := c.walk(t.path)
	if u := c.unprotected(t.path, w.final, w.missingPath()); u != "" {
		pr.release(t, w, u)
		return
	}
	last := len(w.dentries) - 1
	for i, d := range w.dentries {
		final := i == last && w.final != ""
		for _, v := range pr.views {
			rel, ok := pr.inside(v, d.path)
			if !ok || (rel == "" && !final) {
				// The root of a bind is a mount point already.
				continue
			}
			why := t.why
			if !final {
				why = t.path
			}
			pr.add(v, rel, d.path, final, why)
		}
	}
	if w.final != "" && w.dir && !t.coverOnly {
		// A bind of something below a protected directory is that
		// directory's content too.
		for _, v := range pr.views {
			if under(v.src, w.final) {
				if _, ok := pr.inside(v, v.src); ok {
					pr.add(v, "", v.src, true, t.why)
				}
			}
		}
	}
	if w.final == "" && w.parent != "" && !t.optional {
		for i, v := range pr.views {
			if _, ok := pr.inside(v, w.parent); ok {
				if pr.missing == nil {
					pr.missing = map[int][]trusted{}
				}
				pr.missing[i] = append(pr.missing[i], trusted{path: w.missingPath(), why: t.why, dir: t.dir})
			}
		}
	}
}

// near reports whether a writable bind's source is p, above it or below
// it, by name alone.
func (pr *protector) near(p string) bool {
	for _, v := range pr.views {
		if p == v.src || under(p, v.src) || under(v.src, p) {
			return true
		}
	}
	return false
}

// add records a Protect step; read-only wins over a pin of the same path.
func (pr *protector) add(v writableView, rel, host string, readOnly bool, why string) {
	target := joinInside(v.target, rel)
	if p, ok := pr.byTarget[target]; ok {
		if readOnly && !p.ReadOnly {
			p.ReadOnly, p.Why = true, why
		}
		return
	}
	pr.byTarget[target] = &plan.Protect{From: plan.From{At: plan.Origin(v.at)}, Target: target, Root: v.target, Rel: rel, Host: host, ReadOnly: readOnly, Why: why}
}

// release records t as released by unprotect entry u, wherever a
// writable bind exposes it.
func (pr *protector) release(t trusted, w walked, u string) {
	host := w.final
	if host == "" {
		host = t.path
	}
	for _, v := range pr.views {
		probe := host
		if w.final == "" {
			probe = w.parent
		}
		if probe == "" {
			continue
		}
		if _, ok := pr.inside(v, probe); ok {
			rel, _ := filepath.Rel(v.src, host)
			pr.released = append(pr.released, plan.ProtectedPath{Host: host, Inside: joinInside(v.target, rel),
				Why: t.why, Released: u, At: plan.Origin(pr.c.unprotectOrigin(u))})
		}
	}
}

// finish orders the steps, parents first, drops those below a read-only
// one (which covers them), and reports the paths the payload could
// create.
func (pr *protector) finish(pl *plan.Plan) []plan.Step {
	targets := make([]string, 0, len(pr.byTarget))
	for t := range pr.byTarget {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	var out []plan.Step
	var readOnly []string
	for _, t := range targets {
		p := pr.byTarget[t]
		covered := false
		for _, r := range readOnly {
			if under(t, r) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		out = append(out, *p)
		if p.ReadOnly {
			readOnly = append(readOnly, t)
			pl.Protected = append(pl.Protected, plan.ProtectedPath{Host: p.Host, Inside: p.Target, Why: p.Why, At: p.At})
		}
	}
	pl.Protected = append(pl.Protected, pr.released...)
	pr.refuseMissing(readOnly)
	return out
}

// refuseMissing fails the compile for each view through which the payload
// could create a trusted path that does not exist yet.
func (pr *protector) refuseMissing(readOnly []string) {
	for i, v := range pr.views {
		var names, mkdir, touch []string
		first := ""
		seen := map[string]bool{}
		for _, t := range pr.missing[i] {
			rel, _ := filepath.Rel(v.src, t.path)
			at := joinInside(v.target, rel)
			covered := false
			for _, r := range readOnly {
				if at == r || under(at, r) {
					covered = true
				}
			}
			if covered || seen[t.path] {
				continue
			}
			seen[t.path] = true
			if first == "" {
				first = t.path
			}
			names = append(names, rel)
			if t.dir {
				mkdir = append(mkdir, rel)
			} else {
				touch = append(touch, rel)
			}
		}
		if len(names) == 0 {
			continue
		}
		create := []string{"cd " + v.src}
		if len(mkdir) > 0 {
			create = append(create, "mkdir -p "+strings.Join(mkdir, " "))
		}
		if len(touch) > 0 {
			create = append(create, "touch "+strings.Join(touch, " "))
		}
		report := pr.c.fail
		if pr.c.h.Survey {
			report = pr.c.hostProblemWarn
		}
		report(v.at, v.key,
			"this writable bind of %s lets the payload create files the host would trust (%s), and these do not exist yet, so they cannot be kept read-only without leaving files on the host: %s; create them on the host (%s), bind a narrower directory, or release each with filesystem.unprotect (such as [%q])",
			v.src, pr.whyOf(i), strings.Join(names, " "), strings.Join(create, " && "), first)
		pr.markSituation(v, names, create)
	}
}

// markSituation marks the refusal just reported as the caller's situation
// when the bind is of the directory sandbox was started from (a profile
// that binds ${CWD}): the user changes where they start it, or creates
// the files, not the profile, which may be a built-in one.
func (pr *protector) markSituation(v writableView, names, create []string) {
	c := pr.c
	if c.h.Survey || len(c.errs) == 0 || !filepath.IsAbs(c.h.Cwd) || c.walk(c.h.Cwd).final != v.src {
		return
	}
	c.errs[len(c.errs)-1].Situation = fmt.Sprintf("you started it from %s, where files the host trusts (%s) do not exist yet and the command could create them; create them first (%s)",
		v.src, strings.Join(names, " "), strings.Join(create, " && "))
}

// whyOf names the reasons of the missing paths of view i, once each.
func (pr *protector) whyOf(i int) string {
	var whys []string
	seen := map[string]bool{}
	for _, t := range pr.missing[i] {
		w, _, _ := strings.Cut(t.why, ":")
		if !seen[w] {
			seen[w] = true
			whys = append(whys, w)
		}
	}
	return strings.Join(whys, ", ")
}

// unprotected returns the filesystem.unprotect entry that releases one of
// paths (a trusted path, and where it leads through symlinks), or "".
func (c *compiler) unprotected(paths ...string) string {
	for _, u := range c.p.Filesystem.Unprotect {
		for _, p := range paths {
			if p != "" && (p == u || under(p, u)) {
				return u
			}
		}
	}
	return ""
}

// unprotectOrigin is where the filesystem.unprotect entry u was written.
func (c *compiler) unprotectOrigin(u string) profile.Origin {
	if o, ok := c.p.Origins["filesystem.unprotect."+u]; ok {
		return o
	}
	return c.origin("filesystem.unprotect")
}

// dentry is one name a host path goes through.
type dentry struct {
	path string // its parent holds no symlink
	link bool
}

// walked is a host path looked up one component at a time, the way the
// kernel does, without trusting any symlink.
type walked struct {
	// dentries are every name the path goes through, in order: the
	// directories on the way, each symlink met, and last the file
	// itself when it exists.
	dentries []dentry
	// final is the path of what the path names, without symlinks; ""
	// when it does not exist (or cannot: a file on the way).
	final string
	dir   bool
	// parent is the deepest existing directory the lookup reached when
	// a component is missing, and missing what was left to look up.
	parent  string
	missing []string
}

// missingPath is where the path would be, without symlinks, when it is
// missing: what a payload would create.
func (w walked) missingPath() string {
	if w.parent == "" {
		return ""
	}
	return filepath.Join(append([]string{w.parent}, w.missing...)...)
}

// maxLinks bounds the symlinks one lookup follows, as the kernel does.
const maxLinks = 40

// walk looks path up on the host. Every name it consults is recorded for
// the plan cache: a .git or a start-up file that appears, or a symlink
// that changes, changes the plan.
func (c *compiler) walk(path string) walked {
	var w walked
	rest := components(path)
	cur := "/"
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, name)
		fi, err := c.h.Lstat(next)
		if err != nil {
			if os.IsNotExist(err) {
				w.parent, w.missing = cur, append([]string{name}, rest...)
			}
			return w
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			w.dentries = append(w.dentries, dentry{path: next, link: true})
			target, err := c.h.Readlink(next)
			links++
			if err != nil || links > maxLinks || target == "" {
				return w
			}
			if filepath.IsAbs(target) {
				cur = "/"
			}
			rest = append(components(target), rest...)
			continue
		}
		w.dentries = append(w.dentries, dentry{path: next})
		if !fi.IsDir() && len(rest) > 0 {
			return w // a file where a directory should be: nothing below it can exist
		}
		cur = next
		w.dir = fi.IsDir()
	}
	if len(w.dentries) == 0 || w.dentries[len(w.dentries)-1].path != cur {
		// "/" itself, or a path that ended in ".." after a symlink.
		fi, err := c.h.Lstat(cur)
		if err != nil {
			return w
		}
		w.dir = fi.IsDir()
		w.dentries = append(w.dentries, dentry{path: cur})
	}
	w.final = cur
	return w
}

// components splits a path into its names.
func components(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// under reports whether p lies strictly below dir.
func under(p, dir string) bool {
	if dir == "/" {
		return p != "/" && strings.HasPrefix(p, "/")
	}
	return strings.HasPrefix(p, dir+"/")
}

// joinInside is an inside path below target.
func joinInside(target, rel string) string {
	if rel == "" {
		return target
	}
	return filepath.Join(target, rel)
}
