package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A user's world for the working-directory tests: a home of their own
// (owned by the unprivileged id, which is also what a root launch's
// sandbox runs as on the host), a project directory outside ~/src, and the
// environment a login shell gives.
type userWorld struct {
	home, proj string
}

func newUserWorld(t *testing.T) userWorld {
	t.Helper()
	home := filepath.Join(sharedDir(t, 0o755), "home")
	proj := filepath.Join(home, "work", "proj")
	for _, d := range []string{proj, filepath.Join(home, "src"), filepath.Join(home, ".config", "sandbox", "profiles")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return userWorld{home: home, proj: proj}
}

// own gives everything in the home to the unprivileged id, as if the user
// had made it.
func (w userWorld) own(t *testing.T) {
	t.Helper()
	filepath.Walk(w.home, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			os.Lchown(p, nobody, nobody)
		}
		return nil
	})
}

func (w userWorld) write(t *testing.T, rel, text string) string {
	t.Helper()
	p := filepath.Join(w.home, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// in runs sandbox from dir with the world's home.
func (w userWorld) in(t *testing.T, m mode, dir string, args ...string) result {
	t.Helper()
	return sandboxCmd(t, m, func(c *exec.Cmd) {
		c.Dir = dir
		for i, kv := range c.Env {
			if strings.HasPrefix(kv, "HOME=") {
				c.Env[i] = "HOME=" + w.home
			}
		}
	}, args...)
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	_, err := exec.LookPath(name)
	requireOrSkip(t, err == nil, name+" is not installed")
}

// TestCwdGitCloneLandsInProject: `sandbox git clone SRC myclone` from a
// project directory creates ./myclone on the host, as git outside would.
func TestCwdGitCloneLandsInProject(t *testing.T) {
	requireTool(t, "git")
	bothModes(t, func(t *testing.T, m mode) {
		w := newUserWorld(t)
		origin := filepath.Join(w.home, "src", "origin")
		for _, args := range [][]string{
			{"init", "-q", "-b", "main", origin},
			{"-C", origin, "-c", "user.name=u", "-c", "user.email=u@example.org", "commit", "-q", "--allow-empty", "-m", "first commit"},
		} {
			if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		w.own(t)
		r := w.in(t, m, w.proj, "git", "clone", "-q", origin, "myclone")
		if r.code != 0 {
			t.Fatalf("sandbox git clone: %s", r)
		}
		if strings.Contains(r.stderr, "notice") {
			t.Errorf("a notice for a profile that binds the project:\n%s", r.stderr)
		}
		if _, err := os.Stat(filepath.Join(w.proj, "myclone", ".git", "HEAD")); err != nil {
			t.Fatalf("the clone is not in the project on the host: %v", err)
		}
		log, err := exec.Command("git", "-c", "safe.directory=*", "-C", filepath.Join(w.proj, "myclone"), "log", "--format=%s").Output()
		if err != nil || strings.TrimSpace(string(log)) != "first commit" {
			t.Errorf("the clone's log: %q, %v", log, err)
		}
	})
}

// TestCwdCurlWritesIntoCwd: `sandbox curl -sSO URL` saves the file in the
// directory it was started from (a file:// URL: the tests are offline).
func TestCwdCurlWritesIntoCwd(t *testing.T) {
	requireTool(t, "curl")
	bothModes(t, func(t *testing.T, m mode) {
		w := newUserWorld(t)
		src := w.write(t, "work/proj/in/data.txt", "payload data\n")
		w.own(t)
		r := w.in(t, m, w.proj, "curl", "-sSO", "file://"+src)
		if r.code != 0 {
			t.Fatalf("sandbox curl: %s", r)
		}
		got, err := os.ReadFile(filepath.Join(w.proj, "data.txt"))
		if err != nil || string(got) != "payload data\n" {
			t.Fatalf("the download is not in the project on the host: %q, %v\n%s", got, err, r)
		}
	})
}

// TestCwdBuildMakesProject: `sandbox -p build make` (and `sandbox make`) in
// a directory with a Makefile builds it, wherever the project lives.
func TestCwdBuildMakesProject(t *testing.T) {
	requireTool(t, "make")
	bothModes(t, func(t *testing.T, m mode) {
		w := newUserWorld(t)
		w.write(t, "work/proj/Makefile", "out.txt:\n\techo built > out.txt\n")
		w.own(t)
		for _, args := range [][]string{{"-p", "build", "make"}, {"make", "-B"}} {
			os.Remove(filepath.Join(w.proj, "out.txt"))
			r := w.in(t, m, w.proj, args...)
			if r.code != 0 || strings.Contains(r.stdout+r.stderr, "No targets") {
				t.Fatalf("sandbox %v: %s", args, r)
			}
			if got, err := os.ReadFile(filepath.Join(w.proj, "out.txt")); err != nil || string(got) != "built\n" {
				t.Errorf("sandbox %v: out.txt on the host: %q, %v", args, got, err)
			}
		}
	})
}

// TestCwdRefusedWithOneLine: from the home directory, from /, from a
// directory the profile mounts itself and from one where the command
// could create files the host trusts, a profile that binds ${CWD} refuses
// in one line that says what the user can change, not with a line number
// of a built-in file.
func TestCwdRefusedWithOneLine(t *testing.T) {
	requireTool(t, "git")
	bothModes(t, func(t *testing.T, m mode) {
		w := newUserWorld(t)
		w.own(t)
		for _, tc := range []struct {
			dir  string
			args []string
			says string
		}{
			{w.home, []string{"git", "--version"}, "your home directory " + w.home},
			{w.home, []string{"-p", "agent", "true"}, "your home directory " + w.home},
			{"/", []string{"curl", "--version"}, "you started it from /"},
			{"/var/tmp", []string{"-p", "build", "true"}, "you started it from /var/tmp, a place the profile mounts something else on"},
			// Files the host trusts that a writable bind of ~/.config
			// would let the command create: the user creates them or
			// starts elsewhere.
			{filepath.Join(w.home, ".config"), []string{"curl", "--version"}, "where files the host trusts (autostart"},
		} {
			r := w.in(t, m, tc.dir, tc.args...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 125 || len(lines) != 1 || !strings.Contains(r.stderr, tc.says) ||
				!strings.Contains(r.stderr, "cd to a project directory") || strings.Contains(r.stderr, "builtin:") {
				t.Errorf("from %s, sandbox %v: want one line that says %q and what to do: %s", tc.dir, tc.args, tc.says, r)
			}
		}
	})
}

// TestCwdNotice: a launch says in one line, before it runs, when the
// directory it was started from is hidden in the sandbox or a throw-away
// tmpfs there; filesystem.cwd_notice = false silences it, and explain
// shows the same working directory.
func TestCwdNotice(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		w := newUserWorld(t)
		tmpfs := secProfile(t, "over.toml", "extends = [\"minimal\"]\n[[mount]]\ntype = \"tmpfs\"\ntarget = \""+w.proj+"\"\n")
		quiet := secProfile(t, "quiet.toml", "extends = [\"minimal\"]\n[filesystem]\ncwd_notice = false\n")
		w.own(t)
		for _, tc := range []struct {
			args []string
			says string // "" for no notice
			pwd  string
		}{
			{[]string{"-p", "minimal", "--", "pwd"}, w.proj + " is not visible in the sandbox; the command starts in /", "/"},
			{[]string{"-p", tmpfs, "--", "pwd"}, "the command starts in " + w.proj + ", which in the sandbox is a private tmpfs: files written there are lost", w.proj},
			{[]string{"-p", quiet, "--", "pwd"}, "", "/"},
			{[]string{"-p", "build", "--", "pwd"}, "", w.proj},
		} {
			r := w.in(t, m, w.proj, tc.args...)
			if r.code != 0 || strings.TrimSpace(r.stdout) != tc.pwd {
				t.Errorf("sandbox %v: want pwd %s: %s", tc.args, tc.pwd, r)
				continue
			}
			notices := strings.Count(r.stderr, "sandbox: notice: ")
			switch {
			case tc.says == "" && notices != 0:
				t.Errorf("sandbox %v: a notice where none is due: %s", tc.args, r)
			case tc.says != "" && (notices != 1 || !strings.Contains(r.stderr, tc.says)):
				t.Errorf("sandbox %v: want one notice saying %q: %s", tc.args, tc.says, r)
			}
		}
		// A cached plan starts before any Go code: the plan keeps what
		// the launch that stored it said, and the cached launch says
		// it too, once.
		rt := filepath.Join(w.home, "run")
		os.Mkdir(rt, 0o700)
		if m.rootless() {
			os.Chown(rt, nobody, nobody)
		}
		for i := 0; i < 2; i++ {
			r := sandboxCmd(t, m, func(c *exec.Cmd) {
				c.Dir = w.proj
				c.Env = append(c.Env, "XDG_RUNTIME_DIR="+rt, "SANDBOX_PLAN_CACHE=verbose")
			}, "-p", "minimal", "--", "true")
			want := []string{"plan cache: stored", "plan cache: hit"}[i]
			if r.code != 0 || strings.Count(r.stderr, "sandbox: notice: "+w.proj) != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("launch %d with a notice and the plan cache on: want the notice once and %q: %s", i+1, want, r)
			}
			// -q silences it on both paths.
			q := sandboxCmd(t, m, func(c *exec.Cmd) {
				c.Dir = w.proj
				c.Env = append(c.Env, "XDG_RUNTIME_DIR="+rt)
			}, "-q", "-p", "minimal", "--", "true")
			if q.code != 0 || strings.Contains(q.stderr, "notice") {
				t.Errorf("launch %d with -q: %s", i+1, q)
			}
		}
		r := w.in(t, m, w.proj, "explain", "build", "--json")
		var out struct {
			Cwd struct {
				Caller, Inside, Kind, Source string
				Writable, Kept, Same         bool
				Notice                       string
			} `json:"cwd"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 {
			t.Fatalf("explain --json: %v: %s", err, r)
		}
		c := out.Cwd
		if c.Caller != w.proj || c.Inside != w.proj || c.Kind != "bind" || c.Source != w.proj || !c.Writable || !c.Kept || !c.Same || c.Notice != "" {
			t.Errorf("explain --json cwd for build: %+v", c)
		}
		r = w.in(t, m, w.proj, "explain", "minimal")
		if !strings.Contains(r.stdout, "working directory, started from "+w.proj+": /,") || !strings.Contains(r.stdout, "sandbox: notice: "+w.proj+" is not visible") {
			t.Errorf("explain minimal does not show the working directory and its notice:\n%s", r.stdout)
		}
	})
}

// TestWhichPrecedence: a user's profile that lists a program beats the
// built-in one named like it, `sandbox which` says so and why, and two of
// the user's profiles listing one program stop the launch with an error
// naming both.
func TestWhichPrecedence(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		w := newUserWorld(t)
		w.write(t, ".config/sandbox/profiles/mycurl.toml", "extends = [\"minimal\"]\nprograms = [\"curl\"]\n")
		w.write(t, ".config/sandbox/profiles/a.toml", "extends = [\"minimal\"]\nprograms = [\"twice\"]\n")
		w.write(t, ".config/sandbox/profiles/b.toml", "extends = [\"minimal\"]\nprograms = [\"twice\"]\n")
		w.own(t)
		r := w.in(t, m, w.proj, "which", "curl")
		if r.code != 0 || !strings.Contains(r.stdout, "curl: profile mycurl (") || !strings.Contains(r.stdout, "not curl (builtin:curl.toml)") {
			t.Errorf("which curl: %s", r)
		}
		r = w.in(t, m, w.proj, "which", "curl", "--json")
		var out struct {
			Chosen struct{ Name, File string }
			Losers []struct{ Name, File string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Chosen.Name != "mycurl" || len(out.Losers) != 1 || out.Losers[0].File != "builtin:curl.toml" {
			t.Errorf("which curl --json: %+v, %v: %s", out, err, r)
		}
		a := filepath.Join(w.home, ".config/sandbox/profiles/a.toml")
		b := filepath.Join(w.home, ".config/sandbox/profiles/b.toml")
		for _, args := range [][]string{{"which", "twice"}, {"twice"}} {
			r = w.in(t, m, w.proj, args...)
			if r.code == 0 || !strings.Contains(r.stderr, a) || !strings.Contains(r.stderr, b) {
				t.Errorf("sandbox %v with two user profiles listing it: want an error naming both: %s", args, r)
			}
		}
	})
}

// TestCwdEnterFromElsewhere: `sandbox enter` into a sandbox of a profile
// that binds ${CWD} works from another directory (the home, where the
// profile would not load): the profile is compiled for the directory the
// sandbox was started from.
func TestCwdEnterFromElsewhere(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		w := newUserWorld(t)
		w.own(t)
		env := append(instanceEnv(t, m), "HOME="+w.home)
		name := uniqueName("cwd-enter", m)
		startInstanceIn(t, m, w.proj, env, "--name", name, "-p", "build", "--", "sh", "-c", "echo ready; exec sleep 60")
		r := sandboxCmd(t, m, func(c *exec.Cmd) {
			c.Dir = w.home
			c.Env = append(c.Env, env...)
		}, "enter", name, "--", "sh", "-c", "echo entered > "+w.proj+"/from-enter")
		if r.code != 0 {
			t.Fatalf("sandbox enter from the home directory: %s", r)
		}
		if got, err := os.ReadFile(filepath.Join(w.proj, "from-enter")); err != nil || string(got) != "entered\n" {
			t.Errorf("the entered command could not write the project: %q, %v", got, err)
		}
	})
}
