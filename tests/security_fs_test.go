package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Filesystem rows of the security checklist that attack the view a
// well-formed profile builds: F1-F4, F9-F11, F14, F16. Hostile trees (F5-F7,
// F12, F13, F15) are in security_hostile_test.go; F8 is TestNothingLeftBehind.

// victimDir makes a host directory with a file "victim" that anyone may
// write, so that only the mount's read-only flag stands between the
// payload and the host.
func victimDir(t *testing.T) string {
	t.Helper()
	d := sharedDir(t, 0o777)
	if err := os.WriteFile(filepath.Join(d, "victim"), []byte("original\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(d, "victim"), 0o666)
	return d
}

// victimUnchanged fails if the victim directory changed in any way.
func victimUnchanged(t *testing.T, d string, want ...string) {
	t.Helper()
	if len(want) == 0 {
		want = []string{"victim"}
	}
	if got := entries(d); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("host directory %s now holds %v, want %v", d, got, want)
	}
	b, err := os.ReadFile(filepath.Join(d, "victim"))
	if err != nil || string(b) != "original\n" {
		t.Errorf("host file %s/victim changed: %q %v", d, b, err)
	}
	if fi, err := os.Stat(filepath.Join(d, "victim")); err == nil && fi.Mode().Perm() != 0o666 {
		t.Errorf("host file %s/victim changed mode to %v", d, fi.Mode())
	}
}

// TestF1ReadOnlyBindRefusesEveryWrite tries every kind of write on a
// read-only bind of a host directory whose file anyone may write: each must
// fail with EROFS. TestReadOnlyMountsRefuseWrites does the same with shell
// commands on /usr.
func TestF1ReadOnlyBindRefusesEveryWrite(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		d := victimDir(t)
		prof := attackProfile(t, bindTOML("ro-bind", d, "/ro"))
		probes := []string{"write=/ro/victim", "write=/ro/new", "truncate=/ro/victim", "setxattr=/ro/victim",
			"chmod=/ro/victim", "unlink=/ro/victim", "mkdir=/ro/newdir", "utimes=/ro/victim", "mknod=/ro/node"}
		res := runProbes(t, m, prof, probes...)
		for _, p := range probes {
			if o := res[p]; o.errno != "EROFS" && !(p == "mknod=/ro/node" && o.errno == "EPERM") {
				t.Errorf("%s, want EROFS", o)
			}
		}
		victimUnchanged(t, d)
	})
}

// writableSubmounts returns host mount points strictly below / whose
// directory anyone may write (such as /dev/shm): a plain remount,ro of a
// recursive bind of / leaves them writable.
func writableSubmounts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, mp := range mountPoints(t) {
		if mp == "/" || strings.HasPrefix(mp, "/proc") || strings.HasPrefix(mp, "/sys") {
			continue
		}
		fi, err := os.Stat(mp)
		if err == nil && fi.IsDir() && fi.Mode().Perm()&0o002 != 0 {
			out = append(out, mp)
		}
	}
	return out
}

// TestF2ReadOnlySubmounts read-only binds the host's / and writes into its
// world-writable submounts (/dev/shm): they must be read-only too.
func TestF2ReadOnlySubmounts(t *testing.T) {
	subs := writableSubmounts(t)
	requireOrSkip(t, len(subs) > 0, "the host has no world-writable submount of / (such as /dev/shm) to attack")
	bothModes(t, func(t *testing.T, m mode) {
		prof := attackProfile(t, bindTOML("ro-bind", "/", "/host"))
		name := fmt.Sprintf("sandbox-f2-%d-%s", os.Getpid(), m.name)
		var probes []string
		for _, s := range subs {
			probes = append(probes, "write=/host"+filepath.Join(s, name), "mkdir=/host"+filepath.Join(s, name+"-dir"))
		}
		res := runProbes(t, m, prof, probes...)
		for _, p := range probes {
			if o := res[p]; o.errno != "EROFS" {
				t.Errorf("%s, want EROFS: a submount of a read-only bind is writable", o)
			}
		}
		for _, s := range subs {
			for _, n := range []string{name, name + "-dir"} {
				if _, err := os.Lstat(filepath.Join(s, n)); err == nil {
					os.RemoveAll(filepath.Join(s, n))
					t.Errorf("the payload created %s on the host", filepath.Join(s, n))
				}
			}
		}
	})
}

// mountPowersTOML keeps CAP_SYS_ADMIN in the sandbox's user namespace and
// lets the mount calls through the filter: what remains between the
// payload and its mounts is the locking of the mounts (F3). Landlock, which
// refuses every mount, is off: these tests are of the first wall alone
// (K1 is the second).
const mountPowersTOML = `
[capabilities]
keep = ["CAP_SYS_ADMIN"]

[seccomp.syscalls]
mount = "allow"
umount2 = "allow"
mount_setattr = "allow"
open_tree = "allow"
move_mount = "allow"
fsopen = "allow"
fsconfig = "allow"
fsmount = "allow"
fspick = "allow"

[landlock]
enabled = false
`

// TestF3MountsCannotBeUndone holds CAP_SYS_ADMIN inside and tries to make a
// read-only bind writable, to unmount it, and to unmount a tmpfs that
// masks a secret: every attempt fails and the host is unchanged. As root it
// also does so with an explicit id map of a range of ids, where the
// sandbox cannot write the maps of a further namespace itself.
func TestF3MountsCannotBeUndone(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		cases := []struct{ name, ids string }{{"one id", ""}}
		if !m.rootless() {
			cases = append(cases, struct{ name, ids string }{"a range of ids", `
[identity]
uid = 0
gid = 0
uid_map = [{inside = 0, outside = 0, count = 2}]
gid_map = [{inside = 0, outside = 0, count = 2}]
`})
		}
		for _, c := range cases {
			undoMounts(t, m, c.name, c.ids)
		}
	})
}

func undoMounts(t *testing.T, m mode, name, ids string) {
	t.Helper()
	d := victimDir(t)
	if err := os.Mkdir(filepath.Join(d, "secret"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, "secret", "file"), []byte("TOPSECRET\n"), 0o644)
	prof := attackProfile(t, bindTOML("ro-bind", d, "/ro")+`
[[mount]]
type = "tmpfs"
target = "/ro/secret"
`+mountPowersTOML+ids)
	r := sandbox(t, m, "-p", prof, "--", "/bin/sh", "-c",
		"/attack/probe remount_rw=/ro write=/ro/victim setattr_rw=/ro umount=/ro/secret; cat /ro/secret/file 2>&1; /attack/probe umount=/ro; echo done")
	if r.code == 125 && ids != "" {
		// Refusing CAP_SYS_ADMIN over mounts it cannot lock is safe.
		return
	}
	if r.code != 0 || !strings.Contains(r.stdout, "done") {
		t.Fatalf("%s: attack run failed: %s", name, r)
	}
	res := parseProbes(t, r.stdout)
	for _, p := range []string{"remount_rw=/ro", "write=/ro/victim", "setattr_rw=/ro", "umount=/ro/secret", "umount=/ro"} {
		o, ok := res[p]
		if !ok {
			t.Fatalf("%s: probe %s reported nothing:\n%s", name, p, r)
		}
		if o.ok() {
			t.Errorf("%s: with CAP_SYS_ADMIN inside, %s succeeded: mounts are not locked", name, o)
		}
	}
	if strings.Contains(r.stdout, "TOPSECRET") {
		t.Errorf("%s: the masked secret was uncovered:\n%s", name, r.stdout)
	}
	victimUnchanged(t, d, "secret", "victim")
}

// TestF3NestedNamespaceCannotUndoMounts lets the payload, which keeps no
// capability, make a user and mount namespace of its own (where it holds
// every capability) with the mount calls let through the filter, and try
// the same attacks there: the kernel locks every mount copied into a
// namespace of a less privileged user namespace, so each attempt fails,
// while a new mount there succeeds (the powers are real). This is what
// keeps the mounts of a plan without CAP_SYS_ADMIN, which no further
// namespace of the launcher's locks.
func TestF3NestedNamespaceCannotUndoMounts(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		d := victimDir(t)
		if err := os.Mkdir(filepath.Join(d, "secret"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "secret", "file"), []byte("TOPSECRET\n"), 0o644)
		powers := strings.Replace(mountPowersTOML, "[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n", "", 1)
		prof := attackProfile(t, bindTOML("ro-bind", d, "/ro")+`
[[mount]]
type = "tmpfs"
target = "/ro/secret"

[process]
nested_user_namespaces = true
`+powers)
		attacks := []string{"nested=remount_rw:/ro", "nested=write:/ro/victim", "nested=setattr_rw:/ro",
			"nested=umount:/ro/secret", "nested=umount:/ro"}
		args := append([]string{"-p", prof, "--", "/attack/probe", "mount_tmpfs=/tmp", "nested=mount_tmpfs:/tmp"}, attacks...)
		r := sandbox(t, m, args...)
		if r.code != 0 {
			t.Fatalf("attack run failed: %s", r)
		}
		res := parseProbes(t, r.stdout)
		if o := res["mount_tmpfs=/tmp"]; o.ok() {
			t.Fatalf("the payload mounted without capabilities: %s", o)
		}
		if o := res["nested=mount_tmpfs:/tmp"]; !o.ok() {
			t.Fatalf("no mount powers in a nested namespace, so the attacks prove nothing: %s\n%s", o, r)
		}
		for _, p := range attacks {
			o, ok := res[p]
			if !ok {
				t.Fatalf("probe %s reported nothing:\n%s", p, r)
			}
			if o.ok() {
				t.Errorf("in a nested user and mount namespace, %s succeeded: mounts are not locked", o)
			}
		}
		victimUnchanged(t, d, "secret", "victim")
	})
}

// newMountAPI are the probes of the new mount API (flatpak CVE-2021-41133).
var newMountAPI = []string{"fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr"}

// TestF4NewMountAPIDenied calls every new mount API syscall, with and
// without CAP_SYS_ADMIN inside: the filter denies them either way.
func TestF4NewMountAPIDenied(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		expectDenied(t, runProbes(t, m, attackProfile(t, ""), newMountAPI...), newMountAPI...)
		caps := attackProfile(t, "\n[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n")
		expectDenied(t, runProbes(t, m, caps, newMountAPI...), newMountAPI...)
	})
}

// propagationScript makes / shared in a private mount namespace of its own
// (the machine's mount table is not touched), runs the sandbox whose
// payload mounts a tmpfs, and records the namespace's mount table before,
// while the payload's mount exists, and after.
const propagationScript = `set -e
out=$1 bin=$2 prof=$3 shared=$4
mount --make-rshared /
cat /proc/self/mountinfo > "$out/before"
"$bin" -p "$prof" -- /bin/sh -c '/attack/probe mount_tmpfs=/shared/m; touch /shared/mounted; i=0; while [ ! -e /shared/go ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done' > "$out/probe" 2>&1 &
pid=$!
i=0; while [ ! -e "$shared/mounted" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
cat /proc/self/mountinfo > "$out/during"
touch "$shared/go"
wait $pid || echo "sandbox exited $?" >> "$out/probe"
cat /proc/self/mountinfo > "$out/after"
`

// TestF9NoPropagationToHost runs, as root, a sandbox under a host / that is
// shared and lets the payload mount: neither the launcher's mounts nor
// the payload's may appear in the host's mount table.
func TestF9NoPropagationToHost(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "making / shared (in a private namespace) and mounting from a sandbox without a user namespace need root")
	_, err := exec.LookPath("unshare")
	requireOrSkip(t, err == nil, "unshare (util-linux) is needed to make / shared in a private mount namespace")
	// Without a user namespace the payload is host root, which a root
	// launch allows only with identity.host_root (R1): the worst case.
	for _, c := range []struct{ name, ns string }{
		{"no user namespace", "\n[namespaces]\nuser = false\n[identity]\nhost_root = true\n"},
		{"user namespace", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			shared := sharedDir(t, 0o777)
			os.Mkdir(filepath.Join(shared, "m"), 0o777)
			out := sharedDir(t, 0o755)
			prof := attackProfile(t, bindTOML("bind", shared, "/shared")+mountPowersTOML+c.ns)
			cmd := exec.Command("unshare", "-m", "--propagation", "unchanged", "/bin/sh", "-c", propagationScript, "sh", out, sandboxBin, prof, shared)
			cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/root"}
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			probe, _ := os.ReadFile(filepath.Join(out, "probe"))
			if !strings.Contains(string(probe), "mount_tmpfs=/shared/m ret=0") {
				t.Fatalf("the payload could not mount, so propagation was not tested:\n%s", probe)
			}
			before := mountPointsIn(t, filepath.Join(out, "before"))
			for _, when := range []string{"during", "after"} {
				got := mountPointsIn(t, filepath.Join(out, when))
				if strings.Join(got, "\n") != strings.Join(before, "\n") {
					t.Errorf("mounts propagated to the shared host tree (%s the run):\nbefore: %v\n%s: %v", when, before, when, got)
				}
			}
		})
	}
}

func mountPointsIn(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			out = append(out, f[4])
		}
	}
	return out
}

// TestF10HostSysctlsReadOnly writes a host sysctl (its own value back, so a
// successful attack changes nothing) from root-mode sandboxes with and
// without a user namespace.
func TestF10HostSysctlsReadOnly(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "writing host sysctls is a root-mode attack")
	const sysctl = "/proc/sys/kernel/core_uses_pid"
	before, err := os.ReadFile(sysctl)
	if err != nil {
		t.Fatal(err)
	}
	// Without a user namespace the payload is host root, which a root
	// launch allows only with identity.host_root (R1): the worst case.
	for _, c := range []struct{ name, ns string }{
		{"no user namespace", "\n[namespaces]\nuser = false\n[identity]\nhost_root = true\n"},
		{"user namespace", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runProbes(t, asRoot, attackProfile(t, c.ns), "rewrite="+sysctl, "openw="+sysctl)
			for _, p := range []string{"rewrite=" + sysctl, "openw=" + sysctl} {
				if o := res[p]; o.ok() {
					t.Errorf("%s: a host sysctl is writable from inside", o)
				}
			}
		})
	}
	if after, _ := os.ReadFile(sysctl); string(after) != string(before) {
		t.Fatalf("%s changed from %q to %q", sysctl, before, after)
	}
}

// maskedPaths are what a payload must not read (F11).
var maskedPaths = []string{"/proc/kcore", "/proc/keys", "/proc/sysrq-trigger", "/proc/timer_list", "/sys/firmware"}

// TestF11MaskedPaths reads kernel interfaces that leak host information,
// in the minimal profile and in one that binds the host's /sys: each is
// missing, denied, or empty.
func TestF11MaskedPaths(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range []struct{ name, extra string }{
			{"minimal", ""},
			{"with /sys", bindTOML("ro-bind", "/sys", "/sys")},
		} {
			var probes []string
			for _, p := range maskedPaths {
				probes = append(probes, "inspect="+p, "openw="+p)
			}
			prof := attackProfile(t, c.extra)
			res := runProbes(t, m, prof, probes...)
			for _, p := range maskedPaths {
				o := res["inspect="+p]
				switch {
				case !o.ok():
				case o.detail["read"] == "0":
				case strings.HasPrefix(o.detail["mode"], "4"):
					// A directory: it must be empty.
					r := sandbox(t, m, "-p", prof, "--", "/bin/ls", "-A", p)
					if strings.TrimSpace(r.stdout) != "" {
						t.Errorf("%s: %s lists %q", c.name, p, r.stdout)
					}
				default:
					t.Errorf("%s: %s is readable: %s", c.name, p, o)
				}
				if w := res["openw="+p]; w.ok() && w.detail["fs"] == "9fa0" {
					t.Errorf("%s: %s is open for writing on procfs: %s", c.name, p, w)
				}
			}
		}
	})
}

// allowedDev is the minimal /dev of the checklist (F14).
var allowedDev = map[string]bool{"null": true, "zero": true, "full": true, "random": true, "urandom": true,
	"tty": true, "pts": true, "ptmx": true, "shm": true, "fd": true, "stdin": true, "stdout": true,
	"stderr": true}

// TestF14MinimalDev lists /dev and creates device nodes inside.
func TestF14MinimalDev(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		out := mustRun(t, m, "/bin/ls", "-A", "/dev")
		for _, name := range strings.Fields(out) {
			if !allowedDev[name] {
				t.Errorf("/dev holds %s, beyond the minimal set", name)
			}
		}
		for _, want := range []string{"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm"} {
			if !strings.Contains(" "+strings.Join(strings.Fields(out), " ")+" ", " "+want+" ") {
				t.Errorf("/dev lacks %s: %q", want, out)
			}
		}
		res := runProbes(t, m, attackProfile(t, ""), "mknod=/dev/evil", "mknod=/tmp/evil")
		for _, p := range []string{"mknod=/dev/evil", "mknod=/tmp/evil"} {
			if res[p].ok() {
				t.Errorf("%s: a device node was created", res[p])
			}
		}
	})
}

// TestF16WorkingDirectoryInsideRoot launches from a host directory that is
// not in the sandbox, asks for a working directory through /proc/self/fd
// (runc CVE-2024-21626) with extra host descriptors open, and through a
// symlink to a host path: the payload's directory is always inside its root,
// or the launch fails with an error.
func TestF16WorkingDirectoryInsideRoot(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		hostDir := sharedDir(t, 0o755)
		os.WriteFile(filepath.Join(hostDir, "host-marker"), nil, 0o644)
		const show = "readlink /proc/self/cwd; pwd -P || echo GETCWD-FAILED; ls -A"
		check := func(name string, r result) {
			t.Helper()
			if r.code == 125 {
				if strings.TrimSpace(r.stderr) == "" {
					t.Errorf("%s: refused without an error message", name)
				}
				return
			}
			if r.code != 0 {
				t.Errorf("%s: %s", name, r)
				return
			}
			if strings.Contains(r.stdout, "unreachable") || strings.Contains(r.stdout, "GETCWD-FAILED") || strings.Contains(r.stdout, "host-marker") {
				t.Errorf("%s: the working directory is outside the sandbox:\n%s", name, r)
			}
		}

		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.Dir = hostDir }, "-p", "minimal", "--", "/bin/sh", "-c", show)
		check("caller's directory not in the sandbox", r)

		hostFD, err := os.Open(hostDir)
		if err != nil {
			t.Fatal(err)
		}
		defer hostFD.Close()
		for fd := 3; fd <= 12; fd++ {
			prof := secProfile(t, "cwd.toml", fmt.Sprintf("extends = [\"minimal\"]\n\n[filesystem]\ncwd = \"/proc/self/fd/%d\"\n", fd))
			r := sandboxCmd(t, m, func(c *exec.Cmd) { c.ExtraFiles = []*os.File{hostFD, hostFD, hostFD} },
				"-p", prof, "--", "/bin/sh", "-c", show)
			check(fmt.Sprintf("cwd /proc/self/fd/%d", fd), r)
		}

		d := sharedDir(t, 0o755)
		os.Symlink(hostDir, filepath.Join(d, "evil"))
		prof := secProfile(t, "cwd.toml", "extends = [\"minimal\"]\n"+bindTOML("ro-bind", d, "/data")+"\n[filesystem]\ncwd = \"/data/evil\"\n")
		check("cwd through a symlink to a host path", sandbox(t, m, "-p", prof, "--", "/bin/sh", "-c", show))
	})
}
