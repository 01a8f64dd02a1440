package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"sandbox/internal/testutil"
)

// filesystem.persistent_home: what the payload writes in $HOME survives
// into the next run, in a directory of the caller's that only the
// payload's host id can read.

// homeRun runs the sandbox with HOME set to home and extra variables.
func homeRun(t *testing.T, m mode, home string, extra []string, args ...string) result {
	t.Helper()
	return sandboxCmd(t, m, func(cmd *exec.Cmd) {
		cmd.Env = append(cmd.Env, "HOME="+home, "SANDBOX_PLAN_CACHE=off")
		cmd.Env = append(cmd.Env, extra...)
	}, args...)
}

func TestPersistentHome(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home := flagsDir(t, m)
		prof := writeProfile(t, "keeper.toml", "extends = [\"minimal\"]\n[filesystem]\npersistent_home = true\n")
		r := homeRun(t, m, home, nil, "-p", prof, "sh", "-c", `echo kept > "$HOME/state" && pwd`)
		if r.code != 0 {
			t.Fatalf("first run: %s", r)
		}
		dir := filepath.Join(home, ".local", "share", "sandbox", "homes", "keeper")
		var st syscall.Stat_t
		if err := syscall.Lstat(dir, &st); err != nil {
			t.Fatalf("the home was not created: %v", err)
		}
		// Both modes run the payload as nobody on the host (a root
		// launch without SUDO_UID maps to it).
		if st.Mode&0o7777 != 0o700 || st.Mode&syscall.S_IFMT != syscall.S_IFDIR || st.Uid != nobody || st.Gid != nobody {
			t.Errorf("home %s: mode %o uid %d gid %d, want a directory 0700 of %d", dir, st.Mode, st.Uid, st.Gid, nobody)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "state")); err != nil || string(b) != "kept\n" {
			t.Errorf("the state is not in the home on the host: %q %v", b, err)
		}
		// The second run finds the home existing (the homes directory
		// is then protected from other sandboxes) and still writes it.
		r = homeRun(t, m, home, nil, "-p", prof, "sh", "-c", `cat "$HOME/state" && echo more >> "$HOME/state" && echo wrote`)
		if r.code != 0 || r.stdout != "kept\nwrote\n" {
			t.Errorf("second run does not see the first's state, or cannot write its home: %s", r)
		}
		out, _ := exec.Command(sandboxBin, "explain", prof).CombinedOutput()
		if !strings.Contains(string(out), "persistent home ") {
			t.Errorf("explain does not show the persistent home:\n%s", out)
		}
	})
}

// A root launch through sudo gives the home to the sudo caller.
func TestPersistentHomeSudoOwner(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "a root launch needs root")
	home := flagsDir(t, asRoot)
	os.Chown(home, 4242, 4242)
	prof := writeProfile(t, "sudoer.toml", "extends = [\"minimal\"]\n[filesystem]\npersistent_home = true\n")
	r := homeRun(t, asRoot, home, []string{"SUDO_UID=4242", "SUDO_GID=4243"}, "-p", prof, "sh", "-c", `echo x > "$HOME/f" && id -u`)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	var st syscall.Stat_t
	dir := filepath.Join(home, ".local", "share", "sandbox", "homes", "sudoer")
	if err := syscall.Lstat(dir, &st); err != nil || st.Uid != 4242 || st.Gid != 4243 || st.Mode&0o777 != 0o700 {
		t.Errorf("home %s: %v uid %d gid %d mode %o, want 4242:4243 0700", dir, err, st.Uid, st.Gid, st.Mode)
	}
	// The directories made on the way belong to the home's owner.
	if err := syscall.Lstat(filepath.Join(home, ".local"), &st); err != nil || st.Uid != 4242 {
		t.Errorf("~/.local was made for uid %d, want 4242 (the owner of HOME)", st.Uid)
	}
}

// A link planted where the home goes (by a sandbox that could write
// ~/.local/share) is refused, not followed: the next launch would
// otherwise bind ~/.ssh as a writable home.
func TestPersistentHomeRefusesALink(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home := flagsDir(t, m)
		writeAs(t, filepath.Join(home, ".ssh", "authorized_keys"), "key\n")
		homes := filepath.Join(home, ".local", "share", "sandbox", "homes")
		writeAs(t, filepath.Join(homes, "placeholder"), "")
		if err := os.Symlink(filepath.Join(home, ".ssh"), filepath.Join(homes, "linked")); err != nil {
			t.Fatal(err)
		}
		os.Lchown(filepath.Join(homes, "linked"), nobody, nobody)
		prof := writeProfile(t, "linked.toml", "extends = [\"minimal\"]\n[filesystem]\npersistent_home = true\n")
		r := homeRun(t, m, home, nil, "-p", prof, "sh", "-c", `echo evil >> "$HOME/authorized_keys"`)
		if r.code != 125 || !strings.Contains(r.stderr, "not a directory") {
			t.Errorf("a linked home was not refused: %s", r)
		}
		if b, _ := os.ReadFile(filepath.Join(home, ".ssh", "authorized_keys")); string(b) != "key\n" {
			t.Errorf("authorized_keys changed: %q", b)
		}
		// The control: the same profile under another name works.
		prof2 := writeProfile(t, "fresh.toml", "extends = [\"minimal\"]\n[filesystem]\npersistent_home = true\n")
		if r := homeRun(t, m, home, nil, "-p", prof2, "sh", "-c", `echo ok > "$HOME/f"`); r.code != 0 {
			t.Errorf("control run failed: %s", r)
		}
	})
}

// The real browser, twice: the profile Firefox creates in the first run
// (in ~/.config/mozilla/firefox, where Firefox ESR keeps it) is the one
// the second run uses, with a preference set in between.
func TestPersistentHomeFirefox(t *testing.T) {
	_, err := exec.LookPath("firefox-esr")
	testutil.RequireOrSkip(t, err == nil, "firefox-esr is not installed (make deps installs it)")
	bothModes(t, func(t *testing.T, m mode) {
		home := flagsDir(t, m)
		dl := filepath.Join(home, "Downloads")
		writeAs(t, filepath.Join(dl, "page.html"), "<!doctype html><title>t</title><h1>persist</h1>\n")
		prof := writeProfile(t, "fx.toml", "extends = [\"firefox\"]\n[filesystem]\npersistent_home = true\n")
		shot := func(name string) result {
			return homeRun(t, m, home, nil, "-p", prof, "firefox-esr", "--headless", "--screenshot",
				filepath.Join(dl, name), "file://"+filepath.Join(dl, "page.html"))
		}
		if r := shot("one.png"); r.code != 0 {
			t.Fatalf("first run: %s", r)
		}
		ffdir := filepath.Join(home, ".local", "share", "sandbox", "homes", "fx", ".config", "mozilla", "firefox")
		ini, err := os.ReadFile(filepath.Join(ffdir, "profiles.ini"))
		if err != nil {
			t.Fatalf("Firefox wrote no profiles.ini where the profile says it keeps it: %v", err)
		}
		def := regexp.MustCompile(`(?m)^Default=(.*\.default-esr)$`).FindSubmatch(ini)
		if def == nil {
			t.Fatalf("no default-esr profile in profiles.ini:\n%s", ini)
		}
		pdir := filepath.Join(ffdir, string(def[1]))
		// A preference written between the runs, as a user's change
		// would be: Firefox copies user.js into prefs.js when it runs.
		writeAs(t, filepath.Join(pdir, "user.js"), `user_pref("browser.startup.homepage", "https://sandbox.invalid/persisted");`+"\n")
		os.Chown(filepath.Join(pdir, "user.js"), nobody, nobody)
		r2 := shot("two.png")
		if r2.code != 0 {
			t.Fatalf("second run: %s", r2)
		}
		ini2, _ := os.ReadFile(filepath.Join(ffdir, "profiles.ini"))
		if string(ini2) != string(ini) {
			t.Errorf("the second run made another profile:\n%s\nthen\n%s", ini, ini2)
		}
		prefs, err := os.ReadFile(filepath.Join(pdir, "prefs.js"))
		if err != nil || !strings.Contains(string(prefs), "sandbox.invalid/persisted") {
			t.Errorf("the second run did not use the persisted profile (prefs.js: %v): %s", err, r2)
		}
		for _, png := range []string{"one.png", "two.png"} {
			if b, err := os.ReadFile(filepath.Join(dl, png)); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
				t.Errorf("%s: no screenshot: %v", png, err)
			}
		}
	})
}

// The homes directory stays read-only under another sandbox's writable
// bind of ~/.local/share: what is there decides what later launches bind.
func TestPersistentHomesProtected(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home := flagsDir(t, m)
		share := filepath.Join(home, ".local", "share")
		writeAs(t, filepath.Join(share, "sandbox", "homes", "app", "f"), "state\n")
		writeAs(t, filepath.Join(share, "other"), "o\n")
		for _, d := range []string{"applications", "dbus-1", "systemd"} {
			writeAs(t, filepath.Join(share, d, ".keep"), "")
		}
		r := homeRun(t, m, home, nil, "--bind", share, "-p", "minimal", "sh", "-c",
			`echo ok >> "$1/other" && echo CONTROL-OK; ln -s / "$1/sandbox/homes/evil" && echo PLANTED; echo x >> "$1/sandbox/homes/app/f" && echo CHANGED; true`, "sh", share)
		if !strings.Contains(r.stdout, "CONTROL-OK") || strings.Contains(r.stdout, "PLANTED") || strings.Contains(r.stdout, "CHANGED") {
			t.Errorf("the homes directory was writable under --bind %s: %s", share, r)
		}
	})
}
