package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Files the host trusts (checklist H1, H2, H3): a payload with a writable
// project or home must not be able to write what the host later runs, and
// the launcher's own host-side writes never follow a link a payload
// planted. Every directory the payload writes is 0o777 and every file
// 0o666, so that only the sandbox stands in the way, whatever host id the
// payload runs as; each attack is paired with a harmless write next to it
// that must succeed.

// withDirHome runs the launcher in dir with HOME=home.
func withDirHome(dir, home string) func(*exec.Cmd) {
	return func(c *exec.Cmd) {
		c.Dir = dir
		for i, kv := range c.Env {
			if strings.HasPrefix(kv, "HOME=") {
				c.Env[i] = "HOME=" + home
			}
		}
	}
}

// openUp makes every directory under root 0o777 and every file writable by
// anyone.
func openUp(t *testing.T, root string) {
	t.Helper()
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		switch {
		case err != nil:
			return err
		case fi.Mode()&os.ModeSymlink != 0:
			return nil
		case fi.IsDir():
			return os.Chmod(p, 0o777)
		}
		return os.Chmod(p, fi.Mode().Perm()|0o666)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hostGit runs git on the host in dir, as the user would after the
// sandbox ended.
func hostGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=host", "-c", "user.email=host@example.org"}, args...)...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// projectProfile binds the caller's directory writable and starts there,
// as the agent and build profiles do, on top of minimal.
const projectProfile = `extends = ["minimal"]

[[mount]]
type = "bind"
source = "${CWD}"

[filesystem]
cwd = "${CWD}"
`

// gitProject makes a real git work tree that anyone may write.
func gitProject(t *testing.T) string {
	t.Helper()
	_, err := exec.LookPath("git")
	requireOrSkip(t, err == nil, "git is needed to make a real git work tree")
	proj := sharedDir(t, 0o777)
	if out, err := exec.Command("git", "init", "-q", proj).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(proj, "file"), []byte("v1\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	openUp(t, proj)
	return proj
}

// TestH1GitFilesReadOnlyInside attacks a writable git work tree from
// inside: core.fsmonitor in .git/config, a changed pre-commit hook, a new
// hook, moving .git or its hooks away. Each must fail while a project file
// and a commit inside still work, and afterwards the host's `git status`
// and `git commit` run nothing of the payload's.
func TestH1GitFilesReadOnlyInside(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		proj := gitProject(t)
		marker := filepath.Join(sharedDir(t, 0o777), "payload-ran-on-the-host")
		prof := secProfile(t, "project.toml", projectProfile)
		hook := fmt.Sprintf(`#!/bin/sh\ntouch %s\n`, marker)
		script := fmt.Sprintf(`
echo changed > file && echo CONTROL-FILE
printf '[core]\n\tfsmonitor = "touch %[1]s; false"\n' >> .git/config && echo ATTACK-CONFIG
printf '%[2]s' > .git/hooks/pre-commit && chmod 755 .git/hooks/pre-commit && echo ATTACK-HOOK
printf '%[2]s' > .git/hooks/post-commit && chmod 755 .git/hooks/post-commit && echo ATTACK-NEW-HOOK
mv .git/hooks .git/hooks-away && echo ATTACK-MOVE-HOOKS
mv .git .git-away && echo ATTACK-MOVE-GIT
if [ -x /usr/bin/git ]; then
	git -c safe.directory='*' -c user.name=t -c user.email=t@example.org add file &&
	git -c safe.directory='*' -c user.name=t -c user.email=t@example.org commit -q -m inside && echo CONTROL-COMMIT
else
	echo NO-GIT-INSIDE
fi
`, marker, hook)
		r := sandboxCmd(t, m, withDirHome(proj, "/nonexistent"), "-p", prof, "--", "/bin/sh", "-c", script)
		if !strings.Contains(r.stdout, "CONTROL-FILE") {
			t.Fatalf("the payload could not write the project, so the test proves nothing:\n%s", r)
		}
		for _, a := range []string{"ATTACK-CONFIG", "ATTACK-HOOK", "ATTACK-NEW-HOOK", "ATTACK-MOVE-HOOKS", "ATTACK-MOVE-GIT"} {
			if strings.Contains(r.stdout, a) {
				t.Errorf("%s succeeded inside:\n%s", a, r)
			}
		}
		if !strings.Contains(r.stdout, "NO-GIT-INSIDE") && !strings.Contains(r.stdout, "CONTROL-COMMIT") {
			t.Errorf("git commit inside failed:\n%s", r)
		}
		hostGit(t, proj, "status")
		hostGit(t, proj, "commit", "-q", "--allow-empty", "-m", "host")
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("host git ran the payload's command")
		}
		if b, _ := os.ReadFile(filepath.Join(proj, ".git", "config")); strings.Contains(string(b), "fsmonitor") {
			t.Errorf(".git/config changed:\n%s", b)
		}
	})
}

// TestH1CachedPlanSeesNewGit checks the plan cache: a plan cached while the
// project was not a git work tree must not be used once it is one.
func TestH1CachedPlanSeesNewGit(t *testing.T) {
	_, err := exec.LookPath("git")
	requireOrSkip(t, err == nil, "git is needed to make a real git work tree")
	bothModes(t, func(t *testing.T, m mode) {
		c := newCacheRun(t, m)
		c.dir = sharedDir(t, 0o777)
		prof := secProfile(t, "project.toml", projectProfile)
		settle(t, prof)
		wantCold(t, c.run(t, "-p", prof, "--", "/bin/true"))
		wantCache(t, c.run(t, "-p", prof, "--", "/bin/true"), "hit")
		if out, err := exec.Command("git", "init", "-q", c.dir).CombinedOutput(); err != nil {
			t.Fatalf("git init: %v\n%s", err, out)
		}
		openUp(t, c.dir)
		r := c.run(t, "-p", prof, "--", "/bin/sh", "-c", "touch control && echo CONTROL; echo x >> .git/config && echo ATTACK")
		if !strings.Contains(r.stdout, "CONTROL") || strings.Contains(r.stdout, "ATTACK") {
			t.Fatalf("after git init, the launch used a stale plan or could not write:\n%s", r)
		}
		if said := cacheSaid(r.stderr); len(said) == 0 || !strings.HasPrefix(said[0], "miss") {
			t.Errorf("plan cache said %q, want a miss", said)
		}
		// The protection holds when the plan runs from the cache too.
		settle(t, filepath.Join(c.dir, ".git", "config"), filepath.Join(c.dir, ".git"))
		attack := []string{"-p", prof, "--", "/bin/sh", "-c", "touch control && echo CONTROL; echo x >> .git/config && echo ATTACK"}
		c.run(t, attack...)
		r = c.run(t, attack...)
		wantCache(t, r, "hit")
		if !strings.Contains(r.stdout, "CONTROL") || strings.Contains(r.stdout, "ATTACK") {
			t.Fatalf("from the cache, .git/config was writable or the project was not:\n%s", r)
		}
	})
}

// trustedHome lists what the compiler protects in a home, as the test
// makes it: directories, then files.
var (
	trustedHomeDirs = []string{".config/sandbox/profiles", ".local/share/applications", ".local/share/dbus-1/services",
		".config/autostart", ".config/systemd/user", ".local/share/systemd/user", ".config/environment.d",
		".config/fish", ".config/git", ".ssh", ".local/bin", "bin"}
	trustedHomeFiles = []string{".config/mimeapps.list", ".xprofile", ".xsession", ".xsessionrc", ".xinitrc",
		".profile", ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".bash_aliases",
		".zshenv", ".zshrc", ".zprofile", ".zlogin", ".zlogout", ".inputrc", ".gitconfig"}
)

// trustedHome makes a home holding every trusted path, open to anyone.
func trustedHome(t *testing.T) string {
	t.Helper()
	home := sharedDir(t, 0o777)
	for _, d := range trustedHomeDirs {
		if err := os.MkdirAll(filepath.Join(home, d), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range trustedHomeFiles {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	openUp(t, home)
	return home
}

const homeProfile = `extends = ["minimal"]

[[mount]]
type = "bind"
source = "${HOME}"
`

// TestH2TrustedHomeFilesReadOnlyInside binds a whole home writable and
// tries to write what the desktop, the shells and the launcher run or
// trust: each fails, a new file next to them works, and nothing of the
// attack appears on the host.
func TestH2TrustedHomeFilesReadOnlyInside(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home := trustedHome(t)
		prof := secProfile(t, "home.toml", homeProfile)
		before := tree(t, home)
		script := `H="$HOME"
touch "$H/control" && echo CONTROL
echo 'touch /tmp/x' >> "$H/.bashrc" && echo ATTACK-bashrc
touch "$H/.config/autostart/x.desktop" && echo ATTACK-autostart
touch "$H/.local/share/applications/x.desktop" && echo ATTACK-applications
touch "$H/.local/share/dbus-1/services/x.service" && echo ATTACK-dbus
touch "$H/.config/systemd/user/x.service" && echo ATTACK-systemd
touch "$H/.config/sandbox/profiles/x.toml" && echo ATTACK-profiles
touch "$H/.local/bin/ls" && echo ATTACK-path
mv "$H/.config" "$H/.config-away" && echo ATTACK-move-config
mv "$H/.local/share" "$H/.local/share-away" && echo ATTACK-move-share
rm -f "$H/.profile" && echo ATTACK-rm-profile
ln -s /etc/passwd "$H/.ssh/authorized_keys" && echo ATTACK-ssh
`
		r := sandboxCmd(t, m, withDirHome("/", home), "-p", prof, "--", "/bin/sh", "-c", script)
		if !strings.Contains(r.stdout, "CONTROL") {
			t.Fatalf("the payload could not write the home, so the test proves nothing:\n%s", r)
		}
		if strings.Contains(r.stdout, "ATTACK") {
			t.Errorf("an attack succeeded:\n%s", r)
		}
		if after := tree(t, home); after != before+"control 0\n" && after != insertLine(before, "control 0") {
			t.Errorf("the home changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

// TestH2ReleaseAndMissing checks the two ways out of the protection: a path
// released by filesystem.unprotect is writable and explain says LOOSENED;
// a trusted path that does not exist but could be created is refused with
// a positioned error before anything runs, and nothing is created.
func TestH2ReleaseAndMissing(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home := trustedHome(t)
		prof := secProfile(t, "home.toml", homeProfile+"\n[filesystem]\nunprotect = [\"${HOME}/.bashrc\"]\n")
		r := sandboxCmd(t, m, withDirHome("/", home), "-p", prof, "--", "/bin/sh", "-c",
			`echo released >> "$HOME/.bashrc" && echo WROTE; touch "$HOME/.zshrc" 2>/dev/null && echo ATTACK`)
		if !strings.Contains(r.stdout, "WROTE") || strings.Contains(r.stdout, "ATTACK") {
			t.Errorf("the released file is not writable, or another one is:\n%s", r)
		}
		if b, _ := os.ReadFile(filepath.Join(home, ".bashrc")); string(b) != "released\n" {
			t.Errorf(".bashrc holds %q", b)
		}
		ex := sandboxCmd(t, m, withDirHome("/", home), "explain", prof)
		if !strings.Contains(ex.stdout, "LOOSENED: "+filepath.Join(home, ".bashrc")) {
			t.Errorf("explain does not show the release as a loosening:\n%s", ex)
		}
		ck := sandboxCmd(t, m, withDirHome("/", home), "check", prof)
		if ck.code != 0 || !strings.Contains(ck.stderr, "LOOSENED") {
			t.Errorf("check does not mention the loosening:\n%s", ck)
		}

		if err := os.Remove(filepath.Join(home, ".zlogin")); err != nil {
			t.Fatal(err)
		}
		r = sandboxCmd(t, m, withDirHome("/", home), "-p", prof, "--", "/bin/sh", "-c", `touch "$HOME/control"`)
		if r.code != 125 || !strings.Contains(r.stderr, "home.toml:3:1: mount[") ||
			!strings.Contains(r.stderr, ".zlogin") || !strings.Contains(r.stderr, "filesystem.unprotect") {
			t.Errorf("a creatable missing start-up file was not refused with its position and fix:\n%s", r)
		}
		for _, p := range []string{".zlogin", "control"} {
			if _, err := os.Lstat(filepath.Join(home, p)); err == nil {
				t.Errorf("%s exists on the host after a refused launch", p)
			}
		}
		// check validates the profile, not this home: the missing file is
		// a warning there, with the same fix, and check passes.
		ck = sandboxCmd(t, m, withDirHome("/", home), "check", prof)
		if ck.code != 0 || !strings.Contains(ck.stderr, "warning: ") || !strings.Contains(ck.stderr, ".zlogin") ||
			!strings.Contains(ck.stderr, "filesystem.unprotect") {
			t.Errorf("check fails on, or does not warn about, a start-up file this home lacks:\n%s", ck)
		}
	})
}

// TestCWDRefusesHomeAndAbove starts the agent profile, which binds ${CWD}
// writable, from the home directory and from directories above it: each
// launch is refused before anything runs, in one line that says what the
// user can change (the profile is a built-in one, which they cannot edit).
func TestCWDRefusesHomeAndAbove(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		base := sharedDir(t, 0o755)
		home := filepath.Join(base, "home", "user")
		if err := os.MkdirAll(home, 0o755); err != nil {
			t.Fatal(err)
		}
		cases := [][2]string{{home, home}, {filepath.Dir(home), home}, {base, home}}
		if fi, err := os.Stat("/home"); err == nil && fi.IsDir() {
			cases = append(cases, [2]string{"/home", "/home/sandbox-test-user"})
		}
		for _, c := range cases {
			r := sandboxCmd(t, m, withDirHome(c[0], c[1]), "-p", "agent", "--", "/bin/true")
			if r.code != 125 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 ||
				!regexp.MustCompile(`you started it from (your home directory )?`+regexp.QuoteMeta(c[0])+`[,:]`).MatchString(r.stderr) ||
				!strings.Contains(r.stderr, "cd to a project directory") {
				t.Errorf("agent from %s with HOME=%s was not refused in one line with the fix:\n%s", c[0], c[1], r)
			}
		}
	})
}

// TestH3SmokeSetupNeverFollowsPlantedLinks plants a link where a smoke
// test's setup writes (~/Downloads/NAME -> ~/.bashrc, as a payload with a
// writable Downloads could) and runs `sandbox test`: the link and what it
// points at are left as they were.
func TestH3SmokeSetupNeverFollowsPlantedLinks(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home := sharedDir(t, 0o777)
		dl := filepath.Join(home, "Downloads")
		victim := filepath.Join(home, ".bashrc")
		link := filepath.Join(dl, "sandbox-smoke-page.html")
		if err := os.MkdirAll(dl, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(victim, []byte("original\n"), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, link); err != nil {
			t.Fatal(err)
		}
		openUp(t, home)
		prof := secProfile(t, "page.toml", `extends = ["minimal"]
programs = ["cat"]

[[mount]]
type = "bind"
source = "${XDG_DOWNLOAD_DIR}"
optional = true

[test]
setup = ["sh", "-c", 'mkdir -p "$$1" && printf "<h1>smoke</h1>\n" > "$$1/sandbox-smoke-page.html"', "sh", "${XDG_DOWNLOAD_DIR}"]
command = ["cat", "${XDG_DOWNLOAD_DIR}/sandbox-smoke-page.html"]
expect_output = "smoke"
check = ["grep", "-q", "smoke", "${XDG_DOWNLOAD_DIR}/sandbox-smoke-page.html"]
`)
		r := sandboxCmd(t, m, withDirHome("/", home), "test", prof)
		if b, _ := os.ReadFile(victim); string(b) != "original\n" {
			t.Errorf("setup wrote through the planted link: %s now holds %q\n%s", victim, b, r)
		}
		if to, err := os.Readlink(link); err != nil || to != victim {
			t.Errorf("the planted link changed: %q %v", to, err)
		}
		if r.code != 0 {
			t.Errorf("the smoke test did not pass in its own home:\n%s", r)
		}
	})
}

// tree lists the names under root with their sizes, sorted, so that any
// change to the home shows.
func tree(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			to, _ := os.Readlink(p)
			fmt.Fprintf(&b, "%s -> %s\n", rel, to)
		case fi.IsDir():
			fmt.Fprintf(&b, "%s/\n", rel)
		default:
			fmt.Fprintf(&b, "%s %d\n", rel, fi.Size())
		}
		return nil
	})
	return b.String()
}

// insertLine is text with line added where a sorted walk puts it.
func insertLine(text, line string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	out := make([]string, 0, len(lines)+1)
	done := false
	for _, l := range lines {
		if !done && l > line {
			out = append(out, line)
			done = true
		}
		out = append(out, l)
	}
	if !done {
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}
