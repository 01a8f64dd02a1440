package tests

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Checklist R1 and R2: a sandbox that root starts never hands out host
// root, and nobody changes the host's device nodes from inside.

// requireRoot skips a test of a root launch unless the tests run as root.
func requireRoot(t *testing.T) {
	t.Helper()
	requireOrSkip(t, os.Geteuid() == 0, "a root launch needs the tests to run as root")
}

// hostOwner returns the host uid and gid of path.
func hostOwner(t *testing.T, path string) (uint32, uint32) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Uid, st.Gid
}

// asNobody runs a program on the host as uid and gid 65534, without
// groups, as a host user would run what a sandbox left behind.
func asNobody(t *testing.T, prog string) string {
	t.Helper()
	cmd := exec.Command(prog)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running %s as nobody: %v\n%s", prog, err, out)
	}
	return string(out)
}

// plantSetuid has the sandbox described by extra copy the ids program into
// the writable directory w and make it set-uid, as the payload of R1 does.
func plantSetuid(t *testing.T, extra string, w string) string {
	t.Helper()
	prof := attackProfile(t, bindTOML("bind", w, "/w")+extra)
	r := sandbox(t, asRoot, "-p", prof, "--", "/bin/sh", "-c", "cp /attack/ids /w/ids && chmod 4755 /w/ids && echo planted")
	if r.code != 0 || !strings.Contains(r.stdout, "planted") {
		t.Fatalf("the payload could not write its directory (the control): %s", r)
	}
	return filepath.Join(w, "ids")
}

// withRootGroups launches as root with host root's supplementary group 0,
// as a root shell has it (initgroups gives root its groups): the sandbox
// must not keep it.
func withRootGroups(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{0}}}
}

// TestR1RootPayloadOwnsNothing is the reproduction of R1: launched by root,
// the payload copies a program into a writable bind and makes it set-uid;
// the host then runs it as nobody. With identity.host_root (the control,
// which shows the attack works where it is allowed) that gives euid 0;
// by default the copy belongs to the unprivileged id and gives nothing.
func TestR1RootPayloadOwnsNothing(t *testing.T) {
	requireRoot(t)
	t.Run("host_root control", func(t *testing.T) {
		w := sharedDir(t, 0o777)
		prog := plantSetuid(t, "\n[identity]\nhost_root = true\n", w)
		if uid, _ := hostOwner(t, prog); uid != 0 {
			t.Fatalf("with identity.host_root the payload's file is owned by %d, want host root", uid)
		}
		if out := asNobody(t, prog); !strings.Contains(out, "uid=65534,0,0") {
			t.Fatalf("the control did not gain euid 0 (the test could not see the attack): %s", out)
		}
	})
	t.Run("default", func(t *testing.T) {
		w := sharedDir(t, 0o777)
		prog := plantSetuid(t, "", w)
		uid, gid := hostOwner(t, prog)
		if uid != nobody || gid != nobody {
			t.Fatalf("the payload's file is owned by %d:%d on the host, want the overflow id %d:%d", uid, gid, nobody, nobody)
		}
		if out := asNobody(t, prog); !strings.HasPrefix(out, "uid=65534,65534,65534 ") {
			t.Fatalf("the payload's set-uid file gave: %s", out)
		}
	})
}

// TestR1RootFilesAreNotThePayloads checks the other half of R1: host
// root's files in a writable bind are not the payload's, neither through
// its uid (a 0644 file) nor through root's groups (a 0660 file of group
// 0), while a file of its own it may write (the control).
func TestR1RootFilesAreNotThePayloads(t *testing.T) {
	requireRoot(t)
	w := sharedDir(t, 0o777)
	for name, mode := range map[string]os.FileMode{"rootfile": 0o644, "groupfile": 0o660} {
		p := filepath.Join(w, name)
		if err := os.WriteFile(p, []byte("host\n"), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	prof := attackProfile(t, bindTOML("bind", w, "/w"))
	probes := []string{"write=/w/own", "write=/w/rootfile", "write=/w/groupfile", "inspect=/w/groupfile", "chmod=/w/rootfile"}
	r := sandboxCmd(t, asRoot, withRootGroups, append([]string{"-p", prof, "--", "/attack/probe"}, probes...)...)
	if r.code != 0 {
		t.Fatalf("probe run failed: %s", r)
	}
	res := parseProbes(t, r.stdout)
	if o := res["write=/w/own"]; !o.ok() {
		t.Fatalf("the payload cannot write its own directory (the control): %s", o)
	}
	for _, p := range []string{"write=/w/rootfile", "write=/w/groupfile", "inspect=/w/groupfile"} {
		if o := res[p]; o.errno != "EACCES" {
			t.Errorf("%s, want EACCES: host root's file is the payload's", o)
		}
	}
	if o := res["chmod=/w/rootfile"]; o.errno != "EPERM" {
		t.Errorf("%s, want EPERM", o)
	}
	for _, name := range []string{"rootfile", "groupfile"} {
		if b, _ := os.ReadFile(filepath.Join(w, name)); string(b) != "host\n" {
			t.Errorf("host root's %s changed: %q", name, b)
		}
	}
}

// TestR1SudoMapsToTheCaller checks which unprivileged id a root launch
// maps to: the sudo caller's (SUDO_UID, SUDO_GID), the pkexec caller's
// (PKEXEC_UID and its group in /etc/passwd), else the overflow id; the
// same for a launch compiled afresh and one run from the plan cache.
func TestR1SudoMapsToTheCaller(t *testing.T) {
	requireRoot(t)
	pkUID, pkGID, pkOK := passwdEntryWithOwnGroup(t)
	cases := []struct {
		name     string
		env      []string
		uid, gid uint32
		skip     string
	}{
		{"no sudo", nil, nobody, nobody, ""},
		{"sudo", []string{"SUDO_UID=4321", "SUDO_GID=4322", "SUDO_USER=someone"}, 4321, 4322, ""},
		{"pkexec", []string{"PKEXEC_UID=" + strconv.Itoa(int(pkUID))}, pkUID, pkGID,
			"no user in /etc/passwd has a primary group other than its uid and 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				requireOrSkip(t, pkOK, tc.skip)
			}
			w := sharedDir(t, 0o777)
			prof := attackProfile(t, bindTOML("bind", w, "/w"))
			// A plan compiled from a file changed within the last
			// second is not cached.
			settle(t, prof)
			c := newCacheRun(t, asRoot)
			c.env = tc.env
			script := `n=$(ls /w | wc -l); : > /w/f$n; grep -E '^Groups' /proc/self/status`
			setup := func(cmd *exec.Cmd) {
				c.setup(cmd)
				withRootGroups(cmd)
			}
			cold := sandboxCmd(t, asRoot, setup, "-p", prof, "--", "/bin/sh", "-c", script)
			wantCold(t, cold)
			hot := sandboxCmd(t, asRoot, setup, "-p", prof, "--", "/bin/sh", "-c", script)
			wantCache(t, hot, "hit")
			for i, r := range []result{cold, hot} {
				if r.code != 0 {
					t.Fatalf("run %d: %s", i, r)
				}
				// Host root's supplementary groups are dropped.
				if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.stdout), "Groups:")) != "" {
					t.Errorf("run %d: the payload keeps supplementary groups: %q", i, r.stdout)
				}
				uid, gid := hostOwner(t, filepath.Join(w, "f"+strconv.Itoa(i)))
				if uid != tc.uid || gid != tc.gid {
					t.Errorf("run %d (%s): the payload's file is owned by %d:%d, want %d:%d", i, cacheSaid(r.stderr), uid, gid, tc.uid, tc.gid)
				}
			}
		})
	}
}

// passwdEntryWithOwnGroup finds a user whose primary group differs from
// its uid and is not 0 (games:x:5:60 on Debian), to tell the group pkexec's
// caller maps to from the overflow group and from its uid.
func passwdEntryWithOwnGroup(t *testing.T) (uint32, uint32, bool) {
	t.Helper()
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Split(sc.Text(), ":")
		if len(fl) < 4 {
			continue
		}
		u, err1 := strconv.ParseUint(fl[2], 10, 32)
		g, err2 := strconv.ParseUint(fl[3], 10, 32)
		if err1 == nil && err2 == nil && u != 0 && g != 0 && u != g && g != nobody {
			return uint32(u), uint32(g), true
		}
	}
	return 0, 0, false
}

// TestR1HostRootIsALoosening checks that identity.host_root, the only way
// back to host root, is shown by explain (text and JSON) and check.
func TestR1HostRootIsALoosening(t *testing.T) {
	requireRoot(t)
	prof := secProfile(t, "hr.toml", "extends = [\"minimal\"]\n[identity]\nhost_root = true\n")
	const line = "LOOSENED: a root launch maps the sandbox's ids to host root"
	if r := sandbox(t, asRoot, "explain", prof); r.code != 0 || !strings.Contains(r.stdout, line) {
		t.Errorf("explain does not show host_root as loosened:\n%s", r)
	}
	if r := sandbox(t, asRoot, "check", prof); r.code != 0 || !strings.Contains(r.stdout, line) {
		t.Errorf("check does not mention host_root:\n%s", r)
	}
	r := sandbox(t, asRoot, "explain", "--json", prof)
	var out struct {
		Loosened []struct{ Key, Text string } `json:"loosened"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("explain --json: %v\n%s", err, r)
	}
	found := false
	for _, l := range out.Loosened {
		found = found || strings.HasPrefix(l.Text, strings.TrimPrefix(line, "LOOSENED: "))
	}
	if !found {
		t.Errorf("explain --json loosened = %q, want the host_root line", out.Loosened)
	}
	// Without the key nothing says host root, and the ids line says
	// where they map.
	r = sandbox(t, asRoot, "explain", "minimal")
	if strings.Contains(r.stdout, line) || !strings.Contains(r.stdout, "-> host 65534") {
		t.Errorf("explain minimal as root:\n%s", r.stdout)
	}
}

// devNodes are the nodes the dev step binds from the host.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

// nodeState is what of a host node must not change.
type nodeState struct {
	mode, uid, gid uint32
	mtime, ctime   syscall.Timespec
}

func statNode(t *testing.T, path string) nodeState {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return nodeState{st.Mode, st.Uid, st.Gid, st.Mtim, st.Ctim}
}

// restoreNode puts a host node back as it was, should a failed defence
// have let the payload change it.
func restoreNode(t *testing.T, path string, was nodeState) {
	t.Cleanup(func() {
		if now := statNode(t, path); now.mode != was.mode || now.uid != was.uid || now.gid != was.gid {
			os.Chown(path, int(was.uid), int(was.gid))
			os.Chmod(path, os.FileMode(was.mode&0o7777))
		}
	})
}

// nodeAttacks are the metadata changes R2 tries on each node.
func nodeAttacks(path string) []string {
	return []string{"chmod=" + path, "chown=" + path, "utimes=" + path, "setxattr=" + path}
}

// TestR2HostDeviceNodes tries to change every /dev node the sandbox binds
// from the host: chmod, chown, utimes (touch) and setxattr fail with
// EROFS, the host's node is unchanged (ctime included), and the nodes
// still work as devices. As root it is tried with identity.host_root too,
// where the payload is the nodes' owner.
func TestR2HostDeviceNodes(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		profiles := map[string]string{"default": ""}
		if !m.rootless() {
			profiles["host_root"] = "\n[identity]\nhost_root = true\n"
		}
		for name, extra := range profiles {
			t.Run(name, func(t *testing.T) {
				prof := attackProfile(t, extra)
				before := map[string]nodeState{}
				probes := []string{"write=/dev/null", "write=/dev/zero"}
				for _, n := range devNodes {
					before[n] = statNode(t, "/dev/"+n)
					restoreNode(t, "/dev/"+n, before[n])
					probes = append(probes, nodeAttacks("/dev/"+n)...)
				}
				res := runProbes(t, m, prof, probes...)
				for _, p := range probes[:2] {
					if o := res[p]; !o.ok() {
						t.Errorf("%s: the device does not work (the control)", o)
					}
				}
				for _, p := range probes[2:] {
					if o := res[p]; o.errno != "EROFS" {
						t.Errorf("%s, want EROFS", o)
					}
				}
				for _, n := range devNodes {
					if now := statNode(t, "/dev/"+n); now != before[n] {
						t.Errorf("the host's /dev/%s changed: %+v, was %+v", n, now, before[n])
					}
				}
			})
		}
	})
}

// TestR2DevBindNodes checks a profile's dev-bind: the device nodes in it
// work but cannot be changed (EROFS), even one the payload owns on the
// host; with writable = true (the control, a loosening explain shows)
// the payload may change its own node.
func TestR2DevBindNodes(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		d := sharedDir(t, 0o755)
		node := filepath.Join(d, "null")
		if err := syscall.Mknod(node, syscall.S_IFCHR|0o666, int(1<<8|3)); err != nil {
			requireOrSkip(t, false, "cannot make a device node for the test: "+err.Error())
		}
		// Owned by the id the payload is on the host in both modes,
		// so that only the read-only bind stops the change.
		if err := os.Chown(node, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		os.Chmod(node, 0o666)
		devBind := "\n[[mount]]\ntype = \"dev-bind\"\nsource = \"" + d + "\"\ntarget = \"/devs\"\n"
		before := statNode(t, node)
		probes := append([]string{"write=/devs/null", "write=/devs/new"}, nodeAttacks("/devs/null")...)
		res := runProbes(t, m, attackProfile(t, devBind), probes...)
		if o := res["write=/devs/null"]; !o.ok() {
			t.Errorf("%s: the node in a dev-bind does not work", o)
		}
		for _, p := range probes[1:] {
			if o := res[p]; o.errno != "EROFS" {
				t.Errorf("%s, want EROFS", o)
			}
		}
		if now := statNode(t, node); now != before {
			t.Errorf("the host's node changed: %+v, was %+v", now, before)
		}

		writable := attackProfile(t, devBind+"writable = true\n")
		if r := sandbox(t, m, "explain", writable); !strings.Contains(r.stdout, "LOOSENED: host path "+d+" is writable at /devs, and the host's device nodes in it can be changed") {
			t.Errorf("explain does not show writable = true as loosened:\n%s", r)
		}
		if o := runProbes(t, m, writable, "chmod=/devs/null")["chmod=/devs/null"]; !o.ok() {
			t.Errorf("%s: with writable = true the payload cannot change its own node (the control)", o)
		}
	})
}
