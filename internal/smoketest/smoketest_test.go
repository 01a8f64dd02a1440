package smoketest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sandbox/hostview"
	"sandbox/plan"
	"sandbox/profile"
)

// TestRunReportsEachProfile runs profiles that need no sandbox (one with
// no test, one that names programs but has no test, one that does not
// load) and checks each line, the status, that the caller is read from
// the scratch project directory, and that nothing is left behind.
func TestRunReportsEachProfile(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"block.toml":   "description = \"a building block\"\n",
		"promise.toml": "programs = [\"fakeapp\"]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	before, _ := os.Getwd()
	var callerCwd string
	printed := 0
	o := Options{
		Caller: func() Caller {
			callerCwd, _ = os.Getwd()
			env := profile.Env{UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), User: "tester", Home: "/nonexistent",
				Cwd: callerCwd, Vars: map[string]string{}}
			return Caller{Env: env, Src: profile.Source{Dirs: []string{dir}}, Host: hostview.Host{Home: env.Home}}
		},
		Compile: func(*profile.Profile, []string, hostview.Host) (*plan.Plan, error) {
			return nil, errors.New("nothing here needs a compile")
		},
		EnsureHome: func(*profile.Profile, *plan.Plan, string) error { return nil },
		PrintErr: func(w io.Writer, err error) {
			printed++
			fmt.Fprintln(w, "sandbox: "+err.Error())
		},
	}
	var out, errb bytes.Buffer
	code := Run([]string{"block", "promise", "no-such-profile"}, o, &out, &errb)
	if code != exitLauncher {
		t.Errorf("status %d, want %d (a profile does not load)", code, exitLauncher)
	}
	want := "none block: no smoke test\n" +
		"FAIL promise: no smoke test: it declares programs (fakeapp) but no test.command\n" +
		"FAIL no-such-profile: the profile does not load\n"
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	if printed != 1 || !strings.Contains(errb.String(), "no-such-profile") {
		t.Errorf("%d errors printed, want 1 about no-such-profile:\n%s", printed, errb.String())
	}
	if !strings.HasPrefix(filepath.Base(callerCwd), "sandbox-test-project-") {
		t.Errorf("the caller was read in %s, not in the scratch project directory", callerCwd)
	}
	if after, _ := os.Getwd(); after != before {
		t.Errorf("the working directory is %s after the run, was %s", after, before)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the run left %v in %s", left, tmp)
	}
}

// TestSmokeEnvPointsAtTheScratchHome checks the environment of a test's
// host commands and of its child launcher: HOME is the scratch home, the
// XDG base directories fall back to their defaults below it, and the
// profile search path is the caller's.
func TestSmokeEnvPointsAtTheScratchHome(t *testing.T) {
	env := []string{"HOME=/home/u", "XDG_CONFIG_HOME=/home/u/.config", "XDG_DATA_HOME=/home/u/.local/share",
		smokeDirsVar + "=/old", "PATH=/usr/bin", "LANG=C.UTF-8"}
	got := smokeEnv(env, "/tmp/scratch", []string{"/home/u/.config/sandbox/profiles", "/etc/sandbox/profiles"})
	want := []string{"PATH=/usr/bin", "LANG=C.UTF-8", "HOME=/tmp/scratch",
		smokeDirsVar + "=/home/u/.config/sandbox/profiles:/etc/sandbox/profiles"}
	if !slices.Equal(got, want) {
		t.Errorf("smokeEnv:\n%q\nwant\n%q", got, want)
	}
}

// TestSmokeQuote checks how a command is shown in a FAIL line: a script
// by its first line, an argument with blanks quoted.
func TestSmokeQuote(t *testing.T) {
	got := smokeQuote([]string{"sh", "-c", "\nset -e\necho hi\n", "a b"})
	if want := "`sh -c \"set -e ...\" \"a b\"`"; got != want {
		t.Errorf("smokeQuote: %s, want %s", got, want)
	}
}
