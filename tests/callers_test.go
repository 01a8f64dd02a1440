package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests where the launcher is started by a caller of its own (a shell
// script, an interactive shell), on both launch paths.

// launchPath is one way a launch runs: compiled by the Go program, or from
// the plan cache before Go starts (launcher/fast.c). The cached path's
// first launch of a command stores the plan; only its later ones hit.
type launchPath struct {
	name string
	env  []string
	runs int // launches of the same command; the last is the one tested
}

func launchPaths(t *testing.T, m mode) []launchPath {
	c := newCacheRun(t, m)
	return []launchPath{
		{"compiled", []string{"SANDBOX_PLAN_CACHE=0"}, 1},
		{"cached", []string{"XDG_RUNTIME_DIR=" + c.runtime, "SANDBOX_PLAN_CACHE=verbose"}, 2},
	}
}

// prepare waits, for the cached path, until the files a plan is compiled
// from are old enough to be cached (settle).
func (lp launchPath) prepare(t *testing.T, files ...string) {
	t.Helper()
	if lp.runs > 1 {
		settle(t, files...)
	}
}

// checkPath fails a cached path's last launch that did not hit the cache.
func (lp launchPath) checkPath(t *testing.T, run int, out string) {
	t.Helper()
	if lp.runs > 1 && run == lp.runs && !strings.Contains(out, "plan cache: hit") {
		t.Fatalf("%s launch %d did not run from the plan cache:\n%s", lp.name, run, out)
	}
}

// callerEnv is the environment of a caller: the launcher and the profile
// in $SANDBOX and $PROF, the attack programs' directory in $ATTACK.
func callerEnv(t *testing.T, m mode, prof string, extra []string) []string {
	home := "/root"
	if m.rootless() {
		home = "/nonexistent"
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8", "TERM=dumb",
		"SANDBOX=" + sandboxBin, "PROF=" + prof, "ATTACK=" + attackPrograms(t)}
	return append(env, extra...)
}

// runCaller runs script with sh as mode m: on a terminal of its own (util-
// linux script gives it a pseudo-terminal, whose foreground it holds, as
// a command typed in a terminal does) or in a plain pipeline. It returns
// everything the script and the sandbox wrote, with the terminal's \r\n
// made \n.
func runCaller(t *testing.T, m mode, env []string, onTTY bool, script string) string {
	t.Helper()
	requireOrSkip(t, !onTTY || lookPath("script"), "util-linux script is needed to give the caller a terminal")
	file := filepath.Join(sharedDir(t, 0o755), "caller.sh")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	if onTTY {
		cmd = exec.Command("script", "-qec", "sh "+file, "/dev/null")
	} else {
		cmd = exec.Command("/bin/sh", "-c", "sh "+file+" 2>&1 | cat")
	}
	cmd.Dir = "/"
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if m.rootless() {
		cmd.SysProcAttr.Credential = m.cred
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	cmd.Wait()
	timer.Stop()
	return strings.ReplaceAll(out.String(), "\r\n", "\n")
}

func lookPath(prog string) bool {
	_, err := exec.LookPath(prog)
	return err == nil
}

// lineWith returns the first line of out that starts with prefix, without
// it, and whether there was one.
func lineWith(out, prefix string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}
