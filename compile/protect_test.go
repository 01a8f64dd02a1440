package compile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
	"sandbox/profiles"
)

// protectEnv is a caller whose home and project are real directories under
// root, so that the compiler's walk of trusted files sees them.
type protectEnv struct {
	root, home, proj string
}

func newProtectEnv(t *testing.T) protectEnv {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := protectEnv{root: root, home: filepath.Join(root, "home"), proj: filepath.Join(root, "home", "src", "proj")}
	mkdirs(t, e.proj)
	return e
}

func (e protectEnv) env() profile.Env {
	return profile.Env{UID: 1000, GID: 1000, User: "user", Home: e.home, Cwd: e.proj,
		Vars: map[string]string{"XDG_RUNTIME_DIR": filepath.Join(e.root, "run"), "PATH": "/usr/bin:/bin"}}
}

func (e protectEnv) host() hostview.Host {
	return hostview.Host{UID: 1000, GID: 1000, EUID: 1000, User: "user", Home: e.home, Cwd: e.proj,
		Env:          []string{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + filepath.Join(e.root, "run")},
		LookPathFunc: func(name string) (string, error) { return "/usr/bin/" + name, nil },
		Inputs:       &hostview.PlanInputs{}}
}

// compile loads text as a profile extending minimal and compiles it.
func (e protectEnv) compile(t *testing.T, text string) (*plan.Plan, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.toml")
	if err := os.WriteFile(path, []byte("extends = [\"minimal\"]\n"+text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(path, e.env(), profile.Source{Builtin: profiles.FS})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return Compile(p, []string{"true"}, e.host())
}

// makeHome creates every trusted path of the home, so that a writable bind
// of it compiles.
func (e protectEnv) makeHome(t *testing.T) {
	t.Helper()
	c := &compiler{h: e.host(), p: &profile.Profile{}}
	for _, tp := range c.homeTrusted() {
		if tp.dir {
			mkdirs(t, tp.path)
		} else {
			mkdirs(t, filepath.Dir(tp.path))
			writeFile(t, tp.path, "")
		}
	}
	mkdirs(t, filepath.Join(e.home, ".config", "sandbox"))
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gitInit(t *testing.T, dir string) {
	t.Helper()
	mkdirs(t, filepath.Join(dir, ".git", "hooks"), filepath.Join(dir, ".git", "objects"))
	writeFile(t, filepath.Join(dir, ".git", "config"), "[core]\n\trepositoryformatversion = 0\n")
	writeFile(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
}

// protects lists a plan's Protect steps as "ro TARGET" or "pin TARGET".
func protects(p *plan.Plan) []string {
	var out []string
	for _, st := range p.Steps {
		if s, ok := st.(plan.Protect); ok {
			kind := "pin"
			if s.ReadOnly {
				kind = "ro"
			}
			out = append(out, kind+" "+s.Target)
		}
	}
	return out
}

func wantProtects(t *testing.T, p *plan.Plan, want ...string) {
	t.Helper()
	if got := protects(p); !slices.Equal(got, want) {
		t.Errorf("protect steps:\n  got  %q\n  want %q", got, want)
	}
}

const bindCWD = "[[mount]]\ntype = \"bind\"\nsource = \"${CWD}\"\n"

// TestProtectGitWorkTree checks H1 at compile time: a git work tree bound
// writable gets .git pinned and its config and hooks read-only, after every
// mount, with the bind's line as origin; the flat plan the cache stores
// carries the steps.
func TestProtectGitWorkTree(t *testing.T) {
	e := newProtectEnv(t)
	gitInit(t, e.proj)
	pl, err := e.compile(t, bindCWD)
	if err != nil {
		t.Fatal(err)
	}
	g := filepath.Join(e.proj, ".git")
	wantProtects(t, pl, "pin "+g, "ro "+g+"/config", "ro "+g+"/hooks")
	pivot := slices.IndexFunc(pl.Steps, func(s plan.Step) bool { _, ok := s.(plan.PivotRoot); return ok })
	for i, st := range pl.Steps {
		if s, ok := st.(plan.Protect); ok {
			if i > pivot || s.Origin().Line != 2 {
				t.Errorf("step %d %s: at %v, after pivot-root at %d or not from the bind's line", i, s.Describe(), s.Origin(), pivot)
			}
			if s.Root != e.proj {
				t.Errorf("root %q, want the bind's target %q", s.Root, e.proj)
			}
		}
	}
	if len(pl.Protected) != 2 || pl.Protected[0].Why != whyGitConfig {
		t.Errorf("plan.Protected = %+v", pl.Protected)
	}
}

// TestProtectGitRedirection checks the files that decide where git finds
// its configuration: a .git file, a commondir, core.hooksPath and include
// paths, and submodules' git directories.
func TestProtectGitRedirection(t *testing.T) {
	e := newProtectEnv(t)
	main := filepath.Join(e.proj, "main")
	wt := filepath.Join(e.proj, "wt")
	gitInit(t, main)
	admin := filepath.Join(main, ".git", "worktrees", "wt")
	mkdirs(t, admin, wt, filepath.Join(main, ".husky"), filepath.Join(wt, ".husky"), filepath.Join(main, ".git", "modules", "sub", "hooks"))
	writeFile(t, filepath.Join(main, ".git", "modules", "sub", "config"), "")
	writeFile(t, filepath.Join(main, ".git", "config"), "[core]\n\thooksPath = .husky\n[include]\n\tpath = ../extra.cfg\n")
	writeFile(t, filepath.Join(main, "extra.cfg"), "")
	writeFile(t, filepath.Join(admin, "commondir"), "../..\n")
	writeFile(t, filepath.Join(wt, ".git"), "gitdir: "+admin+"\n")
	// The caller works in the linked worktree; the bind is the project.
	h := e
	h.proj = wt
	pl, err := h.compile(t, "[[mount]]\ntype = \"bind\"\nsource = \""+e.proj+"\"\n")
	if err != nil {
		t.Fatal(err)
	}
	got := protects(pl)
	g := filepath.Join(main, ".git")
	for _, want := range []string{"ro " + filepath.Join(wt, ".git"), "ro " + filepath.Join(admin, "commondir"),
		"ro " + g + "/config", "ro " + g + "/hooks", "ro " + filepath.Join(main, ".husky"), "ro " + filepath.Join(wt, ".husky"),
		"ro " + filepath.Join(main, "extra.cfg"), "ro " + g + "/modules/sub/config", "ro " + g + "/modules/sub/hooks",
		"pin " + g, "pin " + main} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}

// TestProtectHomeFiles checks H2 for a writable home: every trusted path
// is read-only, a symlinked start-up file is pinned and its target
// protected, directories above a protected path are pinned, and what a
// later mount covers is left alone.
func TestProtectHomeFiles(t *testing.T) {
	e := newProtectEnv(t)
	e.makeHome(t)
	dots := filepath.Join(e.home, "dotfiles")
	mkdirs(t, dots)
	writeFile(t, filepath.Join(dots, "bashrc"), "")
	os.Remove(filepath.Join(e.home, ".bashrc"))
	if err := os.Symlink("dotfiles/bashrc", filepath.Join(e.home, ".bashrc")); err != nil {
		t.Fatal(err)
	}
	pl, err := e.compile(t, "[[mount]]\ntype = \"bind\"\nsource = \"${HOME}\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"${HOME}/.ssh\"\n")
	if err != nil {
		t.Fatal(err)
	}
	got := protects(pl)
	for _, want := range []string{"pin " + e.home + "/.bashrc", "ro " + dots + "/bashrc", "pin " + e.home + "/.config",
		"ro " + e.home + "/.config/autostart", "ro " + e.home + "/.config/sandbox", "ro " + e.home + "/.local/share/applications",
		"pin " + e.home + "/.local", "pin " + e.home + "/.local/share", "ro " + e.home + "/.profile"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	for _, s := range got {
		if strings.Contains(s, "/.ssh") {
			t.Errorf("%s: the tmpfs at ~/.ssh hides the host's, nothing to protect", s)
		}
		if s == "pin "+e.home {
			t.Errorf("%s: the bind's root is a mount point already", s)
		}
	}
}

// TestProtectRefusesMissing checks the rule for a trusted path that does
// not exist: where the payload could create it, the compile fails at the
// bind's line with the fix; nothing is created on the host.
func TestProtectRefusesMissing(t *testing.T) {
	e := newProtectEnv(t)
	e.makeHome(t)
	if err := os.RemoveAll(filepath.Join(e.home, ".config", "autostart")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(e.home, ".zlogin"))
	_, err := e.compile(t, "\n[[mount]]\ntype = \"bind\"\nsource = \"${HOME}\"\n")
	var errs profile.Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("want one positioned error, got %v", err)
	}
	msg := errs[0].Error()
	for _, want := range []string{":3:1: mount[", ".config/autostart .zlogin", "mkdir -p .config/autostart", "touch .zlogin", "filesystem.unprotect"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q: %s", want, msg)
		}
	}
	for _, p := range []string{".config/autostart", ".zlogin"} {
		if _, err := os.Lstat(filepath.Join(e.home, p)); err == nil {
			t.Errorf("%s was created on the host", p)
		}
	}
	// Below a tmpfs, nothing can be created on the host: no refusal.
	writeFile(t, filepath.Join(e.home, ".zlogin"), "")
	if _, err := e.compile(t, "[[mount]]\ntype = \"bind\"\nsource = \"${HOME}\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"${HOME}/.config\"\n"); err != nil {
		t.Errorf("covered by tmpfs: %v", err)
	}
}

// TestProtectRelease checks filesystem.unprotect: the named path, and only
// it, is left writable and listed as released.
func TestProtectRelease(t *testing.T) {
	e := newProtectEnv(t)
	gitInit(t, e.proj)
	pl, err := e.compile(t, bindCWD+"[filesystem]\nunprotect = [\"${CWD}/.git/hooks\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	g := filepath.Join(e.proj, ".git")
	wantProtects(t, pl, "pin "+g, "ro "+g+"/config")
	var released []string
	for _, p := range pl.Protected {
		if p.Released != "" {
			released = append(released, p.Host)
			if p.At.Line != 6 {
				t.Errorf("released %s at %v, want the unprotect line", p.Host, p.At)
			}
		}
	}
	if !slices.Equal(released, []string{g + "/hooks"}) {
		t.Errorf("released %q", released)
	}
}

// TestProtectObservesHost checks that the plan depends on the files the
// protection looked at: a .git that appears later must change the plan.
func TestProtectObservesHost(t *testing.T) {
	e := newProtectEnv(t)
	h := e.host()
	path := filepath.Join(t.TempDir(), "p.toml")
	writeFile(t, path, "extends = [\"minimal\"]\n"+bindCWD)
	p, err := profile.Load(path, e.env(), profile.Source{Builtin: profiles.FS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(p, []string{"true"}, h); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(h.Inputs.Deps(), func(d hostview.Dep) bool { return d.Path == filepath.Join(e.proj, ".git") }) {
		t.Error("the absence of .git in the bound project is not a dependency of the plan")
	}
}

// TestCompileProtectsNothingWithoutWritableBinds keeps plans of read-only
// profiles free of protection steps.
func TestCompileProtectsNothingWithoutWritableBinds(t *testing.T) {
	e := newProtectEnv(t)
	gitInit(t, e.proj)
	pl, err := e.compile(t, "[[mount]]\ntype = \"ro-bind\"\nsource = \"${CWD}\"\n")
	if err != nil {
		t.Fatal(err)
	}
	wantProtects(t, pl)
}
