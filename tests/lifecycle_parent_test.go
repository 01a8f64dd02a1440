package tests

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestL8DiesWithLaunchersParent kills the program that started the
// launcher (a shell) with SIGKILL while the payload holds a lock: with
// die_with_parent the launcher and the whole sandbox end, and the lock is
// free again within seconds.
func TestL8DiesWithLaunchersParent(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		dir := sharedDir(t, 0o777)
		lock := filepath.Join(dir, "lock")
		if err := os.WriteFile(lock, nil, 0o666); err != nil {
			t.Fatal(err)
		}
		os.Chmod(lock, 0o666)
		prof := secProfile(t, "l8.toml", "extends = [\"minimal\"]\n"+bindTOML("bind", dir, "/shared"))
		for _, lp := range launchPaths(t, m) {
			lp.prepare(t, prof)
			for run := 1; run <= lp.runs; run++ {
				// A file, not a pipe: a launcher that outlived its
				// parent must not keep the test waiting for EOF.
				stderr, err := os.CreateTemp(dir, "stderr")
				if err != nil {
					t.Fatal(err)
				}
				// The parent waits for the launcher, and would go on.
				parent := exec.Command("/bin/sh", "-c",
					`"$SANDBOX" -p "$PROF" -- /bin/sh -c 'exec flock /shared/lock -c "echo locked; exec sleep 1861"'; echo parent went on`)
				parent.Dir = "/"
				parent.Env = callerEnv(t, m, prof, lp.env)
				parent.Stderr = stderr
				if m.rootless() {
					parent.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
				}
				out, err := parent.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := parent.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					parent.Process.Kill()
					parent.Wait()
					// What a failure left: the launcher and the payload.
					killMarked("sleep 1861")
				})
				if got := readLine(t, bufio.NewReader(out)); got != "locked" {
					t.Fatalf("%s: the payload said %q\n%s", lp.name, got, fileText(stderr))
				}
				if tryLock(t, lock) {
					t.Fatalf("%s: the lock is free while the payload holds it: the test could not see it held", lp.name)
				}
				parent.Process.Signal(syscall.SIGKILL)
				parent.Wait()
				deadline := time.Now().Add(5 * time.Second)
				for !tryLock(t, lock) {
					if time.Now().After(deadline) {
						t.Fatalf("%s: the payload still holds the lock 5 seconds after the launcher's parent died", lp.name)
					}
					time.Sleep(20 * time.Millisecond)
				}
				waitGone(t, "sleep\x001861")
				lp.checkPath(t, run, fileText(stderr))
				stderr.Close()
			}
		}
	})
}

// killMarked kills the processes whose command line holds marker, what a
// failed test left behind.
func killMarked(marker string) {
	for _, pid := range hostPIDsWithMarker(marker) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func fileText(f *os.File) string {
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

// tryLock takes and releases an exclusive flock on path if it is free.
func tryLock(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return true
}

// TestL9NothingOutlivesWithoutPIDNamespace: without a pid namespace no
// kernel ends what the payload leaves behind. A grandchild that left the
// payload's session and was orphaned (a double fork with setsid) still
// ends with the sandbox: when the launcher is killed, and when the payload
// exits.
func TestL9NothingOutlivesWithoutPIDNamespace(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		prof := secProfile(t, "l9.toml", "extends = [\"minimal\"]\n[namespaces]\npid = false\n[merge]\nremove = { mount = [\"/proc\"] }\n")
		// The grandchild says it runs (a file in the sandbox's /tmp)
		// before the payload goes on; its files are not the caller's
		// pipe, which would keep a test waiting.
		escape := func(d string) string {
			return `(setsid sh -c 'touch /tmp/escaped; exec sleep ` + d + `' </dev/null >/dev/null 2>&1 &)
				i=0; while [ ! -e /tmp/escaped ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
				[ -e /tmp/escaped ] && echo escaped`
		}
		for _, lp := range launchPaths(t, m) {
			lp.prepare(t, prof)
			for run := 1; run <= lp.runs; run++ {
				// The launcher killed.
				cmd, out, stderr := startSandboxEnv(t, m, lp.env, "-p", prof, "--", "/bin/sh", "-c", escape("1862")+"; exec sleep 1863")
				if got := readLine(t, out); got != "escaped" {
					t.Fatalf("%s: the payload said %q", lp.name, got)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				waitGone(t, "sleep\x001862")
				waitGone(t, "sleep\x001863")
				lp.checkPath(t, run, fileText(stderr))

				// The payload exits.
				r := sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, lp.env...) },
					"-p", prof, "--", "/bin/sh", "-c", escape("1864"))
				if r.code != 0 || r.stdout != "escaped\n" {
					t.Fatalf("%s: %s", lp.name, r)
				}
				waitGone(t, "sleep\x001864")
				lp.checkPath(t, run, r.stderr)
			}
		}
	})
}

// startSandboxEnv is startSandbox with extra environment, and its stderr
// kept.
func startSandboxEnv(t *testing.T, m mode, env []string, args ...string) (*exec.Cmd, *bufio.Reader, *os.File) {
	t.Helper()
	cmd := exec.Command(sandboxBin, args...)
	cmd.Dir = "/"
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}, env...)
	if m.rootless() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A file: what outlives the launcher must not keep Wait waiting.
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		stderr.Close()
		killMarked("sleep\x00186")
	})
	return cmd, bufio.NewReader(out), stderr
}
