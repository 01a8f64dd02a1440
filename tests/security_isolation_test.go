package tests

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Isolation rows of the security checklist (I1-I8). TestNamespacesAreNew,
// TestOnlyLoopback, TestHostname and TestHostInvisible cover the plain
// cases; these tests attack.

// TestI1HostProcessesInvisible lists and signals processes from inside: only
// the sandbox's own are there, and neither the launcher nor the test
// process can be reached by its host pid.
func TestI1HostProcessesInvisible(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		self := os.Getpid()
		out := mustRun(t, m, "/bin/sh", "-c", fmt.Sprintf(
			"for p in /proc/[0-9]*; do echo PID ${p#/proc/} $(tr '\\0' ' ' < $p/cmdline); done; "+
				"ps -e -o pid=,comm= | sed 's/^/PS /'; "+
				"kill -0 %d 2>/dev/null && echo KILLED-\"HOST\"; true", self))
		var pids []int
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "PID" {
				pid, _ := strconv.Atoi(f[1])
				pids = append(pids, pid)
				if strings.Contains(line, sandboxBin) && pid != 1 {
					t.Errorf("the launcher is visible inside: %s", line)
				}
			}
		}
		if len(pids) == 0 || len(pids) > 6 {
			t.Errorf("expected only the sandbox's few processes, saw %d: %v\n%s", len(pids), pids, out)
		}
		for _, pid := range pids {
			if pid == self {
				t.Errorf("the test process (host pid %d) is visible inside", self)
			}
		}
		if strings.Contains(out, "KILLED-HOST") {
			t.Errorf("a host pid could be signalled from inside:\n%s", out)
		}
		if !strings.Contains(out, "PS ") {
			t.Errorf("ps -e listed nothing; the probe did not run:\n%s", out)
		}
	})
}

// hostVictim starts a host process running as nobody with a secret in its
// environment, the target of I2.
func hostVictim(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/sleep", "1000")
	cmd.Env = []string{"VICTIM_SECRET=do-not-leak"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

// TestI2NoPtraceOfHostProcesses runs, as root, a sandbox with neither a user
// nor a pid namespace whose payload has the uid of a host process, and
// attacks that process with ptrace and process_vm_readv. The launcher must
// refuse the profile or the calls must be denied.
func TestI2NoPtraceOfHostProcesses(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "a sandbox without a user namespace needs a root launcher")
	victim := hostVictim(t)
	prof := attackProfile(t, `
[namespaces]
user = false
pid = false

[identity]
uid = 65534
gid = 65534

[merge]
remove = { mount = ["/proc"] }
`)
	probes := []string{"ptrace_attach=" + strconv.Itoa(victim), "vm_read=" + strconv.Itoa(victim), "ptrace", "process_vm_readv", "process_vm_writev"}
	r := sandbox(t, asRoot, append([]string{"-p", prof, "--", "/attack/probe"}, probes...)...)
	if r.code == 125 {
		// Refusing the profile is a safe answer; it must say why.
		if !strings.Contains(r.stderr, "attack.toml") {
			t.Fatalf("profile refused without pointing at it:\n%s", r)
		}
		return
	}
	if r.code != 0 {
		t.Fatalf("probe run failed: %s", r)
	}
	res := parseProbes(t, r.stdout)
	for _, p := range probes[:2] {
		if o := res[p]; o.ok() || o.errno == "EFAULT" {
			t.Errorf("the payload reached a host process of its uid: %s", o)
		}
	}
	expectDenied(t, res, probes[2:]...)
}

// TestI3NoWayToHostNetwork connects from inside to a TCP listener on the
// host's 127.0.0.1 and to an abstract unix socket the host listens on: a
// new network namespace has neither.
func TestI3NoWayToHostNetwork(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		tcp, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer tcp.Close()
		name := fmt.Sprintf("sandbox-sec-%d-%s", os.Getpid(), m.name)
		unix, err := net.Listen("unix", "@"+name)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close()
		accepted := make(chan string, 2)
		for _, l := range []net.Listener{tcp, unix} {
			go func(l net.Listener) {
				if c, err := l.Accept(); err == nil {
					accepted <- l.Addr().String()
					c.Close()
				}
			}(l)
		}
		port := tcp.Addr().(*net.TCPAddr).Port
		tcpProbe, unixProbe := fmt.Sprintf("connect_tcp=%d", port), "connect_abstract="+name
		res := runProbes(t, m, attackProfile(t, ""), tcpProbe, unixProbe)
		for _, p := range []string{tcpProbe, unixProbe} {
			if res[p].ok() {
				t.Errorf("connected to the host from inside: %s", res[p])
			}
		}
		select {
		case a := <-accepted:
			t.Errorf("the host listener on %s accepted a connection from the sandbox", a)
		case <-time.After(100 * time.Millisecond):
		}
		out := mustRun(t, m, "/usr/sbin/ip", "-o", "link")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(lines[0], ": lo:") {
			t.Errorf("ip link inside shows more than lo:\n%s", out)
		}
	})
}

// TestI4HostIPCInvisible creates a message queue on the host and looks for
// it from inside.
func TestI4HostIPCInvisible(t *testing.T) {
	out, err := exec.Command("ipcmk", "-Q").CombinedOutput()
	requireOrSkip(t, err == nil, "ipcmk (util-linux) is needed to create a host message queue: "+string(out))
	id := regexp.MustCompile(`\d+`).FindString(string(out))
	if id == "" {
		t.Fatalf("ipcmk said %q", out)
	}
	defer exec.Command("ipcrm", "-q", id).Run()
	host, err := os.ReadFile("/proc/sysvipc/msg")
	if err != nil || !strings.Contains(string(host), " "+id+" ") {
		t.Fatalf("the queue %s is not in the host's /proc/sysvipc/msg (%v):\n%s", id, err, host)
	}
	bothModes(t, func(t *testing.T, m mode) {
		inside := mustRun(t, m, "/bin/sh", "-c", "cat /proc/sysvipc/msg; echo END; ipcs -q")
		table, listing, _ := strings.Cut(inside, "END\n")
		if n := len(strings.Split(strings.TrimSpace(table), "\n")); n != 1 {
			t.Errorf("message queues visible inside (want only the header of /proc/sysvipc/msg):\n%s", table)
		}
		if strings.Contains(listing, " "+id+" ") {
			t.Errorf("ipcs -q inside lists the host's queue %s:\n%s", id, listing)
		}
	})
}

// TestI5HostnameNeedsUTS checks that a hostname without a UTS namespace is a
// profile error, since in root mode it would rename the host. Setting it
// inside with the host unchanged is TestHostname.
func TestI5HostnameNeedsUTS(t *testing.T) {
	before, _ := os.Hostname()
	bothModes(t, func(t *testing.T, m mode) {
		p := secProfile(t, "uts.toml", "extends = [\"minimal\"]\nhostname = \"renamed-host\"\n\n[namespaces]\nuts = false\n")
		r := sandbox(t, m, "-p", p, "--", "/bin/sh", "-c", "echo RAN")
		if r.code != 125 || strings.Contains(r.stdout, "RAN") || !regexp.MustCompile(`uts\.toml:\d+:\d+`).MatchString(r.stderr) {
			t.Errorf("hostname without a uts namespace was not a positioned profile error:\n%s", r)
		}
	})
	if after, _ := os.Hostname(); after != before {
		t.Fatalf("the host was renamed from %q to %q", before, after)
	}
}

// declaredTargets returns the targets of the steps of a profile's plan, as
// `sandbox explain --json` shows them.
func declaredTargets(t *testing.T, prof string) []string {
	t.Helper()
	b, err := exec.Command(sandboxBin, "explain", prof, "--json").Output()
	if err != nil {
		t.Fatalf("sandbox explain %s: %v", prof, err)
	}
	var out struct {
		Plan struct {
			Steps []struct {
				Target string `json:"target"`
			} `json:"steps"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("sandbox explain %s --json: %v", prof, err)
	}
	var targets []string
	for _, s := range out.Plan.Steps {
		if s.Target != "" {
			targets = append(targets, s.Target)
		}
	}
	if len(targets) == 0 {
		t.Fatalf("sandbox explain %s --json shows no mount targets:\n%s", prof, b)
	}
	return targets
}

// TestI6OnlyDeclaredMounts reads the mount table inside: every mount point
// is the root, a target the plan declares, a submount the kernel carried
// along with a recursive bind of /usr, or inside /dev or /proc (their own
// devpts, shm and masks).
func TestI6OnlyDeclaredMounts(t *testing.T) {
	declared := append([]string{"/"}, declaredTargets(t, "minimal")...)
	bothModes(t, func(t *testing.T, m mode) {
		// Host submounts of /usr come along with the recursive bind.
		var usrSubs []string
		for _, mp := range mountPoints(t) {
			if strings.HasPrefix(mp, "/usr/") {
				usrSubs = append(usrSubs, mp)
			}
		}
		out := mustRun(t, m, "/bin/cat", "/proc/self/mountinfo")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 5 {
				continue
			}
			mp, root := f[4], f[3]
			ok := false
			for _, d := range append(declared, usrSubs...) {
				if mp == d || d == "/dev" && strings.HasPrefix(mp, "/dev/") || d == "/proc" && strings.HasPrefix(mp, "/proc/") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("undeclared mount inside: %s", line)
			}
			if strings.Contains(root, "oldroot") || strings.Contains(mp, "oldroot") || strings.Contains(line, filepath.Dir(sandboxBin)) {
				t.Errorf("a trace of the old root in the mount table: %s", line)
			}
		}
	})
}

// TestI7NestedUserNamespaces checks that user namespaces cannot be created
// inside by default, and can when the profile allows them.
func TestI7NestedUserNamespaces(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		deny := attackProfile(t, "")
		res := runProbes(t, m, deny, "unshare_user", "clone_newuser")
		for _, p := range []string{"unshare_user", "clone_newuser"} {
			if res[p].ok() {
				t.Errorf("default profile: %s created a user namespace", res[p])
			}
		}
		for _, args := range [][]string{{"-U", "true"}, {"-Ur", "true"}} {
			r := sandbox(t, m, append([]string{"-p", deny, "--", "/usr/bin/unshare"}, args...)...)
			if r.code == 0 {
				t.Errorf("default profile: unshare %s succeeded inside:\n%s", args[0], r)
			}
		}

		allow := attackProfile(t, "\n[process]\nnested_user_namespaces = true\n")
		res = runProbes(t, m, allow, "unshare_user")
		if !res["unshare_user"].ok() {
			t.Errorf("nested_user_namespaces = true: %s", res["unshare_user"])
		}
		// Not -Ur: mapping the host's root (root mode) into a nested
		// namespace needs CAP_SETFCAP, which the payload rightly lacks.
		if r := sandbox(t, m, "-p", allow, "--", "/usr/bin/unshare", "-U", "true"); r.code != 0 {
			t.Errorf("nested_user_namespaces = true: unshare -U failed:\n%s", r)
		}
	})
}

// TestI8IDMaps reads the id maps from inside and, through the payload's
// host pid, from the host: the payload's ids map to exactly the caller's,
// one id each, and setgroups is denied rootless.
func TestI8IDMaps(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		type idCase struct {
			name      string
			extra     string
			inUID     string
			outsideID string
		}
		// A root launch maps to the overflow id (R1), whatever the
		// payload's id inside; host root only with identity.host_root.
		cases := []idCase{
			{"caller's ids", "", strconv.Itoa(hostID(m)), strconv.Itoa(nobody)},
			{"root inside", "\n[identity]\nuid = 0\ngid = 0\n", "0", strconv.Itoa(nobody)},
		}
		if !m.rootless() {
			cases = append(cases, idCase{"host_root", "\n[identity]\nhost_root = true\n", "0", "0"})
		}
		for _, c := range cases {
			prof := attackProfile(t, c.extra)
			marker := fmt.Sprintf("i8-%s-%d", m.name, time.Now().UnixNano())
			cmd, out := startSandbox(t, m, "-p", prof, "--", "/bin/sh", "-c",
				"cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups | tr -s ' ' | sed 's/^ //'; /attack/probe setgroups; echo ready; sleep 30 # "+marker)
			var lines []string
			for {
				l := readLine(t, out)
				if l == "ready" {
					break
				}
				lines = append(lines, l)
			}
			pids := hostPIDsWithMarker(marker)
			var payload int
			for _, pid := range pids {
				if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(b)) == "sh" {
					payload = pid
				}
			}
			if payload == 0 {
				t.Fatalf("%s: payload not found on the host (pids %v)", c.name, pids)
			}
			for _, f := range []string{"uid_map", "gid_map"} {
				b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", payload, f))
				if err != nil {
					t.Fatal(err)
				}
				got := strings.Join(strings.Fields(string(b)), " ")
				want := c.inUID + " " + c.outsideID + " 1"
				if got != want {
					t.Errorf("%s: %s seen from the host is %q, want %q", c.name, f, got, want)
				}
			}
			inside := strings.Join(lines, "\n")
			if m.rootless() && !strings.Contains(inside, "deny") {
				t.Errorf("%s: setgroups is not denied rootless:\n%s", c.name, inside)
			}
			if strings.Contains(inside, "setgroups ret=0") {
				t.Errorf("%s: setgroups succeeded:\n%s", c.name, inside)
			}
			for _, l := range lines[:2] {
				if f := strings.Fields(l); len(f) != 3 || f[0] != c.inUID || f[2] != "1" {
					t.Errorf("%s: map seen inside %q, want one id, %s", c.name, l, c.inUID)
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
}

// hostID is the uid (= gid) a mode launches as.
func hostID(m mode) int {
	if m.rootless() {
		return nobody
	}
	return 0
}
