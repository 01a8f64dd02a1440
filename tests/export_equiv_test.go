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

	"sandbox/internal/testutil"
)

// exportProbe prints what the comparison of engines looks at, section by
// section: capability and no_new_privs lines, the seccomp mode and the
// verdict on denied syscalls, hostname, id maps, network interfaces, the
// environment and the mount view (mount point and ro/rw, sorted).
const exportProbe = `echo "== status"; grep -E '^(Cap[A-Za-z]+|NoNewPrivs|Seccomp):' /proc/self/status
echo "== syscalls"; /attack/probe tiocsti=-1 tiocsti_hi=-1 clone3 unshare mount keyctl bpf io_uring_setup | cut -d' ' -f1-4
echo "== hostname"; hostname
echo "== ids"; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; id -u; id -g
echo "== net"; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort
echo "== env"; env | grep -v '^PWD=\|^SHLVL=\|^_=' | sort
echo "== mounts"; awk '{split($6, o, ","); print $5, o[1]}' /proc/self/mountinfo | sort -u`

// exportEquivProfiles are minimal, a command-line tool, build and agent.
var exportEquivProfiles = []string{"minimal", "jq", "build", "agent"}

// TestExportEquivalence runs the same probe under sandbox, under runc and
// crun with the exported OCI bundle, and under bubblewrap with the
// exported argument vector, and fails on any difference the export's gap
// list does not name.
func TestExportEquivalence(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "the engines are compared as root and as an unprivileged user; the tests must run as root")
	attack := attackPrograms(t)
	for _, name := range exportEquivProfiles {
		t.Run(name, func(t *testing.T) {
			bothModes(t, func(t *testing.T, m mode) {
				exportEquivalence(t, m, name, attack)
			})
		})
	}
}

func exportEquivalence(t *testing.T, m mode, name, attack string) {
	// A home and a project the sandbox's host id can enter: a root
	// launch's sandbox is host uid 65534, and /root is closed to it.
	home := sharedDir(t, 0o777)
	proj := filepath.Join(home, "src")
	if err := os.Mkdir(proj, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(proj, 0o777)
	prof := secProfile(t, name+"-probe.toml", fmt.Sprintf("extends = [%q]\n%s", name, bindTOML("ro-bind", attack, "/attack")))
	inProj := func(c *exec.Cmd) {
		c.Dir = proj
		for i, kv := range c.Env {
			if strings.HasPrefix(kv, "HOME=") {
				c.Env[i] = "HOME=" + home
			}
		}
	}
	cmd := []string{"/bin/sh", "-c", exportProbe}

	ref := sandboxCmd(t, m, inProj, append([]string{"-p", prof, "--"}, cmd...)...)
	if ref.code != 0 {
		t.Fatalf("sandbox: %s", ref)
	}
	want := probeSections(ref.stdout)

	engines := []struct {
		name string
		run  func(t *testing.T) (string, []string, bool)
	}{
		{"runc", func(t *testing.T) (string, []string, bool) { return runOCI(t, m, "runc", prof, inProj, cmd) }},
		{"crun", func(t *testing.T) (string, []string, bool) { return runOCI(t, m, "crun", prof, inProj, cmd) }},
		{"bwrap", func(t *testing.T) (string, []string, bool) { return runBwrap(t, m, prof, inProj, proj, cmd) }},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			requireOrSkip(t, haveProgram(e.name), e.name+" is not installed (apt-get install "+map[string]string{"bwrap": "bubblewrap"}[e.name]+e.name+")")
			out, gaps, ok := e.run(t)
			if !ok {
				return // skipped inside
			}
			got := probeSections(out)
			for _, sec := range []string{"status", "syscalls", "hostname", "ids", "net", "env", "mounts"} {
				for _, d := range diffLines(want[sec], got[sec]) {
					if excusedBy(sec, d, gaps) {
						continue
					}
					t.Errorf("%s differs from sandbox in %s: %s (gaps: %q)", e.name, sec, d, gaps)
				}
			}
			if t.Failed() {
				t.Logf("sandbox:\n%s\n%s:\n%s", ref.stdout, e.name, out)
			}
		})
	}
}

func haveProgram(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// exportGapKeys runs sandbox export and returns the keys of the gaps it
// reported.
func exportGapKeys(stderr string) []string {
	var keys []string
	for _, line := range strings.Split(stderr, "\n") {
		if _, rest, ok := strings.Cut(line, ": gap: "); ok {
			k, _, _ := strings.Cut(rest, ":")
			keys = append(keys, k)
		}
	}
	return keys
}

// runOCI exports an OCI bundle and runs the probe with runtime rt.
func runOCI(t *testing.T, m mode, rt, prof string, setup func(*exec.Cmd), cmd []string) (string, []string, bool) {
	bundle := filepath.Join(sharedDir(t, 0o777), "bundle")
	ex := sandboxCmd(t, m, setup, append([]string{"export", "oci", bundle, prof, "--allow-gaps", "--"}, cmd...)...)
	if ex.code != 0 {
		t.Fatalf("export oci: %s", ex)
	}
	state := sharedDir(t, 0o777)
	id := fmt.Sprintf("sbx-eq-%d", time.Now().UnixNano())
	c := exec.Command(rt, "--root", state, "run", "-b", bundle, id)
	c.Dir = bundle
	c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "XDG_RUNTIME_DIR=" + state}
	if m.rootless() {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	t.Cleanup(func() {
		d := exec.Command(rt, "--root", state, "delete", "-f", id)
		if m.rootless() {
			d.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
		}
		d.Run()
	})
	if err != nil {
		msg := errb.String() + out.String()
		// A refusal the runtime also gives its own minimal bundle
		// (ociReference) is the host's or the runtime version's, and
		// the same test passes where they differ; any other is a fault
		// of the export.
		if strings.Contains(msg, "cgroup") {
			// Seen: crun 1.8 on a v1/v2 hybrid without systemd.
			if ref := ociReference(t, m, rt, false); strings.Contains(ref, "cgroup") {
				testutil.SkipHostFact(t, fmt.Sprintf("%s refuses to start even its own default bundle on this host's cgroup setup (%s): %s",
					rt, strings.TrimSpace(ref), strings.TrimSpace(msg)))
				return "", nil, false
			}
		}
		if m.rootless() && strings.Contains(msg, "no user mapping found") {
			// Seen: runc 1.1 insists on a mapping for the container's
			// uid 0, and a rootless plan maps only the caller's own id.
			if ref := ociReference(t, m, rt, true); strings.Contains(ref, "no user mapping found") {
				testutil.SkipHostFact(t, fmt.Sprintf("%s refuses even its own bundle when it maps the caller's id to itself (%s): %s",
					rt, strings.TrimSpace(ref), strings.TrimSpace(msg)))
				return "", nil, false
			}
		}
		t.Fatalf("%s run: %v\n%s", rt, err, msg)
	}
	return out.String(), exportGapKeys(ex.stderr), true
}

// runBwrap exports the bubblewrap argument vector (-0) and runs it with the
// BPF file on descriptor 3.
func runBwrap(t *testing.T, m mode, prof string, setup func(*exec.Cmd), proj string, cmd []string) (string, []string, bool) {
	dir := sharedDir(t, 0o777)
	ex := sandboxCmd(t, m, setup, append([]string{"export", "bwrap", prof, "-0", "-o", dir, "--allow-gaps", "--"}, cmd...)...)
	if ex.code != 0 {
		t.Fatalf("export bwrap: %s", ex)
	}
	argv := strings.Split(strings.TrimSuffix(ex.stdout, "\x00"), "\x00")
	bpf, err := os.Open(filepath.Join(dir, "seccomp.bpf"))
	if err != nil {
		t.Fatal(err)
	}
	defer bpf.Close()
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = proj
	c.ExtraFiles = []*os.File{bpf}
	if m.rootless() {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("bwrap: %v\n%s\nargv: %q", err, errb.String(), argv)
	}
	return out.String(), exportGapKeys(ex.stderr), true
}

// probeSections splits the probe's output at its "== NAME" lines.
func probeSections(out string) map[string][]string {
	secs := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "== ") {
			cur = strings.TrimPrefix(line, "== ")
			continue
		}
		if line = strings.TrimSpace(line); line != "" {
			secs[cur] = append(secs[cur], line)
		}
	}
	return secs
}

// diffLines lists lines only one side has, "-" for the sandbox's, "+" for
// the engine's.
func diffLines(want, got []string) []string {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	var out []string
	for l, n := range count {
		switch {
		case n > 0:
			out = append(out, "-"+l)
		case n < 0:
			out = append(out, "+"+l)
		}
	}
	return out
}

// excusedBy reports whether a difference is one a reported gap names:
// each gap key excuses only the lines it is about.
func excusedBy(sec, d string, gaps []string) bool {
	has := func(k string) bool {
		for _, g := range gaps {
			if g == k {
				return true
			}
		}
		return false
	}
	line := d[1:]
	path, _, _ := strings.Cut(line, " ")
	switch sec {
	case "mounts":
		switch {
		case path == "/":
			return has("filesystem.root")
		case path == "/dev" || strings.HasPrefix(path, "/dev/"):
			return has("filesystem.dev")
		case strings.HasPrefix(path, "/proc/"):
			return has("filesystem.proc")
		}
	case "ids":
		return has("identity.uid_map") || has("lock-mounts")
	case "net":
		return has("network.mode")
	}
	return false
}
