package tests

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// instanceEnv is the environment a mode's launches keep their records
// under: root uses /run/sandbox/instances, the real place; the
// unprivileged user gets a runtime directory of its own, as a login
// session would give it.
func instanceEnv(t *testing.T, m mode) []string {
	t.Helper()
	if !m.rootless() {
		return nil
	}
	dir, err := os.MkdirTemp("", "sandbox-it-runtime-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o700)
	return []string{"XDG_RUNTIME_DIR=" + dir}
}

// instanceDir is where env's launches write their records.
func instanceDir(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_RUNTIME_DIR="); ok {
			return filepath.Join(v, "sandbox", "instances")
		}
	}
	return "/run/sandbox/instances"
}

// sandboxEnv runs the binary in mode m with env added.
func sandboxEnv(t *testing.T, m mode, env []string, args ...string) result {
	t.Helper()
	return sandboxCmd(t, m, func(c *exec.Cmd) { c.Env = append(c.Env, env...) }, args...)
}

// startInstance starts a sandbox in the background and returns it once
// its payload printed "ready".
func startInstance(t *testing.T, m mode, env []string, args ...string) *exec.Cmd {
	t.Helper()
	return startInstanceIn(t, m, "/", env, args...)
}

// startInstanceIn is startInstance started from the directory dir.
func startInstanceIn(t *testing.T, m mode, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(sandboxBin, args...)
	cmd.Dir = dir
	if m.rootless() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TERM=dumb"}, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- strings.TrimSpace(line) == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("sandbox %q did not start", args)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("sandbox %q did not print ready within 30 s", args)
	}
	return cmd
}

// psEntry is one object of `sandbox ps --json`.
type psEntry struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Profile   string   `json:"profile"`
	PID       int      `json:"pid"`
	UID       int      `json:"uid"`
	Uptime    float64  `json:"uptime_seconds"`
	Command   []string `json:"command"`
	Processes int      `json:"processes"`
	Memory    uint64   `json:"memory_bytes"`
}

func psJSON(t *testing.T, m mode, env []string) []psEntry {
	t.Helper()
	r := sandboxEnv(t, m, env, "ps", "--json")
	if r.code != 0 {
		t.Fatalf("sandbox ps --json: %s", r)
	}
	var out []psEntry
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("sandbox ps --json is not JSON: %v\n%s", err, r)
	}
	return out
}

func psFind(list []psEntry, name string) (psEntry, bool) {
	for _, e := range list {
		if e.Name == name {
			return e, true
		}
	}
	return psEntry{}, false
}

// uniqueName keeps parallel runs of the tests (and the two modes) apart in
// root's shared record directory.
func uniqueName(prefix string, m mode) string {
	return fmt.Sprintf("%s-%s-%d", prefix, m.name, time.Now().UnixNano()%1e9)
}

// TestInstancePs: ps lists a running sandbox with its profile, command,
// processes and memory, and forgets it once it ended; a record whose pid
// is gone, or is alive but another process (a reused pid: a live pid
// with another start time), is never listed and is pruned.
func TestInstancePs(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("ps", m)
		cmd := startInstance(t, m, env, "--name", name, "-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60")
		e, ok := psFind(psJSON(t, m, env), name)
		if !ok {
			t.Fatalf("sandbox ps does not list the running sandbox %s", name)
		}
		if e.Profile != "minimal" || strings.Join(e.Command, " ") != "sh -c echo ready; exec sleep 60" ||
			e.PID <= 0 || e.Processes < 1 || e.Memory == 0 || len(e.ID) != 12 {
			t.Errorf("ps entry = %+v, want profile minimal, the command, a pid, processes and memory", e)
		}
		table := sandboxEnv(t, m, env, "ps")
		if !strings.Contains(table.stdout, e.ID) || !strings.Contains(table.stdout, name) ||
			!strings.HasPrefix(table.stdout, "ID") {
			t.Errorf("sandbox ps table lacks the instance:\n%s", table)
		}

		// Fake records: one with a dead pid, one with a live pid (this
		// test's) but another start time, as after pid reuse.
		dir := instanceDir(env)
		dead := exec.Command("true")
		dead.Run()
		fakes := map[string]string{
			"dead00000001": fmt.Sprintf("%d\x00123", dead.Process.Pid),
			"reused000001": fmt.Sprintf("%d\x001", os.Getpid()),
		}
		if m.rootless() {
			// A user's record naming another user's process (root's,
			// this test's) with its true start time: root's `stop`
			// must never be pointed at it.
			st, _ := os.ReadFile("/proc/self/stat")
			f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
			fakes["foreign00001"] = fmt.Sprintf("%d\x00%s", os.Getpid(), f[19])
		}
		for id, pidStart := range fakes {
			rec := "sandbox-instance-1\x00" + id + "\x00" + name + "-" + id + "\x00" + pidStart + "\x001\x00-p\x00minimal\x00true\x00"
			if err := os.WriteFile(filepath.Join(dir, id), []byte(rec), 0o600); err != nil {
				t.Fatal(err)
			}
			if m.rootless() {
				os.Chown(filepath.Join(dir, id), nobody, nobody)
			}
		}
		list := psJSON(t, m, env)
		for id := range fakes {
			if _, ok := psFind(list, name+"-"+id); ok {
				t.Errorf("ps lists the stale record %s", id)
			}
			if _, err := os.Stat(filepath.Join(dir, id)); err == nil {
				t.Errorf("the stale record %s was not pruned", id)
			}
		}

		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if _, ok := psFind(psJSON(t, m, env), name); ok {
			t.Errorf("ps still lists %s after it ended", name)
		}
		if _, err := os.Stat(filepath.Join(dir, e.ID)); err == nil {
			t.Errorf("the record of %s is left after it ended", e.ID)
		}
	})
}

// TestInstanceCachedLaunchRecorded: a launch that runs from the plan
// cache (before Go starts, launcher/fast.c) is recorded too.
func TestInstanceCachedLaunchRecorded(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := append(instanceEnv(t, m), "SANDBOX_PLAN_CACHE=verbose")
		marker := uniqueName("cached", m)
		args := []string{"-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60", marker}
		// Twice: the first run stores the plan, the second runs it.
		first := startInstance(t, m, env, args...)
		first.Process.Signal(syscall.SIGTERM)
		first.Wait()
		cmd := exec.Command(sandboxBin, args...)
		cmd.Dir = "/"
		if m.rootless() {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
		}
		cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TERM=dumb"}, env...)
		out, _ := cmd.StdoutPipe()
		errf, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		bufio.NewReader(out).ReadString('\n')
		line, _ := bufio.NewReader(errf).ReadString('\n')
		requireOrSkip(t, strings.Contains(line, "plan cache: hit"),
			fmt.Sprintf("the second launch did not run from the plan cache (%q)", line))
		found := false
		for _, e := range psJSON(t, m, env) {
			if len(e.Command) > 0 && e.Command[len(e.Command)-1] == marker {
				found = e.Profile == "minimal" && e.PID > 0
			}
		}
		if !found {
			t.Errorf("ps does not list the launch that ran from the plan cache")
		}
	})
}

// TestInstanceNameClash: a second sandbox with a running one's name is
// refused before anything starts.
func TestInstanceNameClash(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("clash", m)
		startInstance(t, m, env, "--name", name, "-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60")
		r := sandboxEnv(t, m, env, "--name", name, "-p", "minimal", "--", "echo", "RAN")
		if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, "already has this name") {
			t.Errorf("a second sandbox named %s: want exit 125 before the payload runs, got %s", name, r)
		}
		// The control: another name runs.
		if r := sandboxEnv(t, m, env, "--name", name+"-b", "-p", "minimal", "--", "echo", "RAN"); r.code != 0 || !strings.Contains(r.stdout, "RAN") {
			t.Errorf("a sandbox with a free name: %s", r)
		}
	})
}

// TestInstanceStop: stop ends a payload that ignores SIGTERM, with SIGKILL
// after the timeout, and returns once nothing of it is left.
func TestInstanceStop(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("stop", m)
		cmd := startInstance(t, m, env, "--name", name, "-p", "minimal", "--", "sh", "-c",
			`trap "" TERM; echo ready; while :; do sleep 1; done`)
		e, ok := psFind(psJSON(t, m, env), name)
		if !ok {
			t.Fatalf("ps does not list %s", name)
		}
		start := time.Now()
		r := sandboxEnv(t, m, env, "stop", name, "--timeout", "1")
		if r.code != 0 || !strings.Contains(r.stdout, "SIGTERM") || !strings.Contains(r.stdout, "SIGKILL") ||
			!strings.Contains(r.stdout, "ended") {
			t.Fatalf("sandbox stop %s: %s", name, r)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("stop returned after %v, before its 1 s timeout", d)
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(e.PID)); err == nil {
			if st, _ := os.ReadFile("/proc/" + strconv.Itoa(e.PID) + "/stat"); !strings.Contains(string(st), ") Z") {
				t.Errorf("the sandbox's pid %d still runs after stop", e.PID)
			}
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the launcher did not end after stop")
		}
		if r := sandboxEnv(t, m, env, "stop", name); r.code != 125 || !strings.Contains(r.stderr, "no running sandbox") {
			t.Errorf("stop of an ended sandbox: %s", r)
		}
	})
}

// TestInstanceStatusFD: --status-fd writes a JSON line at the start (the
// instance, the child pid, the namespaces) and one at the end (the exit
// code), and the descriptor does not reach the payload.
func TestInstanceStatusFD(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		rd, wr, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r := sandboxCmd(t, m, func(c *exec.Cmd) {
			c.Env = append(c.Env, env...)
			c.ExtraFiles = []*os.File{wr}
		}, "--status-fd", "3", "-p", "minimal", "--", "sh", "-c", "test -e /proc/self/fd/3 && echo LEAKED; exit 7")
		wr.Close()
		if r.code != 7 || strings.Contains(r.stdout, "LEAKED") {
			t.Fatalf("launch with --status-fd: %s", r)
		}
		var lines []map[string]any
		sc := bufio.NewScanner(rd)
		for sc.Scan() {
			var v map[string]any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Fatalf("status line %q is not JSON: %v", sc.Text(), err)
			}
			lines = append(lines, v)
		}
		rd.Close()
		if len(lines) != 2 {
			t.Fatalf("status stream: want 2 lines, got %v", lines)
		}
		first, last := lines[0], lines[1]
		ns, _ := first["namespaces"].(map[string]any)
		if id, _ := first["instance"].(string); len(id) != 12 {
			t.Errorf("first status line has no instance id: %v", first)
		}
		if pid, _ := first["child_pid"].(float64); pid <= 0 || ns["pid"] == nil || ns["mnt"] == nil || ns["user"] == nil {
			t.Errorf("first status line lacks the child pid or the namespaces: %v", first)
		}
		if code, ok := last["exit_code"].(float64); !ok || code != 7 {
			t.Errorf("last status line = %v, want exit_code 7", last)
		}
	})
}

// TestInstancePsOwnOnly: an unprivileged user's ps does not list root's
// sandboxes, and cannot stop them.
func TestInstancePsOwnOnly(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "a root sandbox next to an unprivileged user's ps needs the tests to run as root")
	name := uniqueName("own", asRoot)
	startInstance(t, asRoot, nil, "--name", name, "-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60")
	if _, ok := psFind(psJSON(t, asRoot, nil), name); !ok {
		t.Fatalf("root's ps does not list %s", name)
	}
	env := instanceEnv(t, asRootless)
	if _, ok := psFind(psJSON(t, asRootless, env), name); ok {
		t.Errorf("an unprivileged user's ps lists root's sandbox %s", name)
	}
	if r := sandboxEnv(t, asRootless, env, "stop", name); r.code != 125 {
		t.Errorf("an unprivileged user stopped root's sandbox: %s", r)
	}
	if _, ok := psFind(psJSON(t, asRoot, nil), name); !ok {
		t.Errorf("root's sandbox %s is gone after another user's stop", name)
	}
}

// enterPayload is the payload of the enter tests: it writes down what it
// sees of itself in the sandbox's own /tmp, which an entered command
// shares, and waits.
const enterPayload = `st() { grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; }
st > /tmp/p.status; hostname > /tmp/p.host
cut -d' ' -f5 /proc/self/mountinfo | sort > /tmp/p.mounts
cut -d: -f1 /proc/net/dev | tr -d ' ' | sort > /tmp/p.net
echo $$ > /tmp/p.pid
for n in mnt net uts ipc pid user cgroup time; do echo "$n $(readlink /proc/self/ns/$n)"; done > /tmp/p.ns
echo ready; exec sleep 120`

// enterCheck runs inside `sandbox enter`: it compares what it sees with
// what the payload saw (the hostname, the mount points, the network
// interfaces, the payload's pid), and its own Cap*, NoNewPrivs and
// Seccomp lines with the payload's.
const enterCheck = `st() { grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; }
[ -s /tmp/p.status ] || echo "DIFF no payload record in /tmp"
[ "$(st)" = "$(cat /tmp/p.status)" ] || printf 'DIFF status\n%s\n--\n%s\n' "$(st)" "$(cat /tmp/p.status)"
[ "$(hostname)" = "$(cat /tmp/p.host)" ] || echo "DIFF hostname $(hostname)"
[ "$(cut -d' ' -f5 /proc/self/mountinfo | sort)" = "$(cat /tmp/p.mounts)" ] || echo "DIFF mounts"
[ "$(cut -d: -f1 /proc/net/dev | tr -d ' ' | sort)" = "$(cat /tmp/p.net)" ] || echo "DIFF network"
[ "$(cat /proc/$(cat /tmp/p.pid)/comm)" = sleep ] || echo "DIFF the payload's pid is not visible"
# Each side reads its own links: under Landlock the entered command is in
# a domain of its own, a sibling of the payload's, and may not inspect it.
for n in mnt net uts ipc pid user cgroup time; do
  [ "$n $(readlink /proc/self/ns/$n)" = "$(grep "^$n " /tmp/p.ns)" ] || echo "DIFF ns $n"
done
echo "seccomp=$(grep '^Seccomp:' /proc/self/status | tr -d '\t')"
echo END`

// TestInstanceEnter: a command run with `sandbox enter` is in all the
// payload's namespaces (the same hostname, mounts, pids and network), has
// its capabilities, no_new_privs and seccomp mode, holds no descriptor
// but 0-2 (the caller's others stay out), and its exit code passes
// through.
func TestInstanceEnter(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("enter", m)
		startInstance(t, m, env, "--name", name, "-p", attackProfile(t, ""), "--", "sh", "-c", enterPayload)
		r := sandboxEnv(t, m, env, "enter", name, "--", "sh", "-c", enterCheck)
		if r.code != 0 || !strings.Contains(r.stdout, "END") {
			t.Fatalf("sandbox enter: %s", r)
		}
		if strings.Contains(r.stdout, "DIFF") {
			t.Errorf("the entered command differs from the payload:\n%s", r.stdout)
		}
		if !strings.Contains(r.stdout, "seccomp=Seccomp:2") {
			t.Errorf("the entered command is not under a seccomp filter:\n%s", r.stdout)
		}
		// The caller's descriptors 3, 7 and 9 stay out.
		r = sandboxCmd(t, m, func(c *exec.Cmd) {
			c.Env = append(c.Env, env...)
			withCallerFDs(t)(c)
		}, "enter", name, "--", "/attack/probe", "fds")
		if fds := fdsInside(r.stdout); r.code != 0 || len(fds) != 3 || fds["0"] == "" || fds["1"] == "" || fds["2"] == "" {
			t.Errorf("the entered command holds descriptors other than 0-2: %v\n%s", fds, r)
		}
		// The exit code is the command's, as for a launch; 127 for a
		// command that is not there.
		if r := sandboxEnv(t, m, env, "enter", name, "--", "sh", "-c", "exit 9"); r.code != 9 {
			t.Errorf("enter's exit code: %s", r)
		}
		if r := sandboxEnv(t, m, env, "enter", name, "--", "sh", "-c", "kill -TERM $$"); r.code != 128+15 {
			t.Errorf("enter's exit code after a signal: %s", r)
		}
		if r := sandboxEnv(t, m, env, "enter", name, "--", "no-such-command"); r.code != 127 {
			t.Errorf("enter of a missing command: %s", r)
		}
		// Without a command: the profile's shell, with stdin.
		r = sandboxCmd(t, m, func(c *exec.Cmd) {
			c.Env = append(c.Env, env...)
			c.Env = append(c.Env, "SHELL=/bin/sh")
			c.Stdin = strings.NewReader("echo in-shell $(cat /tmp/p.pid)\n")
		}, "enter", name)
		if r.code != 0 || !strings.Contains(r.stdout, "in-shell ") {
			t.Errorf("enter without a command: %s", r)
		}
	})
}

// TestInstanceEnterErrors: no such sandbox, another user's sandbox, and a
// record whose sandbox has ended are each named as such.
func TestInstanceEnterErrors(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("enter-err", m)
		startInstance(t, m, env, "--name", name, "-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60")
		r := sandboxEnv(t, m, env, "enter", name+"-none", "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "no running sandbox") {
			t.Errorf("enter of no such sandbox: %s", r)
		}
		// A record naming a pid that is now another process (this
		// test's, with another start time): the sandbox has ended.
		dir := instanceDir(env)
		stale := fmt.Sprintf("sandbox-instance-1\x00%s\x00%s\x00%d\x001\x001\x00true\x00", "deadbeef0001", name+"-gone", os.Getpid())
		path := filepath.Join(dir, "deadbeef0001")
		if err := os.WriteFile(path, []byte(stale), 0o600); err != nil {
			t.Fatal(err)
		}
		if m.rootless() {
			os.Chown(path, nobody, nobody)
		}
		r = sandboxEnv(t, m, env, "enter", name+"-gone", "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "has ended") {
			t.Errorf("enter of a sandbox whose process is gone: %s", r)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("the stale record %s was left", path)
		}
		if !m.rootless() {
			return
		}
		// Root's sandbox, named by the unprivileged user: not its own.
		rootName := uniqueName("enter-root", m)
		startInstance(t, asRoot, nil, "--name", rootName, "-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60")
		r = sandboxEnv(t, m, env, "enter", rootName, "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "only your own sandboxes") {
			t.Errorf("the user entered root's sandbox, or the error does not say why: %s", r)
		}
		// Root's record in the user's own directory (a shared or
		// misconfigured runtime directory): refused by owner.
		var rec string
		for _, e := range psJSON(t, asRoot, nil) {
			if e.Name == rootName {
				rec = e.ID
			}
		}
		if rec == "" {
			t.Fatalf("root's sandbox %s is not in root's ps", rootName)
		}
		b, err := os.ReadFile(filepath.Join("/run/sandbox/instances", rec))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rec), b, 0o644); err != nil {
			t.Fatal(err)
		}
		r = sandboxEnv(t, m, env, "enter", rec, "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "belongs to uid 0") {
			t.Errorf("the user entered root's sandbox through a record of root's: %s", r)
		}
	})
}

// TestInstanceEnterTerminal: entered from a terminal, the command leads
// its own process group and holds the terminal's foreground, so ^C
// reaches it (and only it) as it would a launch's payload; the exit
// status is 128+SIGINT.
func TestInstanceEnterTerminal(t *testing.T) {
	requireOrSkip(t, lookPath("script"), "util-linux script is needed to give the caller a terminal")
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("enter-tty", m)
		startInstance(t, m, env, "--name", name, "-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60")
		inner := `read -r pid comm st pp pg sid tty tp rest < /proc/$$/stat; echo "ids $pg $tp"; echo go; sleep 30; echo survived`
		cmd := exec.Command("script", "-qec", sandboxBin+" enter "+name+" -- sh -c '"+inner+"'", "/dev/null")
		cmd.Dir = "/"
		cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TERM=dumb"}, env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if m.rootless() {
			cmd.SysProcAttr.Credential = m.cred
		}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(time.Minute, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
		defer timer.Stop()
		var seen strings.Builder
		rd := bufio.NewReader(out)
		for {
			line, err := rd.ReadString('\n')
			seen.WriteString(line)
			if strings.HasPrefix(strings.TrimSpace(line), "go") {
				break
			}
			if err != nil {
				t.Fatalf("the entered command did not start:\n%s", seen.String())
			}
		}
		// Typed once sleep runs: a ^C between the echo and the fork
		// would test the shell, not enter.
		time.Sleep(300 * time.Millisecond)
		started := time.Now()
		stdin.Write([]byte{3}) // ^C, typed on the terminal
		rest, _ := io.ReadAll(rd)
		seen.Write(rest)
		err = cmd.Wait()
		text := strings.ReplaceAll(seen.String(), "\r\n", "\n")
		if strings.Contains(text, "survived") || time.Since(started) > 20*time.Second {
			t.Errorf("^C did not end the entered command:\n%s", text)
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 130 {
			t.Errorf("exit status %d after ^C, want 130:\n%s", code, text)
		}
		ids, ok := lineWith(text, "ids ")
		if f := strings.Fields(ids); !ok || len(f) != 2 || f[0] != f[1] {
			t.Errorf("the entered command is not the terminal's foreground group (pgrp tpgid = %q):\n%s", ids, text)
		}
	})
}

// TestInstanceEnterProfileChanged: enter compiles the profile again; one
// changed since the launch to keep a capability the payload does not have
// is refused, not obeyed.
func TestInstanceEnterProfileChanged(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("enter-changed", m)
		prof := secProfile(t, "changed.toml", "extends = [\"minimal\"]\n")
		startInstance(t, m, env, "--name", name, "-p", prof, "--", "sh", "-c", "echo ready; exec sleep 60")
		if r := sandboxEnv(t, m, env, "enter", name, "--", "true"); r.code != 0 {
			t.Fatalf("enter with the profile unchanged: %s", r)
		}
		if err := os.WriteFile(prof, []byte("extends = [\"minimal\"]\n[capabilities]\nkeep = [\"CAP_NET_RAW\"]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := sandboxEnv(t, m, env, "enter", name, "--", "grep", "^CapEff", "/proc/self/status")
		if r.code != 125 || !strings.Contains(r.stderr, "no longer matches the running sandbox") {
			t.Errorf("enter obeyed a profile that now keeps a capability the payload lacks: %s", r)
		}
	})
}

// TestInstanceEnterDiesWithLauncher: a command entered into a sandbox
// ends when its `sandbox enter` is killed, as a launch's payload does.
func TestInstanceEnterDiesWithLauncher(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		env := instanceEnv(t, m)
		name := uniqueName("enter-death", m)
		startInstance(t, m, env, "--name", name, "-p", "minimal", "--", "sh", "-c", "echo ready; exec sleep 60")
		marker := fmt.Sprint(700 + time.Now().UnixNano()%200)
		enter := startInstance(t, m, env, "enter", name, "--", "sh", "-c", "echo ready; exec sleep "+marker)
		running := func() bool {
			ents, _ := os.ReadDir("/proc")
			for _, e := range ents {
				b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
				if err == nil && string(b) == "sleep\x00"+marker+"\x00" {
					return true
				}
			}
			return false
		}
		// "ready" comes just before the exec.
		for i := 0; !running(); i++ {
			if i > 250 {
				t.Fatalf("the entered sleep %s is not running", marker)
			}
			time.Sleep(20 * time.Millisecond)
		}
		enter.Process.Signal(syscall.SIGKILL)
		enter.Wait()
		deadline := time.Now().Add(5 * time.Second)
		for running() {
			if time.Now().After(deadline) {
				t.Fatalf("the entered sleep %s outlived its launcher", marker)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
