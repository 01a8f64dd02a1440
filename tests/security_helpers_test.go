package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The security tests attack real sandboxes from the inside. Their attack
// programs are C sources in attack/, compiled statically at test time and
// bound read-only at /attack by the profiles the tests write. Every file a
// sandbox run needs lives under the directory TestMain created for the
// binary (world-readable, removed when the tests end), so the unprivileged
// user can reach it and nothing is left behind.

var (
	attackOnce sync.Once
	attackDir  string
	attackErr  error
	attackWhy  string
)

// attackPrograms compiles the attack programs once and returns the
// directory that holds them. A missing compiler or static C library is a
// missing requirement, not a pass.
func attackPrograms(t testing.TB) string {
	t.Helper()
	attackOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil {
			attackWhy = "the attack programs are C and need gcc (apt-get install gcc)"
			return
		}
		dir := filepath.Join(filepath.Dir(sandboxBin), "attack")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			attackErr = err
			return
		}
		os.Chmod(dir, 0o755)
		for _, prog := range []struct {
			name string
			libs []string
		}{{"probe", []string{"-lpthread"}}, {"ids", nil}, {"enterspy", nil}} {
			out := filepath.Join(dir, prog.name)
			args := append([]string{"-static", "-O2", "-Wall", "-o", out, filepath.Join("attack", prog.name+".c")}, prog.libs...)
			b, err := exec.Command("gcc", args...).CombinedOutput()
			if err != nil {
				if bytes.Contains(b, []byte("cannot find -lc")) || bytes.Contains(b, []byte("cannot find -lpthread")) {
					attackWhy = "the attack programs are linked statically and need the static C library (apt-get install libc6-dev)"
					return
				}
				attackErr = fmt.Errorf("gcc %s: %v\n%s", prog.name, err, b)
				return
			}
		}
		attackDir = dir
	})
	requireOrSkip(t, attackWhy == "", attackWhy)
	if attackErr != nil {
		t.Fatal(attackErr)
	}
	return attackDir
}

// sharedDir makes a directory under the binary's directory that the
// unprivileged user can read and enter, and removes it after the test.
func sharedDir(t testing.TB, perm os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp(filepath.Dir(sandboxBin), "t-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, perm); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A failed attack may have left read-only or foreign-owned
		// entries; make them removable first.
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(dir)
	})
	return dir
}

// secProfile writes a profile where the unprivileged user can read it.
// Unlike writeProfile, the whole path is reachable by that user.
func secProfile(t testing.TB, name, text string) string {
	t.Helper()
	p := filepath.Join(sharedDir(t, 0o755), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// attackProfile is minimal plus the attack programs at /attack, followed by
// extra profile text.
func attackProfile(t testing.TB, extra string) string {
	t.Helper()
	dir := attackPrograms(t)
	return secProfile(t, "attack.toml", fmt.Sprintf(`extends = ["minimal"]

[[mount]]
type = "ro-bind"
source = %q
target = "/attack"
%s`, dir, extra))
}

// bindTOML is a [[mount]] entry binding source at target.
func bindTOML(kind, source, target string) string {
	return fmt.Sprintf("\n[[mount]]\ntype = %q\nsource = %q\ntarget = %q\n", kind, source, target)
}

// outcome is what one probe reported: the call's return value, its errno
// name, the signal that killed the probe (0 if none) and extra fields.
type outcome struct {
	spec   string
	ret    string
	errno  string
	sig    int
	detail map[string]string
}

func (o outcome) String() string {
	s := fmt.Sprintf("%s: ret=%s errno=%s", o.spec, o.ret, o.errno)
	if o.sig != 0 {
		s += fmt.Sprintf(" killed by signal %d", o.sig)
	}
	keys := make([]string, 0, len(o.detail))
	for k := range o.detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s += " " + k + "=" + o.detail[k]
	}
	return s
}

// ok reports whether the call succeeded.
func (o outcome) ok() bool { return o.sig == 0 && o.errno == "0" && o.ret != "none" }

// killedBySeccomp reports whether the filter killed the probe.
func (o outcome) killedBySeccomp() bool { return o.sig == int(syscall.SIGSYS) }

// kernelAnswers are the errnos the kernel gives the harmless bad arguments
// the probes pass: a call that returns one of them reached the kernel.
var kernelAnswers = map[string]bool{"EFAULT": true, "EBADF": true, "ESRCH": true, "EINVAL": true, "ENOEXEC": true}

// reachedKernel reports whether the call got past the filter.
func (o outcome) reachedKernel() bool { return o.ok() || o.sig == 0 && kernelAnswers[o.errno] }

// deniedByFilter reports whether the call was stopped before the kernel
// looked at its arguments: killed, or answered with a refusal errno.
func (o outcome) deniedByFilter() bool {
	return o.killedBySeccomp() || o.sig == 0 && (o.errno == "EPERM" || o.errno == "ENOSYS" || o.errno == "EACCES")
}

// parseProbes reads probe's output into outcomes keyed by probe spec.
func parseProbes(t testing.TB, out string) map[string]outcome {
	t.Helper()
	res := map[string]outcome{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[1], "ret=") {
			continue
		}
		o := outcome{spec: f[0], detail: map[string]string{}}
		o.ret = strings.TrimPrefix(f[1], "ret=")
		o.errno = strings.TrimPrefix(f[2], "errno=")
		o.sig, _ = strconv.Atoi(strings.TrimPrefix(f[3], "sig="))
		for _, kv := range f[4:] {
			if k, v, ok := strings.Cut(kv, "="); ok {
				o.detail[k] = v
			}
		}
		res[o.spec] = o
	}
	return res
}

// runProbes runs /attack/probe with the given probes in the sandbox the
// profile describes and returns their outcomes. Every probe must report:
// a missing line means the sandbox or the probe broke, which is a failure.
func runProbes(t *testing.T, m mode, prof string, probes ...string) map[string]outcome {
	t.Helper()
	r := sandbox(t, m, append([]string{"-p", prof, "--", "/attack/probe"}, probes...)...)
	if r.code != 0 {
		t.Fatalf("probe run failed: %s", r)
	}
	res := parseProbes(t, r.stdout)
	for _, p := range probes {
		if p == "grandchild" {
			continue
		}
		if _, ok := res[p]; !ok {
			t.Fatalf("probe %s reported nothing:\n%s", p, r)
		}
	}
	return res
}

// expectDenied fails for every probe that got past the filter.
func expectDenied(t *testing.T, res map[string]outcome, probes ...string) {
	t.Helper()
	for _, p := range probes {
		o := res[p]
		switch {
		case o.deniedByFilter():
		case o.reachedKernel():
			t.Errorf("%s reached the kernel: %s", p, o)
		default:
			t.Errorf("%s: unexpected answer %s", p, o)
		}
	}
}

// mountPoints returns the host's mount points as a sorted list.
func mountPoints(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			out = append(out, f[4])
		}
	}
	sort.Strings(out)
	return out
}

// sameMounts fails if the host's mount table changed since before.
func sameMounts(t *testing.T, before []string) {
	t.Helper()
	after := mountPoints(t)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("the host's mount table changed:\nbefore: %v\nafter:  %v", before, after)
	}
}

// entries lists a directory's names, sorted; a missing directory is empty.
func entries(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// isCI reports whether the tests run in CI, where missing requirements fail
// and stress tests use their full counts.
func isCI() bool { return os.Getenv("CI") == "true" }

// stressCount is full under CI or SANDBOX_STRESS=1, else reduced, and
// reduced further by -short.
func stressCount(full, reduced, short int) int {
	switch {
	case testing.Short():
		return short
	case isCI() || os.Getenv("SANDBOX_STRESS") == "1":
		return full
	}
	return reduced
}

// sandboxWithPID runs the launcher like sandboxCmd (same environment,
// same one-minute bound) and also returns its pid.
func sandboxWithPID(t *testing.T, m mode, setup func(*exec.Cmd), args ...string) (result, int) {
	t.Helper()
	var cmd *exec.Cmd
	r := sandboxCmd(t, m, func(c *exec.Cmd) {
		cmd = c
		if setup != nil {
			setup(c)
		}
	}, args...)
	pid := 0
	if cmd != nil && cmd.Process != nil {
		pid = cmd.Process.Pid
	}
	return r, pid
}

// launch runs the launcher like sandboxCmd but reports problems as errors,
// so that stress tests can call it from several goroutines.
func launch(m mode, extraEnv []string, args ...string) (result, error) {
	cmd := exec.Command(sandboxBin, args...)
	cmd.Dir = "/"
	home, user := "/root", "root"
	if m.rootless() {
		home, user = "/nonexistent", "nobody"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "USER=" + user,
		"LANG=C.UTF-8", "TERM=dumb", "SECRET_TOKEN=do-not-leak"}, extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	cmd.Wait()
	if !timer.Stop() {
		return result{}, fmt.Errorf("sandbox %q did not finish within a minute", args)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}, nil
}

// lastingNewEntries returns the entries of dir that are not in before, are
// not the test framework's own, and are still there a few seconds later:
// on a shared machine compilers and other tests come and go in /tmp, while
// a launcher's leftover stays.
func lastingNewEntries(t *testing.T, dir string, before map[string]bool) []string {
	t.Helper()
	var fresh []string
	for name := range dirNames(t, dir) {
		if !before[name] && !strings.HasPrefix(name, "sandbox-it-") && !strings.HasPrefix(name, "Test") && !strings.HasPrefix(name, "go-build") {
			fresh = append(fresh, name)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(fresh) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		var still []string
		for _, name := range fresh {
			if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
				still = append(still, name)
			}
		}
		fresh = still
	}
	sort.Strings(fresh)
	return fresh
}
