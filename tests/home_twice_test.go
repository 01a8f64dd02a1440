package tests

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sandbox/internal/testutil"
)

// A second launch on a persistent home a running sandbox has runs inside
// that sandbox (where the application's own lock and remote work), and
// says so in one line.

// startBackground starts the sandbox in mode m and returns it running;
// it is killed at the end of the test.
func startBackground(t *testing.T, m mode, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(sandboxBin, args...)
	cmd.Dir = "/"
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TERM=dumb"}, env...)
	if m.rootless() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// waitRecord waits until `sandbox ps` lists a sandbox running COMMAND.
func waitRecord(t *testing.T, m mode, env []string, command string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, env...) }, "ps")
		if strings.Contains(r.stdout, command) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running sandbox of %q after 30s: %s", command, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPersistentHomeSecondLaunchEntersTheRunningOne(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		home, rt := flagsDir(t, m), flagsDir(t, m)
		os.Chmod(rt, 0o700)
		env := []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + rt}
		prof := writeProfile(t, "twice.toml", "extends = [\"minimal\"]\n[filesystem]\npersistent_home = true\n")
		startBackground(t, m, env, "-p", prof, "sh", "-c", "echo first > /tmp/marker; exec sleep 60")
		waitRecord(t, m, env, "exec sleep 60")
		// /tmp is each sandbox's own tmpfs: the marker is seen only
		// inside the first one.
		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, env...) }, "-p", prof, "cat", "/tmp/marker")
		if r.code != 0 || r.stdout != "first\n" {
			t.Errorf("the second launch did not run in the first sandbox: %s", r)
		}
		if !strings.Contains(r.stderr, "is in use by the running sandbox") || !strings.Contains(r.stderr, "sandbox stop ") {
			t.Errorf("the second launch did not say where it runs: %s", r)
		}
		// Another profile's home is not shared: a launch of it is a
		// sandbox of its own.
		other := writeProfile(t, "other.toml", "extends = [\"minimal\"]\n[filesystem]\npersistent_home = true\n")
		r = sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, env...) }, "-p", other, "sh", "-c", "cat /tmp/marker 2>/dev/null || echo separate")
		if r.code != 0 || r.stdout != "separate\n" || strings.Contains(r.stderr, "in use") {
			t.Errorf("a sandbox with another home was entered: %s", r)
		}
	})
}

// The real browser: a second Chromium on the same persistent home opens
// its page in the running one, through Chromium's own singleton socket,
// which only the running sandbox's processes can reach.
func TestPersistentHomeChromiumTwice(t *testing.T) {
	_, err := exec.LookPath("chromium")
	testutil.RequireOrSkip(t, err == nil, "chromium is not installed (make deps installs it)")
	requireProgram(t, "xauth", "xauth")
	n, cookie := xvfb(t)
	bothModes(t, func(t *testing.T, m mode) {
		home, rt := flagsDir(t, m), flagsDir(t, m)
		os.Chmod(rt, 0o700)
		auth := filepath.Join(home, ".Xauthority")
		host, _ := os.Hostname()
		if out, err := exec.Command("xauth", "-f", auth, "add", fmt.Sprintf("%s/unix:%d", host, n),
			"MIT-MAGIC-COOKIE-1", hex.EncodeToString(cookie)).CombinedOutput(); err != nil {
			t.Fatalf("xauth: %v\n%s", err, out)
		}
		os.Chown(auth, nobody, nobody)
		writeAs(t, filepath.Join(home, "Downloads", "a.html"), "<title>a</title>a\n")
		env := []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + rt, fmt.Sprintf("DISPLAY=:%d", n), "XAUTHORITY=" + auth}
		prof := writeProfile(t, "chromium.toml", "extends = [\"chromium\"]\n[filesystem]\npersistent_home = true\n")
		page := "file://" + filepath.Join(home, "Downloads", "a.html")
		startBackground(t, m, env, "-p", prof, "chromium", "--no-first-run", "--disable-gpu", page)
		waitRecord(t, m, env, "chromium --no-first-run")
		// Chromium's profile lives in the persistent home.
		state := filepath.Join(home, ".local", "share", "sandbox", "homes", "chromium", ".config", "chromium", "Local State")
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, err := os.Stat(state); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Chromium wrote no %s", state)
			}
			time.Sleep(200 * time.Millisecond)
		}
		start := time.Now()
		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, env...) }, "-p", prof, "chromium", "--no-first-run", "--disable-gpu", page)
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "Opening in existing browser session") {
			t.Errorf("the second Chromium did not open its page in the running one (%v): %s", time.Since(start), r)
		}
		if !strings.Contains(r.stderr, "is in use by the running sandbox") {
			t.Errorf("the second launch did not say where it runs: %s", r)
		}
	})
}

// Firefox reaches a running instance only over D-Bus, which the firefox
// profile does not give it: the second launch runs inside the running
// sandbox, says so, and Firefox itself says the profile is in use; no
// second sandbox is left running.
func TestPersistentHomeFirefoxTwice(t *testing.T) {
	_, err := exec.LookPath("firefox-esr")
	testutil.RequireOrSkip(t, err == nil, "firefox-esr is not installed (make deps installs it)")
	bothModes(t, func(t *testing.T, m mode) {
		home, rt := flagsDir(t, m), flagsDir(t, m)
		os.Chmod(rt, 0o700)
		writeAs(t, filepath.Join(home, "Downloads", "a.html"), "<title>a</title>a\n")
		env := []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + rt}
		prof := writeProfile(t, "firefox.toml", "extends = [\"firefox\"]\n[filesystem]\npersistent_home = true\n")
		startBackground(t, m, env, "-p", prof, "firefox-esr", "--headless", "about:blank")
		waitRecord(t, m, env, "firefox-esr --headless about:blank")
		lock := filepath.Join(home, ".local", "share", "sandbox", "homes", "firefox", ".config", "mozilla", "firefox")
		deadline := time.Now().Add(60 * time.Second)
		for {
			if locks, _ := filepath.Glob(filepath.Join(lock, "*.default-esr", "lock")); len(locks) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the first Firefox locked no profile in %s", lock)
			}
			time.Sleep(200 * time.Millisecond)
		}
		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, env...) }, "-p", prof, "firefox-esr", "--headless",
			"--screenshot", filepath.Join(home, "Downloads", "a.png"), "file://"+filepath.Join(home, "Downloads", "a.html"))
		if !strings.Contains(r.stderr, "is in use by the running sandbox") || !strings.Contains(r.stderr, "already running") {
			t.Errorf("the second launch did not say why it cannot open a second Firefox: %s", r)
		}
		ps := sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, env...) }, "ps")
		if n := strings.Count(ps.stdout, "firefox-esr"); n != 1 {
			t.Errorf("%d sandboxes of Firefox run, want 1:\n%s", n, ps.stdout)
		}
	})
}
