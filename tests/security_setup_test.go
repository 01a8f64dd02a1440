package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// B16: a setup that a payload can make block, and a setup blocked for any
// reason, which must still end on the first SIGTERM.

// TestB16FIFOAtFileTarget: a `file` entry's target lies in a writable
// bind, so it is written on the host; the payload replaces it with a FIFO.
// The next launch must fail at once, naming the entry, instead of blocking
// in the setup until a reader comes. Compiled and from the plan cache.
func TestB16FIFOAtFileTarget(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, cache := range []string{"off", "on"} {
			c := newCacheRun(t, m)
			if cache == "off" {
				c.env = []string{"SANDBOX_PLAN_CACHE=off"}
			}
			// World-writable: the payload's host id need not be the
			// launcher's.
			data := sharedDir(t, 0o777)
			prof := secProfile(t, "b16.toml", "extends = [\"minimal\"]\n"+bindTOML("bind", data, "/data")+
				"\n[[mount]]\ntype = \"file\"\ntarget = \"/data/conf\"\ncontent = \"written by the setup\\n\"\n")
			settle(t, prof)
			conf := filepath.Join(data, "conf")
			args := []string{"-p", prof, "--", "/bin/sh", "-c",
				"cat /data/conf && echo neighbour > /data/control && rm /data/conf && mkfifo /data/conf"}

			r := c.run(t, args...)
			if r.code != 0 || !strings.Contains(r.stdout, "written by the setup") {
				t.Fatalf("cache %s: the first launch: %s", cache, r)
			}
			if _, err := os.Stat(filepath.Join(data, "control")); err != nil {
				t.Fatalf("cache %s: the payload could not write in the bind, the test proves nothing: %v", cache, err)
			}
			if fi, err := os.Lstat(conf); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
				t.Fatalf("cache %s: the payload did not leave a FIFO at the target: %v %v", cache, fi, err)
			}

			start := time.Now()
			r = c.run(t, args...)
			took := time.Since(start)
			if r.code != 125 || !strings.Contains(r.stderr, "(file /data/conf): target is a FIFO") ||
				!strings.Contains(r.stderr, "(from "+prof+":8:") {
				t.Errorf("cache %s: want exit 125 naming the entry and its line:\n%s", cache, r)
			}
			if took > 10*time.Second {
				t.Errorf("cache %s: the launch took %v", cache, took)
			}
			if cache == "on" {
				wantCache(t, r, "hit", "not used (the sandbox's setup failed; starting over)", "stored")
			}

			// Once the FIFO is gone the entry is written on the host
			// again, as documented.
			os.Remove(conf)
			r = c.run(t, "-p", prof, "--", "/bin/true")
			if b, err := os.ReadFile(conf); r.code != 0 || err != nil || string(b) != "written by the setup\n" {
				t.Errorf("cache %s: after the FIFO was removed: %q %v\n%s", cache, b, err, r)
			}
		}
	})
}

// stuckMount mounts a FUSE file system on dir whose server never answers:
// every lookup below it waits (killably) for an answer that does not
// come. It stands for any setup that blocks: a hung network file system,
// a FIFO, an automount. Unmounted and released after the test.
func stuckMount(t *testing.T, dir string) {
	t.Helper()
	requireOrSkip(t, os.Geteuid() == 0, "mounting a FUSE file system needs root")
	fd, err := unix.Open("/dev/fuse", unix.O_RDWR|unix.O_CLOEXEC, 0)
	requireOrSkip(t, err == nil, fmt.Sprintf("/dev/fuse is needed to make a setup block: %v", err))
	opts := fmt.Sprintf("fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd)
	if err := unix.Mount("sandbox-test-stuck", dir, "fuse", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		unix.Close(fd)
		requireOrSkip(t, false, fmt.Sprintf("mounting a FUSE file system: %v", err))
	}
	t.Cleanup(func() {
		// Closing the device aborts the connection: every waiter fails.
		unix.Unmount(dir, unix.MNT_DETACH)
		unix.Close(fd)
	})
}

// stopWithSIGTERM starts cmd, sends it one SIGTERM once it has been
// running a second, and returns how long it took to end after it, and
// its exit code; it fails the test when the launcher was no longer
// running (the setup did not block) or ignored the signal.
func stopWithSIGTERM(t *testing.T, cmd *exec.Cmd) (time.Duration, int) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		t.Fatalf("the launch ended by itself, its setup did not block: exit %d", cmd.ProcessState.ExitCode())
	case <-time.After(time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	sent := time.Now()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the launcher was still running 10 s after one SIGTERM")
	}
	return time.Since(sent), cmd.ProcessState.ExitCode()
}

// TestB16SetupStopsOnFirstSIGTERM blocks the sandbox's setup (a `dir`
// entry below a file system that never answers) and sends the launcher a
// single SIGTERM, as `timeout` does: the launch must end promptly, exit
// 143, the payload never having run. Compiled and from the plan cache. And
// the launcher's own wait in the setup: an id map helper that hangs.
func TestB16SetupStopsOnFirstSIGTERM(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		dir := sharedDir(t, 0o755)
		sub := filepath.Join(dir, "sub")
		os.Mkdir(sub, 0o755)
		stuckMount(t, sub)
		prof := secProfile(t, "stuck.toml", "extends = [\"minimal\"]\n"+bindTOML("ro-bind", dir, "/d")+
			"\n[[mount]]\ntype = \"dir\"\ntarget = \"/d/sub/x\"\n")
		settle(t, prof)
		c := newCacheRun(t, m)
		for i, want := range []string{"miss", "hit"} {
			var out, errb bytes.Buffer
			cmd := exec.Command(sandboxBin, "-p", prof, "--", "/bin/echo", "PAYLOAD RAN")
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
			if m.rootless() {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
			}
			c.setup(cmd)
			cmd.Stdout, cmd.Stderr = &out, &errb
			took, code := stopWithSIGTERM(t, cmd)
			r := result{stdout: out.String(), stderr: errb.String(), code: code}
			if code != 128+int(syscall.SIGTERM) || took > 3*time.Second || strings.Contains(r.stdout, "PAYLOAD RAN") {
				t.Errorf("launch %d: want exit 143 within 3 s of the SIGTERM, got it after %v:\n%s", i+1, took, r)
			}
			if said := cacheSaid(r.stderr); len(said) == 0 || !strings.HasPrefix(said[0], want) {
				t.Errorf("launch %d: plan cache said %q, want %s", i+1, said, want)
			}
		}
	})

	t.Run("id map helper", func(t *testing.T) {
		requireOrSkip(t, os.Geteuid() == 0, "granting subordinate ids privately needs root")
		bin := sharedDir(t, 0o755)
		fake := "#!/bin/sh\nexec sleep 60\n"
		if err := os.WriteFile(filepath.Join(bin, "newuidmap"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		prof := secProfile(t, "subids.toml", "extends = [\"minimal\"]\n\n[identity]\nsubids = true\n")
		cmd, out, errb := subidCommand(t, bin, "-p", prof, "--", "/bin/echo", "PAYLOAD RAN")
		took, code := stopWithSIGTERM(t, cmd)
		r := result{stdout: out.String(), stderr: errb.String(), code: code}
		if code != 128+int(syscall.SIGTERM) || took > 3*time.Second || strings.Contains(r.stdout, "PAYLOAD RAN") {
			t.Errorf("want exit 143 within 3 s of the SIGTERM, got it after %v:\n%s", took, r)
		}
	})
}
