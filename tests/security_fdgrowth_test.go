package tests

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/launcher"
	"sandbox/profile"
	"sandbox/profiles"
)

// D3: the launcher used as a library, many runs in one process, must not
// grow its descriptor table. The runs happen in the test process as root,
// and in a copy of the test binary re-executed as the unprivileged user:
// the environment variable below makes that copy run the loop from init,
// before TestMain builds anything, and print the counts.
const fdGrowthEnv = "SANDBOX_SECURITY_FD_GROWTH"

func init() {
	spec := os.Getenv(fdGrowthEnv)
	if spec == "" {
		return
	}
	runs, prof, _ := strings.Cut(spec, ":")
	n, _ := strconv.Atoi(runs)
	counts, err := fdGrowthLoop(n, prof)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println(strings.Trim(fmt.Sprint(counts), "[]"))
	os.Exit(0)
}

// openFDs counts this process's open descriptors.
func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents) - 1 // the one reading the directory
}

// fdGrowthLoop loads, compiles and runs prof n times in this process and
// returns the descriptor count after the first run and after the last.
func fdGrowthLoop(n int, prof string) ([]int, error) {
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	home := "/root"
	if uid != 0 {
		home = "/nonexistent"
	}
	env := profile.Env{UID: uid, GID: gid, User: strconv.Itoa(int(uid)), Home: home, Cwd: "/",
		Vars: map[string]string{"HOME": home, "PATH": "/usr/bin:/bin"}}
	src := profile.Source{Dirs: profile.DefaultDirs(env), Builtin: profiles.FS}
	host := hostview.Host{UID: uid, GID: gid, EUID: uint32(os.Geteuid()), User: env.User, Home: home,
		Cwd: "/", Env: []string{"HOME=" + home, "PATH=/usr/bin:/bin"}}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	var counts []int
	for i := 0; i < n; i++ {
		p, err := profile.Load(prof, env, src)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", prof, err)
		}
		pl, err := compile.Compile(p, []string{"/bin/sh", "-c", "exit 3"}, host)
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", prof, err)
		}
		code, err := launcher.Run(pl, launcher.RunOptions{Stdin: devnull, Stdout: devnull, Stderr: devnull})
		if err != nil || code != 3 {
			return nil, fmt.Errorf("run %d: exit %d, %v", i, code, err)
		}
		if i == 0 || i == n-1 {
			counts = append(counts, openFDs())
		}
	}
	return counts, nil
}

// TestD3LauncherFDsStable runs the launcher many times in one process, with
// the id maps written by the sandbox itself and by the launcher, and
// compares the descriptor count after the first run with the count after
// the last.
func TestD3LauncherFDsStable(t *testing.T) {
	n := stressCount(200, 100, 30)
	maps := secProfile(t, "maps.toml", `extends = ["minimal"]

[identity]
uid = 0
gid = 0
uid_map = [{inside = 0, outside = 100000, count = 2}]
gid_map = [{inside = 0, outside = 100000, count = 2}]
`)
	bothModes(t, func(t *testing.T, m mode) {
		profs := []string{"minimal"}
		if !m.rootless() {
			profs = append(profs, maps)
		}
		for _, prof := range profs {
			var counts []int
			if m.rootless() {
				counts = fdGrowthAs(t, m, n, prof)
			} else {
				var err error
				if counts, err = fdGrowthLoop(n, prof); err != nil {
					t.Fatal(err)
				}
			}
			if len(counts) != 2 || counts[1] != counts[0] {
				t.Errorf("%s: descriptors after the first run and after run %d: %v", filepath.Base(prof), n, counts)
			}
		}
	})
}

// fdGrowthAs runs the loop in a copy of the test binary as m's user.
func fdGrowthAs(t *testing.T, m mode, n int, prof string) []int {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(sharedDir(t, 0o755), "tests.test")
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(out, in)
	in.Close()
	out.Close()
	cmd := exec.Command(bin)
	cmd.Dir = "/"
	cmd.Env = []string{fmt.Sprintf("%s=%d:%s", fdGrowthEnv, n, prof), "PATH=/usr/bin:/bin", "HOME=/nonexistent"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	var counts []int
	for _, f := range strings.Fields(string(b)) {
		if v, err := strconv.Atoi(f); err == nil {
			counts = append(counts, v)
		}
	}
	return counts
}
