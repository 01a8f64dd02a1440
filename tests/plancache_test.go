package tests

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The plan cache: a launch whose plan is cached runs before the Go runtime
// starts (launcher/fast.c). These tests run each scenario twice with a
// private runtime directory: the first launch compiles and stores the
// plan, the second runs it from the cache. SANDBOX_PLAN_CACHE=verbose
// makes each launch say which it was; everything else must be the same.

// cacheRun is one mode's setting for plan cache runs: its own
// $XDG_RUNTIME_DIR, as a login session has one.
type cacheRun struct {
	m       mode
	runtime string
	dir     string // the working directory
	env     []string
}

func newCacheRun(t *testing.T, m mode) *cacheRun {
	t.Helper()
	rt, err := os.MkdirTemp("", "sandbox-it-run-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	if m.rootless() {
		if err := os.Chown(rt, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	return &cacheRun{m: m, runtime: rt, dir: "/"}
}

func (c *cacheRun) plans() string { return filepath.Join(c.runtime, "sandbox", "plans") }

// setup gives a command the runtime directory and verbose cache messages.
func (c *cacheRun) setup(cmd *exec.Cmd) {
	cmd.Dir = c.dir
	cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+c.runtime, "SANDBOX_PLAN_CACHE=verbose")
	cmd.Env = append(cmd.Env, c.env...)
}

func (c *cacheRun) run(t *testing.T, args ...string) result {
	t.Helper()
	return sandboxCmd(t, c.m, c.setup, args...)
}

// cacheSaid is what the launch said about the cache: "hit", "stored",
// "miss (why)" and so on, one per line.
func cacheSaid(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if s, ok := strings.CutPrefix(l, "sandbox: plan cache: "); ok {
			out = append(out, s)
		}
	}
	return out
}

// wantCache fails unless the launch said exactly want (prefixes).
func wantCache(t *testing.T, r result, want ...string) {
	t.Helper()
	said := cacheSaid(r.stderr)
	ok := len(said) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(said[i], want[i])
	}
	if !ok {
		t.Fatalf("plan cache said %q, want %q\n%s", said, want, r)
	}
}

// wantCold fails unless the launch compiled its plan and stored it.
func wantCold(t *testing.T, r result) {
	t.Helper()
	said := cacheSaid(r.stderr)
	if len(said) == 0 || !strings.HasPrefix(said[0], "miss") || said[len(said)-1] != "stored" {
		t.Fatalf("plan cache said %q, want a miss and the plan stored\n%s", said, r)
	}
}

// TestPlanCacheSameSandbox checks that a launch from the cache builds the
// very sandbox a compiled launch does: what the payload sees of its
// privileges, ids, filesystem, environment, limits and fds is identical.
func TestPlanCacheSameSandbox(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		script := `grep -E '^(Cap|NoNewPrivs|Seccomp|Sig(Blk|Ign)|Groups)' /proc/self/status; id; hostname; umask
cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups
ls -a /; awk '{print $5, $6, $9}' /proc/self/mountinfo; env | sort; ls /proc/$$/fd; ulimit -a`
		cold := c.run(t, "-p", "minimal", "--", "/bin/sh", "-c", script)
		wantCold(t, cold)
		hot := c.run(t, "-p", "minimal", "--", "/bin/sh", "-c", script)
		wantCache(t, hot, "hit")
		if cold.code != 0 || hot.code != 0 {
			t.Fatalf("cold:\n%s\ncached:\n%s", cold, hot)
		}
		if cold.stdout != hot.stdout {
			t.Fatalf("the cached launch differs:\ncold:\n%s\ncached:\n%s", cold.stdout, hot.stdout)
		}
		if !strings.Contains(hot.stdout, "NoNewPrivs:\t1") || !strings.Contains(hot.stdout, "Seccomp:\t2") {
			t.Fatalf("cached launch without no_new_privs or seccomp:\n%s", hot.stdout)
		}
		if strings.Contains(hot.stdout, "SECRET_TOKEN") || strings.Contains(hot.stdout, "SANDBOX_PLAN_CACHE") {
			t.Fatalf("the caller's environment leaked into the cached launch:\n%s", hot.stdout)
		}
		// The cache holds the plan, not the caller's environment.
		for _, e := range entries(c.plans()) {
			b, err := os.ReadFile(filepath.Join(c.plans(), e))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("do-not-leak")) {
				t.Errorf("cache file %s holds a variable the profile does not pass", e)
			}
		}
	})
}

// TestPlanCacheNoticesChanges changes, one at a time, each thing a plan is
// compiled from, and checks that the next launch compiles afresh and runs
// the new plan.
func TestPlanCacheNoticesChanges(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		bindDir := sharedDir(t, 0o755)
		if err := os.WriteFile(filepath.Join(bindDir, "x"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// cwd_notice = false: a launch that prints the notice about
		// its working directory (from /usr below) is not cached.
		prof := secProfile(t, "changing.toml", "extends = [\"minimal\"]\nhostname = \"one\"\n[filesystem]\ncwd_notice = false\n"+
			bindTOML("ro-bind", bindDir, "/srv/data"))
		args := []string{"-p", prof, "--", "/bin/sh", "-c", "hostname; ls /srv/data"}
		step := func(name, wantOut string, want ...string) {
			t.Helper()
			r := c.run(t, args...)
			if want == nil {
				wantCold(t, r)
			} else {
				wantCache(t, r, want...)
			}
			if r.code != 0 || r.stdout != wantOut {
				t.Fatalf("%s: want stdout %q\n%s", name, wantOut, r)
			}
		}
		settle(t, prof)
		step("first launch", "one\nx\n")
		step("second launch", "one\nx\n", "hit")

		// What is in a bound directory is not part of the plan.
		if err := os.WriteFile(filepath.Join(bindDir, "y"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		step("with a file added to the bound directory", "one\nx\ny\n", "hit")

		// The profile file, rewritten with the same size: a plan read
		// from a file changed this recently is not stored (its times
		// may not show a second change within the same tick).
		if err := os.WriteFile(prof, bytes.Replace(mustRead(t, prof), []byte(`"one"`), []byte(`"two"`), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		r := c.run(t, args...)
		wantCache(t, r, "miss (a file the plan was compiled from changed)",
			"not stored (a file the plan was compiled from changed less than a second ago: "+prof)
		if r.stdout != "two\nx\ny\n" {
			t.Fatalf("after editing the profile: %s", r)
		}
		settle(t, prof)
		r = c.run(t, args...)
		wantCache(t, r, "miss (a file the plan was compiled from changed)", "stored")
		step("after the edit", "two\nx\ny\n", "hit")

		// Another working directory.
		c.dir = "/usr"
		r = c.run(t, args...)
		wantCache(t, r, "miss (written in another working directory)", "stored")
		step("in /usr", "two\nx\ny\n", "hit")

		// A variable the payload receives, set: the plan holds its
		// value.
		c.env = []string{"LANG=C"}
		r = c.run(t, args...)
		wantCache(t, r, "miss (a variable the plan depends on changed)", "stored")

		// A bind source that is gone: the compiler reports the line.
		os.RemoveAll(bindDir)
		r = c.run(t, args...)
		if r.code != 125 || !strings.Contains(r.stderr, "changing.toml:") || !strings.Contains(r.stderr, "a file the plan was compiled from changed") {
			t.Fatalf("after removing the bind source: %s", r)
		}
	})
}

// TestPlanCacheSearchPath checks that a profile placed earlier on the
// search path than the one a cached plan came from takes over at once.
func TestPlanCacheSearchPath(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		cfg := sharedDir(t, 0o755)
		c.env = []string{"XDG_CONFIG_HOME=" + cfg}
		args := []string{"-p", "minimal", "--", "/bin/hostname"}
		first := c.run(t, args...)
		wantCold(t, first)
		wantCache(t, c.run(t, args...), "hit")

		dir := filepath.Join(cfg, "sandbox", "profiles")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "minimal.toml"), []byte("extends = [\"minimal\"]\nhostname = \"mine\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		settle(t, filepath.Join(dir, "minimal.toml"))
		r := c.run(t, args...)
		wantCache(t, r, "miss (a file the plan was compiled from changed)", "stored")
		if r.code != 0 || r.stdout != "mine\n" || first.stdout == "mine\n" {
			t.Fatalf("the user's minimal.toml was not used: before %q, now %s", first.stdout, r)
		}
	})
}

// TestPlanCacheOtherExecutable checks that a plan stored by one build of
// the launcher is not run by another.
func TestPlanCacheOtherExecutable(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		args := []string{"-p", "minimal", "--", "/bin/true"}
		wantCold(t, c.run(t, args...))
		other := filepath.Join(sharedDir(t, 0o755), "sandbox")
		if err := os.WriteFile(other, mustRead(t, sandboxBin), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(other, args...)
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent", "USER=nobody",
			"LANG=C.UTF-8", "TERM=dumb", "SECRET_TOKEN=do-not-leak"}
		if !m.rootless() {
			cmd.Env[1], cmd.Env[2] = "HOME=/root", "USER=root"
		} else {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
		}
		c.setup(cmd)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, errb.String())
		}
		said := cacheSaid(errb.String())
		if len(said) == 0 || said[0] != "miss (written by another sandbox executable)" {
			t.Fatalf("the copy of the launcher said %q", said)
		}
	})
}

// TestPlanCacheTrust damages or hands over the cached file in ways another
// user or a crash could, and checks that the launch compiles afresh and
// runs correctly each time (F15).
func TestPlanCacheTrust(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "changing the owner of cache files needs root")
	c := newCacheRun(t, asRoot)
	args := []string{"-p", "minimal", "--", "/bin/sh", "-c", "echo fine"}
	file := func() string {
		t.Helper()
		names := entries(c.plans())
		if len(names) != 1 {
			t.Fatalf("plan cache holds %q, want one plan", names)
		}
		return filepath.Join(c.plans(), names[0])
	}
	check := func(what, why string) {
		t.Helper()
		r := c.run(t, args...)
		if r.code != 0 || r.stdout != "fine\n" {
			t.Fatalf("%s: %s", what, r)
		}
		wantCache(t, r, "miss ("+why, "stored")
		wantCache(t, c.run(t, args...), "hit")
	}
	wantCold(t, c.run(t, args...))

	if err := os.Chmod(file(), 0o666); err != nil {
		t.Fatal(err)
	}
	check("a world-writable cache file", "the cached plan is not this user's alone")

	if err := os.Chown(file(), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	check("a cache file of another user's", "the cached plan is not this user's alone")

	if err := os.Chmod(c.plans(), 0o777); err != nil {
		t.Fatal(err)
	}
	r := c.run(t, args...)
	wantCache(t, r, "miss (no cache directory of this user's)", "not stored")
	if err := os.Chmod(c.plans(), 0o700); err != nil {
		t.Fatal(err)
	}
	wantCache(t, c.run(t, args...), "hit")

	b := mustRead(t, file())
	b[len(b)-9] ^= 0x40
	if err := os.WriteFile(file(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	check("a damaged plan", "the cached plan is damaged")

	if err := os.Truncate(file(), 100); err != nil {
		t.Fatal(err)
	}
	check("a truncated plan", "the cached plan is not a regular file of a plausible size")

	// The plan of another invocation under this one's name.
	good := file()
	other := []string{"-p", "minimal", "--", "/bin/sh", "-c", "echo planted"}
	wantCold(t, c.run(t, other...))
	var planted string
	for _, e := range entries(c.plans()) {
		if p := filepath.Join(c.plans(), e); p != good {
			planted = p
		}
	}
	if err := os.Rename(planted, good); err != nil {
		t.Fatal(err)
	}
	check("another invocation's plan", "written for other arguments")

	// A symlink where the plans directory was.
	real := c.plans() + ".real"
	if err := os.Rename(c.plans(), real); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, c.plans()); err != nil {
		t.Fatal(err)
	}
	r = c.run(t, args...)
	wantCache(t, r, "miss (no cache directory of this user's)", "not stored")
	if r.code != 0 || r.stdout != "fine\n" {
		t.Fatalf("with a symlinked cache directory: %s", r)
	}
}

// settle waits until the files have been still for more than a second:
// a plan read from a file changed more recently is not cached.
func settle(t *testing.T, paths ...string) {
	t.Helper()
	var newest time.Time
	for _, p := range paths {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		for _, ts := range []syscall.Timespec{st.Mtim, st.Ctim} {
			if tm := time.Unix(ts.Sec, ts.Nsec); tm.After(newest) {
				newest = tm
			}
		}
	}
	time.Sleep(time.Until(newest.Add(1100 * time.Millisecond)))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPlanCacheExplain checks that explain says whether launches run the
// plan from the cache, and why not.
func TestPlanCacheExplain(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		nat := writeProfile(t, "nat.toml", "extends = [\"minimal\"]\n[network]\nmode = \"nat\"\n")
		for _, tc := range []struct {
			env  []string
			args []string
			want string
		}{
			{nil, []string{"explain", "minimal"}, "launch: compiled once, then run from the plan cache"},
			{[]string{"SANDBOX_PLAN_CACHE=off"}, []string{"explain", "minimal"}, "not cached: SANDBOX_PLAN_CACHE turns it off"},
			{nil, []string{"explain", nat}, "launch: compiled at every launch (not cached: "},
		} {
			c.env = tc.env
			r := c.run(t, tc.args...)
			if r.code != 0 || !strings.Contains(r.stdout, tc.want) {
				t.Errorf("%q with %q: want %q in\n%s", tc.args, tc.env, tc.want, r)
			}
		}
	})
}

// TestPlanCacheEnvironment checks that the cache's key covers the
// variables the plan depends on and no other. A launch repeated with only
// unrelated variables changed (a benchmark's per-run variable, a menu's
// startup token, the shell's previous directory) runs from the cache.
// Changing a variable the profile passes to the payload (by name or by a
// prefix, or adding one under the prefix), or one its load read, compiles
// afresh, and the payload sees the new value.
func TestPlanCacheEnvironment(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		unrelated := func(n int) []string {
			return []string{"HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET=" + strconv.Itoa(n), "DESKTOP_STARTUP_ID=token" + strconv.Itoa(n),
				"OLDPWD=/dir" + strconv.Itoa(n), "UNRELATED_" + strconv.Itoa(n) + "=1"}
		}
		plain := []string{"-p", "minimal", "--", "/bin/sh", "-c", "echo ${DESKTOP_STARTUP_ID:-none}"}
		c.env = unrelated(1)
		wantCold(t, c.run(t, plain...))
		for n := 2; n <= 3; n++ {
			c.env = unrelated(n)
			r := c.run(t, plain...)
			wantCache(t, r, "hit")
			if r.code != 0 || r.stdout != "none\n" {
				t.Fatalf("%s", r)
			}
		}

		state := func(n int) string { return "/nonexistent/state" + strconv.Itoa(n) }
		keeps := writeProfile(t, "keeps.toml", "extends = [\"minimal\"]\n[environment]\n"+
			"keep = [\"DESKTOP_STARTUP_ID\", \"MYAPP_*\"]\nset = { STATE = \"${XDG_STATE_HOME}\" }\n")
		settle(t, keeps)
		args := []string{"-p", keeps, "--", "/bin/sh", "-c", "echo $DESKTOP_STARTUP_ID $STATE; env | grep ^MYAPP_ | sort"}
		const changed = "miss (a variable the plan depends on changed)"
		for _, step := range []struct {
			what  string
			env   []string
			want  []string
			print string
		}{
			{"the first launch", []string{"DESKTOP_STARTUP_ID=a", "XDG_STATE_HOME=" + state(1), "MYAPP_X=1"}, nil,
				"a " + state(1) + "\nMYAPP_X=1\n"},
			{"an unrelated variable changed", []string{"DESKTOP_STARTUP_ID=a", "XDG_STATE_HOME=" + state(1), "MYAPP_X=1", "OTHER=2"},
				[]string{"hit"}, "a " + state(1) + "\nMYAPP_X=1\n"},
			{"a kept variable changed", []string{"DESKTOP_STARTUP_ID=b", "XDG_STATE_HOME=" + state(1), "MYAPP_X=1"},
				[]string{changed, "stored"}, "b " + state(1) + "\nMYAPP_X=1\n"},
			{"a variable under a kept prefix changed", []string{"DESKTOP_STARTUP_ID=b", "XDG_STATE_HOME=" + state(1), "MYAPP_X=2"},
				[]string{changed, "stored"}, "b " + state(1) + "\nMYAPP_X=2\n"},
			{"a variable under a kept prefix added", []string{"DESKTOP_STARTUP_ID=b", "XDG_STATE_HOME=" + state(1), "MYAPP_X=2", "MYAPP_Y=3"},
				[]string{changed, "stored"}, "b " + state(1) + "\nMYAPP_X=2\nMYAPP_Y=3\n"},
			{"a kept variable unset", []string{"XDG_STATE_HOME=" + state(1), "MYAPP_X=2", "MYAPP_Y=3"},
				[]string{changed, "stored"}, state(1) + "\nMYAPP_X=2\nMYAPP_Y=3\n"},
			{"a variable the profile's load read changed", []string{"XDG_STATE_HOME=" + state(2), "MYAPP_X=2", "MYAPP_Y=3"},
				[]string{changed, "stored"}, state(2) + "\nMYAPP_X=2\nMYAPP_Y=3\n"},
			{"the same again", []string{"XDG_STATE_HOME=" + state(2), "MYAPP_X=2", "MYAPP_Y=3", "OTHER=3"},
				[]string{"hit"}, state(2) + "\nMYAPP_X=2\nMYAPP_Y=3\n"},
		} {
			c.env = step.env
			r := c.run(t, args...)
			if step.want == nil {
				wantCold(t, r)
			} else {
				wantCache(t, r, step.want...)
			}
			if r.code != 0 || strings.TrimLeft(r.stdout, " ") != step.print {
				t.Fatalf("%s: the payload printed %q, want %q\n%s", step.what, r.stdout, step.print, r)
			}
		}
	})
}

// TestPlanCacheRefusesEditedPlan checks that a plan file edited in place,
// with its checksum recomputed, is either exactly what the launcher wrote
// or refused (H4): regions of the file that overlap each other or its
// header, and a plan whose offsets alias its own header, all send the
// launch the ordinary way, which still runs the command.
func TestPlanCacheRefusesEditedPlan(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		args := []string{"-p", "minimal", "--", "/bin/sh", "-c", "echo fine"}
		wantCold(t, c.run(t, args...))
		names := entries(c.plans())
		if len(names) != 1 {
			t.Fatalf("plan cache holds %q, want one plan", names)
		}
		file := filepath.Join(c.plans(), names[0])
		orig := mustRead(t, file)
		// plan_cache.h's header: 264 bytes, which has env_off,
		// env_len at 144 and whose last eight words are cwd_off,
		// cwd_len, say_off, say_len, deps_off, ndeps, plan_off,
		// plan_len.
		le := binary.NativeEndian
		if le.Uint32(orig[12:]) != 264 {
			t.Fatalf("the cache header is %d bytes; this test knows the 264-byte one", le.Uint32(orig[12:]))
		}
		planOff := le.Uint64(orig[248:])
		for _, edit := range []struct {
			name string
			f    func(b []byte)
		}{
			{"the variable names inside the header", func(b []byte) { le.PutUint64(b[144:], 8); le.PutUint64(b[152:], 2) }},
			{"the variable names over the working directory", func(b []byte) { le.PutUint64(b[144:], le.Uint64(b[200:])) }},
			{"the working directory inside the header", func(b []byte) { le.PutUint64(b[200:], 8); le.PutUint64(b[208:], 2) }},
			{"the notice inside the header", func(b []byte) { le.PutUint64(b[216:], 8); le.PutUint64(b[224:], 2) }},
			{"the plan over the dependencies", func(b []byte) { le.PutUint64(b[248:], le.Uint64(b[232:])) }},
			// The plan's step array (its third word) at the plan's
			// own first byte.
			{"the steps over the plan's header", func(b []byte) { le.PutUint64(b[planOff+16:], 1) }},
		} {
			b := append([]byte(nil), orig...)
			edit.f(b)
			sum := fnv.New64a()
			sum.Write(b[264:])
			le.PutUint64(b[24:], sum.Sum64())
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			r := c.run(t, args...)
			if r.code != 0 || r.stdout != "fine\n" {
				t.Fatalf("%s: %s", edit.name, r)
			}
			wantCache(t, r, "miss (the cached plan is damaged", "stored")
			if got := mustRead(t, file); !bytes.Equal(got, orig) {
				t.Fatalf("%s: the launch did not store the plan afresh", edit.name)
			}
		}
		wantCache(t, c.run(t, args...), "hit")
	})
}
