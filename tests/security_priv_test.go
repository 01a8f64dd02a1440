package tests

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Privilege rows of the security checklist: P1, P2, P4-P7. P1's default
// and kept-capability cases are TestPrivilegesDropped and
// TestKeptCapability; P3 is TestP3PrivilegesUnderGoThreads in
// security_stress_test.go.

// TestP1NoCapabilitiesWithoutUserNamespace checks the one case the other P1
// tests do not: a root launcher without a user namespace, whose payload is
// host root and must still hold no capability in any set.
func TestP1NoCapabilitiesWithoutUserNamespace(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "a sandbox without a user namespace needs a root launcher")
	// The payload is host root, which a root launch allows only with
	// identity.host_root (R1): the worst case.
	p := secProfile(t, "p1.toml", "extends = [\"minimal\"]\n\n[namespaces]\nuser = false\n\n[identity]\nhost_root = true\n")
	r := sandbox(t, asRoot, "-p", p, "--", "/bin/cat", "/proc/self/status")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, f := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if v := statusField(r.stdout, f); v != "0000000000000000" {
			t.Errorf("%s = %q, want no capabilities", f, v)
		}
	}
	if v := statusField(r.stdout, "NoNewPrivs"); v != "1" {
		t.Errorf("NoNewPrivs = %q, want 1", v)
	}
}

// privilegedCopies installs setuid-root and file-capability copies of the
// ids program in a directory of their own and returns it.
func privilegedCopies(t *testing.T) string {
	t.Helper()
	src := filepath.Join(attackPrograms(t), "ids")
	dir := sharedDir(t, 0o755)
	for _, name := range []string{"ids-setuid", "ids-fcaps"} {
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name)
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(out, in)
		in.Close()
		out.Close()
	}
	if err := os.Chmod(filepath.Join(dir, "ids-setuid"), 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	// security.capability, revision 2, effective: CAP_DAC_OVERRIDE,
	// CAP_NET_RAW and CAP_SYS_ADMIN permitted.
	caps := make([]byte, 20)
	binary.LittleEndian.PutUint32(caps[0:], 0x02000000|0x1)
	binary.LittleEndian.PutUint32(caps[4:], 1<<1|1<<13|1<<21)
	err := unix.Setxattr(filepath.Join(dir, "ids-fcaps"), "security.capability", caps, 0)
	requireOrSkip(t, err == nil, fmt.Sprintf("setting file capabilities on %s: %v", dir, err))
	return dir
}

// TestP2NoGainFromSetuidOrFileCaps runs setuid-root and file-capability
// programs inside: they gain neither ids nor capabilities, and
// NoNewPrivs is 1.
func TestP2NoGainFromSetuidOrFileCaps(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "installing setuid-root and file-capability programs needs root")
	dir := privilegedCopies(t)
	cases := []struct {
		name  string
		m     mode
		extra string
		uid   int
	}{
		{"root launcher, no user namespace, payload uid 65534", asRoot, "\n[namespaces]\nuser = false\n\n[identity]\nuid = 65534\ngid = 65534\n", nobody},
		{"root launcher, payload uid 65534 in a user namespace", asRoot, "\n[identity]\nuid = 65534\ngid = 65534\n", nobody},
		{"rootless", asRootless, "", nobody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prof := attackProfile(t, bindTOML("ro-bind", dir, "/priv")+c.extra)
			r := sandbox(t, c.m, "-p", prof, "--", "/bin/sh", "-c",
				"/priv/ids-setuid; /priv/ids-fcaps; grep NoNewPrivs /proc/self/status")
			if r.code != 0 {
				t.Fatal(r)
			}
			want := fmt.Sprintf("uid=%d,%d,%d gid=%d,%d,%d capeff=0000000000000000 capprm=0000000000000000", c.uid, c.uid, c.uid, c.uid, c.uid, c.uid)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != 3 {
				t.Fatalf("unexpected output: %s", r)
			}
			for i, name := range []string{"setuid root", "file capabilities"} {
				if lines[i] != want {
					t.Errorf("%s program: %q, want %q", name, lines[i], want)
				}
			}
			if !strings.HasSuffix(lines[2], "1") {
				t.Errorf("%q, want NoNewPrivs 1", lines[2])
			}
		})
	}
}

// TestP4GroupStillDenies gives the rootless caller a supplementary group
// that a file mode 0705 shuts out: the payload cannot drop the group to
// fall into "other" and read it.
func TestP4GroupStillDenies(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "creating a file owned by another group and dropping to an unprivileged user need root")
	const group = 4242
	withGroup := mode{name: "rootless with a supplementary group", cred: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{group}}}
	dir := sharedDir(t, 0o755)
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("TOPSECRET\n"), 0o600)
	os.Chown(secret, 0, group)
	os.Chmod(secret, 0o705)

	host := exec.Command("/bin/cat", secret)
	host.SysProcAttr = &syscall.SysProcAttr{Credential: withGroup.cred}
	if out, err := host.CombinedOutput(); err == nil {
		t.Fatalf("the premise fails: the caller can read the file on the host: %s", out)
	}

	prof := attackProfile(t, bindTOML("ro-bind", dir, "/p4"))
	r := sandbox(t, withGroup, "-p", prof, "--", "/bin/sh", "-c", "/attack/probe setgroups; cat /p4/secret; id")
	if strings.Contains(r.stdout, "TOPSECRET") {
		t.Fatalf("the file shut to the caller's group was read inside:\n%s", r)
	}
	if o := parseProbes(t, r.stdout)["setgroups"]; o.ok() {
		t.Errorf("setgroups succeeded rootless: %s", o)
	}
}

// TestP5LauncherBinaryUnreachable opens /proc/PID/exe for every process
// visible inside (runc CVE-2019-5736): if one of them is the launcher's
// binary on the host, the payload holds a handle to overwrite it once it
// stops running.
func TestP5LauncherBinaryUnreachable(t *testing.T) {
	var st unix.Stat_t
	if err := unix.Stat(sandboxBin, &st); err != nil {
		t.Fatal(err)
	}
	launcher := fmt.Sprintf("dev=%d:%d ino=%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	bothModes(t, func(t *testing.T, m mode) {
		r := sandbox(t, m, "-p", attackProfile(t, ""), "--", "/bin/sh", "-c",
			`exec /attack/probe $(for p in /proc/[0-9]*; do echo exe=${p#/proc/}; done)`)
		if r.code != 0 {
			t.Fatal(r)
		}
		res := parseProbes(t, r.stdout)
		if len(res) == 0 {
			t.Fatalf("no process inspected: %s", r)
		}
		for _, o := range res {
			if !o.ok() {
				continue
			}
			id := fmt.Sprintf("dev=%s ino=%s", o.detail["dev"], o.detail["ino"])
			if o.detail["write"] == "ok" {
				t.Errorf("%s: a binary of a process inside can be opened for writing", o)
			}
			sealed := false
			var seals int
			if _, err := fmt.Sscan(o.detail["seals"], &seals); err == nil && seals > 0 && seals&unix.F_SEAL_WRITE != 0 {
				sealed = true
			}
			if id == launcher && o.detail["read"] == "ok" && !sealed {
				t.Errorf("%s: the launcher's binary on the host is reachable from inside; it must be non-dumpable, invisible or a sealed copy", o)
			}
		}
	})
}

// allowedEnv are the names a payload of the minimal profile may see.
var allowedEnv = regexp.MustCompile(`^(PATH|HOME|USER|LOGNAME|SHELL|TERM|COLORTERM|LANG|LANGUAGE|LC_[A-Z_]+|TZ|NO_COLOR)$`)

// TestP6NoLauncherInternals reads, from inside, every visible process's
// environment, command line and descriptors: no variable outside the
// default set, no secret of the caller, no pipe or socket back to the
// launcher.
func TestP6NoLauncherInternals(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, line := range strings.Split(strings.TrimSpace(mustRun(t, m, "/usr/bin/env")), "\n") {
			name, _, _ := strings.Cut(line, "=")
			if !allowedEnv.MatchString(name) {
				t.Errorf("the payload's environment holds %q, outside the default set", line)
			}
		}
		out := mustRun(t, m, "/bin/sh", "-c", `for p in /proc/[0-9]*; do
  [ "${p#/proc/}" = "$$" ] && continue
  echo "== ${p#/proc/}"
  tr '\0' '\n' < $p/environ 2>&1
  tr '\0' ' ' < $p/cmdline; echo
  for f in $p/fd/*; do echo "fd ${f##*/} $(readlink $f 2>&1)"; done
done`)
		if strings.Contains(out, "do-not-leak") || strings.Contains(out, "SECRET_TOKEN") {
			t.Errorf("a caller's secret is readable inside:\n%s", out)
		}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[0] != "fd" || f[1] == "0" || f[1] == "1" || f[1] == "2" {
				continue
			}
			if strings.HasPrefix(f[2], "pipe:") || strings.HasPrefix(f[2], "socket:") {
				t.Errorf("a process inside holds %s, a channel to the launcher: %q", f[2], line)
			}
		}
		if strings.Contains(out, `"clone_flags"`) || strings.Contains(out, `"steps"`) {
			t.Errorf("the plan is readable inside:\n%s", out)
		}
	})
}

// TestP7NoHostKeyring gives the caller a session keyring of its own, as a
// login does, and looks for it inside: with the default filter keyctl
// fails; with keyctl allowed by the profile the session keyring inside
// must be another one (keyrings are not namespaced).
func TestP7NoHostKeyring(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range []struct{ name, extra string }{
			{"default filter", ""},
			{"keyctl allowed", "\n[seccomp.syscalls]\nkeyctl = \"allow\"\n"},
		} {
			prof := attackProfile(t, c.extra)
			cmd := exec.Command(filepath.Join(attackPrograms(t), "probe"), "with-session-keyring",
				sandboxBin, "-p", prof, "--", "/attack/probe", "keyctl", "inspect=/proc/keys")
			cmd.Dir = "/"
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.name, err, b)
			}
			var caller string
			for _, line := range strings.Split(string(b), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "caller-session-keyring" {
					caller = f[1]
				}
			}
			res := parseProbes(t, string(b))
			o, ok := res["keyctl"]
			if caller == "" || !ok {
				t.Fatalf("%s: unexpected output:\n%s", c.name, b)
			}
			if c.name == "default filter" && !o.deniedByFilter() {
				t.Errorf("%s: keyctl was not denied: %s", c.name, o)
			}
			if o.ok() && o.detail["keyring"] == caller {
				t.Errorf("%s: the payload's session keyring is the caller's (%s): %s", c.name, caller, o)
			}
			if k := res["inspect=/proc/keys"]; k.ok() && k.detail["read"] != "0" {
				t.Errorf("%s: /proc/keys lists keys inside: %s", c.name, k)
			}
		}
	})
}
