package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The run command line's loosening flags (--bind, --ro-bind, --net, --env)
// stack on the profile as a last layer: they take effect, the plan cache
// never serves a plan compiled for other flags, errors name the flag, and
// no flag makes a file the host trusts writable.

// flagsDir makes a directory the mode's user owns, below a directory
// everyone can search (t.TempDir's parents are private to root).
func flagsDir(t *testing.T, m mode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sandbox-it-flags-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	// A root launch runs the payload as nobody too (no SUDO_UID).
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeAs writes a file owned by nobody, so the payload could change it
// unless the sandbox keeps it read-only.
func writeAs(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for p := path; p != filepath.Dir(p) && strings.Contains(p, "sandbox-it-flags-"); p = filepath.Dir(p) {
		os.Chown(p, nobody, nobody)
	}
}

func TestFlagsBindAndPlanCache(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		base := flagsDir(t, m)
		a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
		writeAs(t, filepath.Join(a, "f"), "from-a\n")
		writeAs(t, filepath.Join(b, "f"), "from-b\n")
		c := newCacheRun(t, m)
		for i, want := range []string{"from-a", "from-a", "from-b"} {
			src := a
			if i == 2 {
				src = b
			}
			r := c.run(t, "--bind", src+":/data", "-p", "minimal", "cat", "/data/f")
			if r.code != 0 || strings.TrimSpace(r.stdout) != want {
				t.Fatalf("run %d with --bind %s: want %q: %s", i, src, want, r)
			}
			said := strings.Join(cacheSaid(r.stderr), "; ")
			if i == 1 && !strings.Contains(said, "hit") {
				t.Errorf("the repeated run was not served from the cache: %q", said)
			}
			if i == 2 && strings.Contains(said, "hit") {
				t.Errorf("a run with another --bind was served from the cache: %q", said)
			}
		}
		// --ro-bind: readable, not writable; --bind: writable.
		r := sandbox(t, m, "--ro-bind", a+":/data", "-p", "minimal", "sh", "-c", "cat /data/f; echo x > /data/g && echo wrote")
		if r.code == 0 || !strings.Contains(r.stdout, "from-a") || strings.Contains(r.stdout, "wrote") {
			t.Errorf("--ro-bind: %s", r)
		}
		r = sandbox(t, m, "--bind", a+":/data", "-p", "minimal", "sh", "-c", "echo x > /data/g && echo wrote")
		if r.code != 0 || !strings.Contains(r.stdout, "wrote") {
			t.Errorf("--bind: the payload could not write: %s", r)
		}
	})
}

func TestFlagsEnvAndNet(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		r := sandboxCmd(t, m, func(cmd *exec.Cmd) { cmd.Env = append(cmd.Env, "FROM_HOST=host-value") },
			"--env", "FROM_HOST", "--env", "SET_HERE=a b$c", "-p", "minimal", "sh", "-c", `echo "$FROM_HOST|$SET_HERE"`)
		if r.code != 0 || strings.TrimSpace(r.stdout) != "host-value|a b$c" {
			t.Errorf("--env: %s", r)
		}
		// minimal has no network; --net host shares the host's: its
		// interfaces, more than lo, are visible.
		none := sandbox(t, m, "-p", "minimal", "cat", "/proc/net/dev")
		host := sandbox(t, m, "--net", "host", "-p", "minimal", "cat", "/proc/net/dev")
		if host.code != 0 || strings.Count(host.stdout, "\n") <= strings.Count(none.stdout, "\n") {
			t.Errorf("--net host shows no more interfaces than none:\n%s\n%s", none, host)
		}
	})
}

func TestFlagsErrorsNameTheFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--net", "bogus"}, "sandbox: --net bogus: unknown mode"},
		{[]string{"--bind", "/nonexistent-i12"}, "sandbox: --bind /nonexistent-i12: /nonexistent-i12 does not exist"},
		{[]string{"--env", "1BAD=x"}, "sandbox: --env 1BAD=x:"},
		{[]string{"--bind", "/tmp:rel"}, "sandbox: --bind /tmp:rel:"},
	} {
		r := sandbox(t, asRoot, append(tc.args, "-p", "minimal", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "command line:") {
			t.Errorf("%q: want exit 125 and %q: %s", tc.args, tc.want, r)
		}
	}
	if r := sandbox(t, asRoot, "-p", "minimal", "--bind"); r.code != 125 || !strings.Contains(r.stderr, "--bind needs a value") {
		t.Errorf("--bind without a value: %s", r)
	}
	out, err := exec.Command(sandboxBin, "explain", "minimal", "--bind", "/tmp:/data", "--net", "host").CombinedOutput()
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, out)
	}
	for _, want := range []string{"LOOSENED: host path /tmp is writable at /data (command line)", "namespace is shared (namespaces.net = false, command line)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("explain with flags lacks %q:\n%s", want, out)
		}
	}
}

// A flag binds what the profile language would: the files the host trusts
// under a writable --bind stay read-only, while a neighbouring file is
// writable (so the test cannot pass because nothing is).
func TestFlagsNeverLoosenProtectedPaths(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home := flagsDir(t, m)
		rt := flagsDir(t, m)
		writeAs(t, filepath.Join(home, ".ssh", "authorized_keys"), "key\n")
		writeAs(t, filepath.Join(home, ".bashrc"), "# rc\n")
		writeAs(t, filepath.Join(home, "proj", "notes"), "n\n")
		writeAs(t, filepath.Join(home, "proj", ".git", "hooks", "pre-commit"), "#!/bin/sh\n")
		writeAs(t, filepath.Join(home, "proj", ".git", "config"), "[core]\n")
		writeAs(t, filepath.Join(rt, "sandbox", "plans", "x"), "plan\n")
		writeAs(t, filepath.Join(rt, "other"), "o\n")
		env := func(cmd *exec.Cmd) {
			cmd.Env = append(cmd.Env, "HOME="+home, "XDG_RUNTIME_DIR="+rt, "SANDBOX_PLAN_CACHE=off")
		}
		// A writable bind of the whole home is refused, as in a
		// profile: start-up files that do not exist yet could not be
		// kept read-only.
		r := sandboxCmd(t, m, env, "--bind", home, "-p", "minimal", "sh", "-c", `echo evil >> "$1"`, "sh", filepath.Join(home, ".bashrc"))
		if r.code != 125 || !strings.Contains(r.stderr, "sandbox: --bind "+home+": this writable bind") {
			t.Errorf("--bind of the home was not refused naming the flag: %s", r)
		}
		for _, tc := range []struct {
			flag, control, protected string
		}{
			{filepath.Join(home, "proj"), filepath.Join(home, "proj", "notes"), filepath.Join(home, "proj", ".git", "hooks", "pre-commit")},
			{filepath.Join(home, ".ssh"), "", filepath.Join(home, ".ssh", "authorized_keys")},
			{rt, filepath.Join(rt, "other"), filepath.Join(rt, "sandbox", "plans", "x")},
		} {
			script := `echo evil >> "$1" && echo PROTECTED-CHANGED; if [ -n "$2" ]; then echo ok >> "$2" && echo CONTROL-OK; fi; true`
			r := sandboxCmd(t, m, env, "--bind", tc.flag, "-p", "minimal", "sh", "-c", script, "sh", tc.protected, tc.control)
			if strings.Contains(r.stdout, "PROTECTED-CHANGED") {
				t.Errorf("--bind %s made %s writable: %s", tc.flag, tc.protected, r)
			}
			if tc.control != "" && !strings.Contains(r.stdout, "CONTROL-OK") {
				t.Errorf("--bind %s: the control file %s was not writable either: %s", tc.flag, tc.control, r)
			}
		}
		// /etc/shadow is host root's: the payload runs as an
		// unprivileged host id in both modes and can neither read nor
		// change it through a flag.
		r = sandbox(t, m, "--bind", "/etc/shadow", "-p", "minimal", "sh", "-c",
			`cat /etc/shadow >/dev/null 2>&1 && echo READ; echo x >> /etc/shadow 2>/dev/null && echo WROTE; echo ok > /tmp/c && echo CONTROL-OK`)
		if strings.Contains(r.stdout, "READ") || strings.Contains(r.stdout, "WROTE") || !strings.Contains(r.stdout, "CONTROL-OK") {
			t.Errorf("--bind /etc/shadow: %s", r)
		}
	})
}
