package tests

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smokeUserName is the ordinary user the rootless smoke tests run as. The
// profiles bind directories of a real home (~/Downloads), which nobody
// does not have.
const smokeUserName = "sbxtest"

// smokeUser returns an unprivileged user with a home directory of its own,
// creating it with useradd the first time.
func smokeUser(t *testing.T) (*syscall.Credential, string) {
	t.Helper()
	u, err := user.Lookup(smokeUserName)
	if err != nil {
		_, lookErr := exec.LookPath("useradd")
		requireOrSkip(t, lookErr == nil, "useradd is needed to create the user the rootless smoke tests run as")
		out, err := exec.Command("useradd", "--create-home", "--shell", "/bin/sh", smokeUserName).CombinedOutput()
		if err != nil {
			t.Fatalf("useradd %s: %v\n%s", smokeUserName, err, out)
		}
		if u, err = user.Lookup(smokeUserName); err != nil {
			t.Fatalf("user %s was created but cannot be looked up: %v", smokeUserName, err)
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if st, err := os.Stat(u.HomeDir); err != nil || !st.IsDir() {
		t.Fatalf("user %s has no home directory %s: %v", smokeUserName, u.HomeDir, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, u.HomeDir
}

// smokeRun runs `sandbox test ARGS...` with a login-like environment. A
// nil cred runs as root with a fresh home of its own, so that the tests
// never write into /root. ci sets CI=true for the sandbox binary.
func smokeRun(t *testing.T, cred *syscall.Credential, home string, ci bool, args ...string) result {
	t.Helper()
	cmd := exec.Command(sandboxBin, append([]string{"test"}, args...)...)
	cmd.Dir = "/"
	name := "root"
	if cred != nil {
		name = smokeUserName
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "USER=" + name,
		"LOGNAME=" + name, "LANG=C.UTF-8", "TERM=dumb"}
	if ci {
		cmd.Env = append(cmd.Env, "CI=true")
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sandbox test: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sandbox test %q did not finish within 10 minutes", args)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

// rootHome makes a home directory for root's runs. The sandbox of a root
// launch is an unprivileged host id (checklist R1), which must be able to
// enter it to reach the directories a profile binds from it.
func rootHome(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sandbox-smoke-root-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// shippedProfileNames lists the profiles in profiles/.
func shippedProfileNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../profiles/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped profiles found: %v", err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(filepath.Base(f), ".toml")
	}
	return names
}

// TestShippedProfilesSmoke runs every shipped profile's own smoke test
// through `sandbox test`, as root and as an ordinary user: the browsers
// with their own sandboxes, the document and media tools, the
// interpreters. A profile whose program is not installed is skipped
// (failed under CI=true, where `make deps` installs them all).
func TestShippedProfilesSmoke(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "the smoke tests run as root and as a user created for them, which needs root")
	names := shippedProfileNames(t)
	ci := os.Getenv("CI") == "true"
	for _, m := range []string{"root", "rootless"} {
		t.Run(m, func(t *testing.T) {
			var cred *syscall.Credential
			home := rootHome(t)
			if m == "rootless" {
				cred, home = smokeUser(t)
			}
			for _, name := range names {
				t.Run(name, func(t *testing.T) {
					r := smokeRun(t, cred, home, ci, name)
					line := strings.TrimSpace(r.stdout)
					switch {
					case r.code == 0 && (strings.HasPrefix(line, "ok   "+name+" ") || line == "none "+name+": no smoke test"):
					case r.code == 77 && strings.HasPrefix(line, "skip "+name+":"):
						requireOrSkip(t, false, line)
					default:
						t.Fatalf("sandbox test %s: %s", name, r)
					}
				})
			}
		})
	}
}

// TestSmokeProfilesDeclareATest keeps the library honest: every shipped
// profile that names programs carries a smoke test, which requires the
// program it is for.
func TestSmokeProfilesDeclareATest(t *testing.T) {
	for _, name := range shippedProfileNames(t) {
		text, err := os.ReadFile(filepath.Join("..", "profiles", name+".toml"))
		if err != nil {
			t.Fatal(err)
		}
		s := string(text)
		if !strings.Contains(s, "\nprograms = [") {
			continue
		}
		if !strings.Contains(s, "\n[test]\n") || !strings.Contains(s, "\nrequires = [") {
			t.Errorf("profile %s declares programs but no [test] with requires", name)
		}
		if !strings.HasPrefix(s, "# "+name+": ") {
			t.Errorf("profile %s does not start with a comment saying what it is for (\"# %s: ...\")", name, name)
		}
	}
}

// smokeCase is a profile with a [test] section and what `sandbox test`
// must make of it.
type smokeCase struct {
	name    string
	test    string // the profile's body after extends = ["base"]
	ci      bool
	code    int
	line    string // the start of the line printed for it
	inLines string // text that must appear in the output
}

// TestSmokeCommandOutcomes checks each way a smoke test can end, as root
// and rootless: pass, wrong exit code, output that does not match, a check
// that fails, a program that is not installed (with and without CI=true),
// a profile without a test, and a profile that does not load.
func TestSmokeCommandOutcomes(t *testing.T) {
	cases := []smokeCase{
		{name: "pass", code: 0, line: "ok   ", test: `
[test]
command = ["sh", "-c", "echo smoke-out; echo smoke-err >&2; exit 3"]
expect_exit = 3
expect_output = 'smoke-out\nsmoke-err'
`},
		{name: "wrong-exit", code: 1, line: "FAIL ", inLines: "exited 4, want 0", test: `
[test]
command = ["sh", "-c", "echo last words; exit 4"]
`},
		{name: "no-match", code: 1, line: "FAIL ", inLines: "does not match", test: `
[test]
command = ["echo", "something else"]
expect_output = '^expected$$'
`},
		{name: "setup-and-check", code: 1, line: "FAIL ", inLines: "check `sh -c", test: `
[test]
setup = ["true"]
command = ["true"]
check = ["sh", "-c", "exit 9"]
`},
		{name: "setup-fails", code: 1, line: "FAIL ", inLines: "setup `false` exited 1", test: `
[test]
setup = ["false"]
command = ["true"]
`},
		{name: "not-installed", code: 77, line: "skip ", inLines: "/nonexistent/program not installed", test: `
[test]
requires = ["/nonexistent/program"]
command = ["true"]
`},
		{name: "not-installed-ci", ci: true, code: 1, line: "FAIL ", inLines: "not installed", test: `
[test]
requires = ["/nonexistent/program"]
command = ["true"]
`},
		{name: "building-block", code: 0, line: "none ", test: `
`},
		{name: "programs-without-test", code: 1, line: "FAIL ", inLines: "no smoke test", test: `
programs = ["smoke-program"]
`},
		{name: "broken", code: 125, line: "FAIL ", inLines: "does not load", test: `
[test]
command = ["true"]
timeout = 0
`},
	}
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				path := writeProfile(t, c.name+".toml", "extends = [\"base\"]\n"+c.test)
				r := smokeRun(t, m.cred, "/nonexistent", c.ci, path)
				if r.code != c.code {
					t.Fatalf("exit %d, want %d\n%s", r.code, c.code, r)
				}
				if !strings.HasPrefix(r.stdout, c.line+path) {
					t.Fatalf("the line does not start with %q\n%s", c.line+path, r)
				}
				if !strings.Contains(r.stdout, c.inLines) {
					t.Fatalf("the output does not say %q\n%s", c.inLines, r)
				}
			})
		}
	})
}

// TestSmokeTimeoutKillsTheSandbox checks that a test that runs too long is
// reported as failed and leaves nothing running: neither a payload that
// ignores SIGTERM nor one whose profile lets the sandbox outlive its
// launcher (die_with_parent = false).
func TestSmokeTimeoutKillsTheSandbox(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, dieWithParent := range []bool{true, false} {
			t.Run(fmt.Sprintf("die_with_parent=%v", dieWithParent), func(t *testing.T) {
				// A number of seconds no other sleep on the machine uses.
				marker := strconv.Itoa(100000 + int(time.Now().UnixNano()/1000%900000))
				path := writeProfile(t, "slow.toml", fmt.Sprintf(`extends = ["base"]
[process]
die_with_parent = %v
[test]
command = ["sh", "-c", "trap '' TERM; sleep %s; echo reached-$$((40+2))"]
timeout = 1
`, dieWithParent, marker))
				r := smokeRun(t, m.cred, "/nonexistent", false, path)
				if r.code != 1 || !strings.Contains(r.stdout, "did not finish within 1s and was killed") {
					t.Fatalf("a test past its timeout was not reported as killed:\n%s", r)
				}
				if strings.Contains(r.stdout, "reached-42") {
					t.Fatalf("the payload ran to its end:\n%s", r)
				}
				waitGone(t, "sleep\x00"+marker+"\x00")
			})
		}
	})
}
