package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
	"sandbox/profiles"
)

// testCaller is a rootless caller with a real home and project directory.
type testCaller struct {
	home, cwd string
}

func newTestCaller(t *testing.T) testCaller {
	home := t.TempDir()
	cwd := filepath.Join(home, "src")
	if err := os.MkdirAll(filepath.Join(home, "Downloads"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	return testCaller{home, cwd}
}

// plan compiles a profile (a shipped name or a file) leniently.
func (c testCaller) plan(t *testing.T, name string) *plan.Plan {
	t.Helper()
	env := profile.Env{UID: 1000, GID: 1000, User: "user", Home: c.home, Cwd: c.cwd,
		Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "PATH": "/usr/bin:/bin"}}
	p, err := profile.Load(name, env, profile.Source{Builtin: profiles.FS})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	host := hostview.Host{UID: 1000, GID: 1000, EUID: 1000, User: "user", Home: c.home, Cwd: c.cwd,
		Env: []string{"PATH=/usr/bin:/bin", "TERM=xterm", "LANG=C.UTF-8"}, Lenient: true}
	pl, err := compile.Compile(p, []string{"/bin/true"}, host)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return pl
}

func (c testCaller) profile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScoreMinimalBetterThanFirefox(t *testing.T) {
	c := newTestCaller(t)
	min := ScorePlan(c.plan(t, "minimal"), c.home)
	ff := ScorePlan(c.plan(t, "firefox"), c.home)
	if min.Total >= ff.Total || min.Grade != "A" {
		t.Errorf("minimal %d (%s), firefox %d (%s): want minimal graded A and below firefox", min.Total, min.Grade, ff.Total, ff.Grade)
	}
	for _, it := range ff.Items {
		if it.Weight <= 0 || it.Text == "" {
			t.Errorf("item %+v has no weight or text", it)
		}
	}
}

// TestScoreNamesTheLine checks every profile-caused item says which line
// causes it: a home bind added to minimal is charged to that line.
func TestScoreNamesTheLine(t *testing.T) {
	c := newTestCaller(t)
	prof := c.profile(t, "extends = [\"minimal\"]\n\n[[mount]]\ntype = \"bind\"\nsource = \"${HOME}/Downloads\"\ntarget = \"/data\"\n")
	sc := ScorePlan(c.plan(t, prof), c.home)
	found := false
	for _, it := range sc.Items {
		if it.Key == "mount" && it.At.File == prof && it.At.Line == 3 {
			found = true
		}
	}
	if !found {
		t.Errorf("score items %+v: want the home bind at %s:3", sc.Items, prof)
	}
}

func TestDiffSameProfileIsEmpty(t *testing.T) {
	c := newTestCaller(t)
	cs, err := Diff(c.plan(t, "minimal"), c.plan(t, "minimal"))
	if err != nil || len(cs) != 0 {
		t.Errorf("diff minimal minimal: %v %+v, want nothing", err, cs)
	}
}

// TestDiffHomeBindIsLoosening: a profile that adds a home bind to minimal
// loosens it, at that line.
func TestDiffHomeBindIsLoosening(t *testing.T) {
	c := newTestCaller(t)
	prof := c.profile(t, "extends = [\"minimal\"]\n\n[[mount]]\ntype = \"bind\"\nsource = \"${HOME}/Downloads\"\ntarget = \"/data\"\n")
	cs, err := Diff(c.plan(t, "minimal"), c.plan(t, prof))
	if err != nil {
		t.Fatal(err)
	}
	if !Loosens(cs) {
		t.Fatalf("changes %+v: want a loosening", cs)
	}
	var hit bool
	for _, ch := range cs {
		if ch.Area == "mount" && ch.Direction == Loosening && ch.At.File == prof && ch.At.Line == 3 && strings.Contains(ch.Text, "/data") {
			hit = true
		}
	}
	if !hit {
		t.Errorf("changes %+v: want a mount loosening at %s:3", cs, prof)
	}
	// The other way round it is a tightening, and nothing loosens.
	back, err := Diff(c.plan(t, prof), c.plan(t, "minimal"))
	if err != nil || Loosens(back) || len(back) == 0 {
		t.Errorf("reverse diff %+v (%v): want tightenings only", back, err)
	}
}

// TestDiffSeccompAndCaps: allowing a denied syscall and keeping a
// capability are loosenings, each reported once.
func TestDiffSeccompAndCaps(t *testing.T) {
	c := newTestCaller(t)
	prof := c.profile(t, "extends = [\"minimal\"]\n\n[capabilities]\nkeep = [\"net_raw\"]\n\n[seccomp.syscalls]\nkeyctl = \"allow\"\n")
	cs, err := Diff(c.plan(t, "minimal"), c.plan(t, prof))
	if err != nil {
		t.Fatal(err)
	}
	var keyctl, netraw int
	for _, ch := range cs {
		if ch.Area == "seccomp" && strings.HasPrefix(ch.Text, "keyctl:") && ch.Direction == Loosening {
			keyctl++
		}
		if ch.Area == "capabilities" && strings.Contains(ch.Text, "net_raw") && ch.Direction == Loosening {
			netraw++
		}
	}
	if keyctl != 1 || netraw != 1 {
		t.Errorf("changes %+v: want keyctl and net_raw loosened once each", cs)
	}
}

// TestDiffShippedProfiles: every shipped profile compared with minimal
// gives changes that name an area and a direction.
func TestDiffShippedProfiles(t *testing.T) {
	c := newTestCaller(t)
	base := c.plan(t, "minimal")
	for _, name := range []string{"jq", "build", "firefox", "git"} {
		cs, err := Diff(base, c.plan(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !Loosens(cs) {
			t.Errorf("%s: no loosening against minimal: %+v", name, cs)
		}
		for _, ch := range cs {
			if ch.Area == "" || ch.Direction == "" || ch.Text == "" {
				t.Errorf("%s: incomplete change %+v", name, ch)
			}
		}
	}
}
