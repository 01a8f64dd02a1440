package launcher_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sandbox/launcher/internal/testutil"
	"sandbox/plan"
)

var (
	caseReadOnlyTree = defineCase("ro-tree", func(b *testutil.Builder, args []string) {
		b.Mounts = append(b.Mounts, plan.BindMount{From: testutil.At(40), Source: args[0], Target: "/data", ReadOnly: true})
		b.Argv = testutil.Shell(`for f in /data/new /data/sub/new; do
			if touch $f 2>/dev/null; then echo "wrote $f"; else echo "refused $f"; fi; done
			touch /data/sub/new`)
	})
	caseLockMounts = defineCase("lock-mounts", func(b *testutil.Builder, args []string) {
		b.UID, b.GID = 0, 0
		if args[0] == "lock" {
			b.AfterPivot = append(b.AfterPivot, plan.LockMounts{From: testutil.At(41)})
		}
		b.Mounts = append(b.Mounts, testutil.ProbeMount(args[1]))
		b.Keep, b.Ambient = []uint{21}, true // CAP_SYS_ADMIN
		b.Env = []string{testutil.ScenarioEnv + "=probe-remount"}
		b.Argv = []string{testutil.Probe, "/usr"}
	})
	caseSymlinkEscape = defineCase("symlink-escape", func(b *testutil.Builder, args []string) {
		host := args[0]
		b.Mounts = append(b.Mounts,
			// The host's path exists inside too, in the sandbox's /tmp.
			plan.Dir{From: testutil.At(49), Target: host, Mode: 0o755},
			plan.Symlink{From: testutil.At(50), Target: "/evil", LinkTo: host},
			plan.Symlink{From: testutil.At(51), Target: "/up", LinkTo: "../../../../../.."},
			plan.Tmpfs{From: testutil.At(52), Target: "/evil/mnt", Mode: 0o755},
			plan.Dir{From: testutil.At(53), Target: "/up" + host + "/dir", Mode: 0o755},
			plan.File{From: testutil.At(54), Target: "/evil/file", Content: []byte("x"), Mode: 0o644},
			plan.BindMount{From: testutil.At(55), Source: "/usr/bin", Target: "/up/up/evil/bind", ReadOnly: true})
		b.Argv = testutil.Shell("ls " + host)
	})
	caseOverlay = defineCase("overlay", func(b *testutil.Builder, args []string) {
		b.Mounts = append(b.Mounts, plan.Overlay{From: testutil.At(60), Target: "/ov", Lower: []string{args[0]}})
		b.Argv = testutil.Shell("cat /ov/base && echo changed > /ov/base && echo new > /ov/new && rm /ov/gone && cat /ov/base /ov/new && ls /ov")
	})
	caseEntries = defineCase("entries", func(b *testutil.Builder, args []string) {
		b.Mounts = append(b.Mounts,
			plan.Dir{From: testutil.At(70), Target: "/d/private", Mode: 0o700},
			plan.File{From: testutil.At(71), Target: "/d/file", Content: []byte("inline\n"), Mode: 0o640},
			plan.File{From: testutil.At(72), Target: "/d/copy", CopyFrom: args[0], Mode: 0o600},
			plan.File{From: testutil.At(73), Target: "/d/none", CopyFrom: "/nonexistent-sandbox-test", Optional: true, Mode: 0o600},
			plan.BindMount{From: testutil.At(74), Source: "/nonexistent-sandbox-test", Target: "/d/opt", Optional: true},
			plan.Symlink{From: testutil.At(75), Target: "/d/link", LinkTo: "file"},
			plan.Tmpfs{From: testutil.At(76), Target: "/d/small", Size: 1 << 20, Mode: 0o750},
			// A mode of 0 is what the plan says, not a missing one.
			plan.Tmpfs{From: testutil.At(79), Target: "/d/closed", Mode: 0},
			plan.Mqueue{From: testutil.At(77), Target: "/dev/mqueue"},
			plan.RemountReadOnly{From: testutil.At(78), Target: "/d"})
		b.Argv = testutil.Shell(`stat -c '%n %a %F' /d/private /d/file /d/copy /d/link /d/small /d/closed; cat /d/link /d/copy
			test -e /d/none || echo "no /d/none"; test -e /d/opt || echo "no /d/opt"
			grep -c mqueue /proc/self/mountinfo
			if touch /d/file 2>/dev/null; then echo "/d writable"; else echo "/d read-only"; fi
			if touch /d/small/x 2>/dev/null; then echo "/d/small writable"; else echo "/d/small read-only"; fi`)
	})
	caseProcMasked = defineCase("proc-masked", func(b *testutil.Builder, args []string) {
		b.Argv = testutil.Shell(`for f in kcore keys timer_list sysrq-trigger; do
				test -e /proc/$f && echo "$f $(cat /proc/$f 2>/dev/null | wc -c)"; done
			if echo x > /proc/sys/kernel/domainname 2>/dev/null; then echo "sysctl written"; else echo "sysctl refused"; fi`)
	})
	caseDev = defineCase("dev", func(b *testutil.Builder, args []string) {
		b.Argv = testutil.Shell(`ls -A /dev | tr '\n' ' '; echo
			echo x > /dev/null && head -c 8 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c
			if mknod /tmp/null c 1 3 2>/dev/null; then echo "mknod worked"; else echo "mknod refused"; fi`)
	})
)

// hostDir makes a directory any user can read, removed after the test.
func hostDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sandbox-runtime-host-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// F1, F2: a read-only bind refuses writes, in its submounts too (the host
// has a writable tmpfs mounted inside the bound tree).
func TestRuntimeReadOnlyBindCoversSubmounts(t *testing.T) {
	testutil.RequireRoot(t)
	dir := hostDir(t)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", sub, "tmpfs", 0, "mode=1777"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(sub, syscall.MNT_DETACH) })
	// The submount is writable on the host: the refusal must come from
	// the sandbox.
	if err := os.WriteFile(filepath.Join(sub, "host"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseReadOnlyTree, dir)
		for _, want := range []string{"refused /data/new", "refused /data/sub/new", "Read-only file system"} {
			if !strings.Contains(r.Stdout+r.Stderr, want) {
				t.Errorf("want %q, got %v", want, r)
			}
		}
		if _, err := os.Stat(filepath.Join(sub, "new")); err == nil {
			t.Error("a file was written into the host's submount")
		}
	})
}

// F3: with the mounts locked, a payload holding CAP_SYS_ADMIN cannot make
// a read-only mount writable or take it away. Without the lock it can,
// which shows the probe works.
func TestRuntimeLockedMountsResistRemount(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		bin := testutil.PublicBinary(t)
		r := runCase(t, m, caseLockMounts, "nolock", bin)
		if r.Code != 0 || !strings.Contains(r.Stdout, "remount: ok") || !strings.Contains(r.Stdout, "umount: ok") {
			t.Fatalf("without lock-mounts the probe should remount and unmount /usr: %v", r)
		}
		r = runCase(t, m, caseLockMounts, "lock", bin)
		if r.Code != 0 || strings.Contains(r.Stdout, ": ok") || len(lines(r.Stdout)) != 2 {
			t.Fatalf("with lock-mounts, remount and umount must fail: %v", r)
		}
	})
}

// F5, F7: symlinks in the new root, absolute or climbing, are followed as
// if the new root were /: nothing is created or mounted on the host.
func TestRuntimeTargetsStayInsideTheRoot(t *testing.T) {
	dir := hostDir(t)
	before := testutil.Mounts(t)
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseSymlinkEscape, dir)
		if r.Code != 0 {
			t.Fatal(r)
		}
		got := lines(r.Stdout)
		if strings.Join(got, " ") != "bind dir file mnt" {
			t.Errorf("inside, %s should hold what the steps made, got %q", dir, got)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("the host dir %s received %d entries", dir, len(ents))
		}
		if n := testutil.NewMounts(before, testutil.Mounts(t)); len(n) != 0 {
			t.Errorf("new mounts on the host: %v", n)
		}
	})
}

// An overlay with a tmpfs upper: changes inside, none on the host.
func TestRuntimeOverlay(t *testing.T) {
	testutil.RequireRoot(t)
	dir := hostDir(t)
	for name, content := range map[string]string{"base": "lower\n", "gone": "x\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Writable by every payload (root without capabilities included),
	// so that only the overlay decides where writes go.
	paths := map[string]os.FileMode{dir: 0o777, filepath.Join(dir, "base"): 0o666, filepath.Join(dir, "gone"): 0o666}
	for p, mode := range paths {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		// A copy-up keeps the owner, which must be mapped inside: the
		// rootless payload's own id, or root's in the root-userns map.
		owner := 0
		if m.rootless {
			owner = 65534
		}
		for p := range paths {
			if err := os.Chown(p, owner, owner); err != nil {
				t.Fatal(err)
			}
		}
		r := runCase(t, m, caseOverlay, dir)
		if r.Code != 0 || strings.Join(lines(r.Stdout), " ") != "lower changed new base new" {
			t.Fatalf("overlay: %v", r)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "base")); string(b) != "lower\n" {
			t.Errorf("host lower dir changed: base = %q", b)
		}
		if _, err := os.Stat(filepath.Join(dir, "gone")); err != nil {
			t.Errorf("host lower dir changed: %v", err)
		}
	})
}

// Dir, file (inline and copied), symlink, sized tmpfs, mqueue, optional
// entries whose source is missing, and remount-ro of a whole subtree.
func TestRuntimeEntries(t *testing.T) {
	src := filepath.Join(hostDir(t), "src")
	if err := os.WriteFile(src, []byte("copied\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/d/private 700 directory", "/d/file 640 regular file", "/d/copy 600 regular file",
		"/d/link 777 symbolic link", "/d/small 750 directory", "/d/closed 0 directory", "inline", "copied",
		"no /d/none", "no /d/opt", "1", "/d read-only", "/d/small read-only",
	}
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseEntries, src)
		if got := lines(r.Stdout); r.Code != 0 || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("want\n%s\ngot %v", strings.Join(want, "\n"), r)
		}
	})
}

// F10, F11: kernel files of /proc are empty, sysctls read-only.
func TestRuntimeProcMasked(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseProcMasked)
		if r.Code != 0 || !strings.Contains(r.Stdout, "sysctl refused") {
			t.Fatalf("want /proc/sys read-only: %v", r)
		}
		for _, l := range lines(r.Stdout) {
			if name, n, ok := strings.Cut(l, " "); ok && name != "sysctl" && n != "0" {
				t.Errorf("/proc/%s gives %s bytes, want none", name, n)
			}
		}
	})
}

// F14: a minimal /dev whose nodes work, and no mknod.
func TestRuntimeMinimalDev(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseDev)
		want := "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero|8|8|mknod refused"
		want = strings.Replace(want, "mqueue ", "", 1)
		if got := strings.Join(lines(r.Stdout), "|"); r.Code != 0 || got != want {
			t.Fatalf("want %q, got %v", want, r)
		}
	})
}
