package tests

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGUIWindowOnXvfb starts a real X client (xmessage) inside a sandbox
// whose profile turns on desktop.x11, on a private Xvfb display, and
// checks from the host what a user would see: a window of the client's is
// mapped on that display, and a screenshot of the display shows it (the
// pixels where the window sits differ from a screenshot taken before).
func TestGUIWindowOnXvfb(t *testing.T) {
	requireProgram(t, "xauth", "xauth")
	requireProgram(t, "xmessage", "x11-utils")
	requireProgram(t, "xwininfo", "x11-utils")
	requireProgram(t, "import", "imagemagick")
	requireProgram(t, "compare", "imagemagick")
	n, cookie := xvfb(t)
	display := fmt.Sprintf(":%d", n)
	bothModes(t, func(t *testing.T, m mode) {
		dir := userDir(t, m, "sandbox-it-gui-", 0o755)
		auth := filepath.Join(dir, "Xauthority")
		host, _ := os.Hostname()
		if out, err := exec.Command("xauth", "-f", auth, "add", fmt.Sprintf("%s/unix:%d", host, n),
			"MIT-MAGIC-COOKIE-1", hex.EncodeToString(cookie)).CombinedOutput(); err != nil {
			t.Fatalf("xauth: %v\n%s", err, out)
		}
		if m.rootless() {
			os.Chown(auth, nobody, nobody)
		}
		x := func(name string, args ...string) ([]byte, error) {
			c := exec.Command(name, append([]string{"-display", display}, args...)...)
			c.Env = []string{"PATH=/usr/bin:/bin", "XAUTHORITY=" + auth}
			return c.CombinedOutput()
		}
		before := filepath.Join(dir, "before.png")
		if out, err := x("import", "-window", "root", before); err != nil {
			t.Fatalf("screenshot before: %v\n%s", err, out)
		}

		title := "sandboxed-" + m.name
		p := writeProfile(t, "gui.toml", "extends = [\"minimal\"]\n[desktop]\nx11 = true\n")
		cmd := exec.Command(sandboxBin, "-p", p, "--", "xmessage", "-name", title,
			"-geometry", "220x90+30+40", "-bg", "white", "-fg", "black", "drawn from inside the sandbox")
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "DISPLAY=" + display, "XAUTHORITY=" + auth}
		if m.rootless() {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

		// The client's window appears on the display...
		var tree string
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(tree, title) {
			if time.Now().After(deadline) {
				t.Fatalf("no window of %q on %s after 30s\nxwininfo:\n%s\nsandbox stderr:\n%s", title, display, tree, stderr.String())
			}
			time.Sleep(100 * time.Millisecond)
			out, _ := x("xwininfo", "-root", "-tree")
			tree = string(out)
		}
		time.Sleep(300 * time.Millisecond) // let it draw
		// ...and a screenshot of the display shows it.
		after := filepath.Join(dir, "after.png")
		if out, err := x("import", "-window", "root", after); err != nil {
			t.Fatalf("screenshot after: %v\n%s", err, out)
		}
		cmp := exec.Command("compare", "-metric", "AE", before, after, "null:")
		out, _ := cmp.CombinedOutput() // exit 1 means "different", which is what we want
		differing, err := strconv.ParseFloat(strings.Fields(string(out) + " x")[0], 64)
		if err != nil {
			t.Fatalf("compare: %q", out)
		}
		// The window is 220x90; most of it is white on a black root.
		if differing < 220*90/2 {
			t.Fatalf("the screenshot barely changed (%v pixels): the window was not drawn", differing)
		}
		t.Logf("%s: window %q mapped, %v pixels drawn (screenshot %s)", m.name, title, differing, after)
	})
}
