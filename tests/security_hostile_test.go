package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Hostile trees (F5-F7, F12, F13, F15): the profile binds a host directory
// the attacker controls and puts later mounts below it, so the launcher
// walks through symlinks the attacker planted. Whatever the launcher does
// (resolve inside the new root, or refuse), nothing may be created or
// mounted on the host outside the new root.

// hostile is an attacker's directory, bound read-write at /data, and a
// victim directory on the host that must stay empty.
type hostile struct {
	attacker, victim string
}

// newHostile plants in the attacker's directory:
//
//	evil     -> VICTIM                  (absolute: the host path)
//	rel      -> ../../../../../VICTIM   (relative, climbing out of /data)
//	up       -> ../../../../../..       (the host's / from the attacker's dir)
//	dangling -> VICTIM/created          (does not exist yet)
//	proc     -> VICTIM                  (a fake proc)
//	old      -> /oldroot/VICTIM         (where a launcher that pivots into
//	oldrel   -> ../../../../oldroot/VICTIM  a scratch root first keeps the
//	                                     host's tree while it builds the view)
//
// Both directories may be written by anyone, so a rootless launcher that
// follows a link can create entries in the victim and the test sees it.
func newHostile(t *testing.T) hostile {
	t.Helper()
	h := hostile{attacker: sharedDir(t, 0o777), victim: sharedDir(t, 0o777)}
	up := strings.Repeat("../", strings.Count(h.attacker, "/")+3)
	for name, target := range map[string]string{
		"evil":     h.victim,
		"rel":      up + strings.TrimPrefix(h.victim, "/"),
		"up":       strings.TrimSuffix(up, "/"),
		"dangling": filepath.Join(h.victim, "created"),
		"proc":     h.victim,
		"old":      "/oldroot" + h.victim,
		"oldrel":   "../../../../oldroot" + h.victim,
	} {
		if err := os.Symlink(target, filepath.Join(h.attacker, name)); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// victimEmpty fails if anything appeared in the victim directory, and
// removes it so the next case starts clean.
func (h hostile) victimEmpty(t *testing.T, what string) {
	t.Helper()
	if got := entries(h.victim); len(got) > 0 {
		t.Errorf("%s: the launcher followed a planted symlink out of the new root and created %v in host directory %s", what, got, h.victim)
		for _, n := range got {
			unix.Unmount(filepath.Join(h.victim, n), unix.MNT_DETACH)
			os.RemoveAll(filepath.Join(h.victim, n))
		}
	}
}

// launchedSafely accepts a run that worked or that the launcher refused
// with an error; anything else (a crash, a hang) is a failure.
func launchedSafely(t *testing.T, what string, r result) {
	t.Helper()
	if r.code != 0 && r.code != 125 {
		t.Errorf("%s: %s", what, r)
	}
	if r.code == 125 && strings.TrimSpace(r.stderr) == "" {
		t.Errorf("%s: refused without a message", what)
	}
}

// TestF5SymlinksInDestinations mounts, creates and binds through every
// kind of planted symlink.
func TestF5SymlinksInDestinations(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		src := sharedDir(t, 0o755)
		os.WriteFile(filepath.Join(src, "marker"), nil, 0o644)
		h := newHostile(t)
		cases := []struct{ name, entry string }{
			{"tmpfs through an absolute link", `type = "tmpfs"` + "\n" + `target = "/data/evil/sub"`},
			{"dir through an absolute link", `type = "dir"` + "\n" + `target = "/data/evil/sub"`},
			{"file through an absolute link", `type = "file"` + "\n" + `target = "/data/evil/file"` + "\n" + `content = "x"`},
			{"file onto a dangling link", `type = "file"` + "\n" + `target = "/data/dangling"` + "\n" + `content = "x"`},
			{"dir onto a dangling link", `type = "dir"` + "\n" + `target = "/data/dangling"`},
			{"symlink through an absolute link", `type = "symlink"` + "\n" + `target = "/data/evil/link"` + "\n" + `link_to = "x"`},
			{"bind through an absolute link", fmt.Sprintf("type = \"ro-bind\"\nsource = %q\ntarget = \"/data/evil/sub\"", src)},
			{"tmpfs through a relative link", `type = "tmpfs"` + "\n" + `target = "/data/rel/sub"`},
			{"dir through a link to the host's /", fmt.Sprintf("type = \"dir\"\ntarget = %q", "/data/up"+h.victim+"/sub")},
			{"proc through an absolute link", `type = "proc"` + "\n" + `target = "/data/evil/proc"`},
			{"dev through an absolute link", `type = "dev"` + "\n" + `target = "/data/evil/dev"`},
			{"mqueue through an absolute link", `type = "mqueue"` + "\n" + `target = "/data/evil/mq"`},
			{"overlay through an absolute link", fmt.Sprintf("type = \"overlay\"\nlower = [%q]\ntarget = \"/data/evil/ov\"", src)},
			{"tmpfs through a link to the launcher's old root", `type = "tmpfs"` + "\n" + `target = "/data/old/sub"`},
			{"dir through a link to the launcher's old root", `type = "dir"` + "\n" + `target = "/data/old/sub"`},
			{"file through a relative link to the old root", `type = "file"` + "\n" + `target = "/data/oldrel/file"` + "\n" + `content = "x"`},
			{"bind through a relative link to the old root", fmt.Sprintf("type = \"ro-bind\"\nsource = %q\ntarget = \"/data/oldrel/sub\"", src)},
		}
		for _, c := range cases {
			before := mountPoints(t)
			prof := secProfile(t, "f5.toml", "extends = [\"minimal\"]\n"+bindTOML("bind", h.attacker, "/data")+"\n[[mount]]\n"+c.entry+"\n")
			r := sandbox(t, m, "-p", prof, "--", "/bin/true")
			launchedSafely(t, c.name, r)
			h.victimEmpty(t, c.name)
			sameMounts(t, before)
		}
	})
}

// TestF6SymlinkSwapRace swaps a destination between a directory and a
// symlink to the host in a tight loop while launching (runc
// CVE-2021-30465): the launcher must never act outside the new root.
func TestF6SymlinkSwapRace(t *testing.T) {
	n := stressCount(200, 50, 20)
	bothModes(t, func(t *testing.T, m mode) {
		h := newHostile(t)
		race, swap := filepath.Join(h.attacker, "race"), filepath.Join(h.attacker, "swap")
		race2, swap2 := filepath.Join(h.attacker, "race2"), filepath.Join(h.attacker, "swap2")
		for _, d := range []string{race, race2} {
			if err := os.Mkdir(d, 0o777); err != nil {
				t.Fatal(err)
			}
			os.Chmod(d, 0o777)
		}
		if err := os.Symlink(h.victim, swap); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/oldroot"+h.victim, swap2); err != nil {
			t.Fatal(err)
		}
		prof := secProfile(t, "f6.toml", "extends = [\"minimal\"]\n"+bindTOML("bind", h.attacker, "/data")+`
[[mount]]
type = "tmpfs"
target = "/data/race/sub"

[[mount]]
type = "dir"
target = "/data/race/dir"

[[mount]]
type = "file"
target = "/data/race/file"
content = "x"

[[mount]]
type = "tmpfs"
target = "/data/race2/sub"

[[mount]]
type = "dir"
target = "/data/race2/dir"
`)
		var stop atomic.Bool
		var swaps atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if unix.Renameat2(unix.AT_FDCWD, race, unix.AT_FDCWD, swap, unix.RENAME_EXCHANGE) == nil {
					swaps.Add(1)
				}
				unix.Renameat2(unix.AT_FDCWD, race2, unix.AT_FDCWD, swap2, unix.RENAME_EXCHANGE)
			}
		}()
		before := mountPoints(t)
		for i := 0; i < n; i++ {
			r := sandbox(t, m, "-p", prof, "--", "/bin/true")
			launchedSafely(t, fmt.Sprintf("launch %d", i), r)
			if got := entries(h.victim); len(got) > 0 {
				stop.Store(true)
				wg.Wait()
				h.victimEmpty(t, fmt.Sprintf("launch %d of %d", i+1, n))
				return
			}
		}
		stop.Store(true)
		wg.Wait()
		if swaps.Load() == 0 {
			t.Fatal("the destination was never swapped; the race did not run")
		}
		sameMounts(t, before)
	})
}

// TestF7DotDotInPaths uses ".." in destinations, and a profile-made symlink
// that climbs with "..": rejected with a positioned error, or kept inside.
func TestF7DotDotInPaths(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		h := newHostile(t)
		climb := strings.Repeat("../", 12)
		cases := []struct {
			name, entries string
			mustRefuse    bool
		}{
			{"dir with .. in its target", fmt.Sprintf("[[mount]]\ntype = \"dir\"\ntarget = \"/a/%s%s/sub\"\n", climb, strings.TrimPrefix(h.victim, "/")), true},
			{"tmpfs with .. in its target", fmt.Sprintf("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a/../..%s\"\n", h.victim), true},
			{"bind with .. in its source", fmt.Sprintf("[[mount]]\ntype = \"ro-bind\"\nsource = \"%s/../%s\"\ntarget = \"/x\"\n", h.attacker, filepath.Base(h.attacker)), true},
			{"profile symlink climbing out", fmt.Sprintf("[[mount]]\ntype = \"symlink\"\ntarget = \"/climb\"\nlink_to = \"%s%s\"\n\n[[mount]]\ntype = \"dir\"\ntarget = \"/climb/sub\"\n\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/climb/tmp\"\n", climb, strings.TrimPrefix(h.victim, "/")), false},
		}
		pos := regexp.MustCompile(`f7\.toml:\d+:\d+`)
		for _, c := range cases {
			before := mountPoints(t)
			prof := secProfile(t, "f7.toml", "extends = [\"minimal\"]\n\n"+c.entries)
			r := sandbox(t, m, "-p", prof, "--", "/bin/sh", "-c", "echo RAN")
			launchedSafely(t, c.name, r)
			if c.mustRefuse && (r.code != 125 || !pos.MatchString(r.stderr) || strings.Contains(r.stdout, "RAN")) {
				t.Errorf("%s: not refused with a positioned error:\n%s", c.name, r)
			}
			h.victimEmpty(t, c.name)
			sameMounts(t, before)
		}
	})
}

// TestF12FakeDeviceNodes puts the attacker's directory at /dev, where every
// device name is a symlink to a file the profile also binds into the new
// root (and, for some, to the host path of that file): the launcher must
// not write through them, nor use them to mask procfs files (runc
// CVE-2025-31133).
func TestF12FakeDeviceNodes(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		d := victimDir(t)
		fake := sharedDir(t, 0o777)
		for _, n := range []string{"null", "zero", "full", "random", "urandom", "ptmx"} {
			os.Symlink("/victim/victim", filepath.Join(fake, n))
		}
		for _, n := range []string{"tty", "console"} {
			os.Symlink(filepath.Join(d, "victim"), filepath.Join(fake, n))
		}
		victim := bindTOML("bind", d, "/victim")
		for _, c := range []struct{ name, text string }{
			{"fake /dev after /proc", fmt.Sprintf("extends = [\"minimal\"]\n\n[merge]\nremove = { mount = [\"/dev\"] }\n%s%s", victim, bindTOML("bind", fake, "/dev"))},
			{"fake /dev before /proc", fmt.Sprintf("extends = [\"minimal\"]\n\n[merge]\nremove = { mount = [\"/dev\", \"/proc\"] }\n%s%s\n[[mount]]\ntype = \"proc\"\ntarget = \"/proc\"\n", victim, bindTOML("bind", fake, "/dev"))},
		} {
			prof := secProfile(t, "f12.toml", c.text)
			var script strings.Builder
			for _, p := range maskedPaths {
				fmt.Fprintf(&script, "cat %s 2>/dev/null; ", p)
			}
			r := sandbox(t, m, "-p", prof, "--", "/bin/sh", "-c", script.String()+"true")
			launchedSafely(t, c.name, r)
			if strings.Contains(r.stdout, "original") {
				t.Errorf("%s: a masked procfs file shows the file the fake /dev/null points to:\n%s", c.name, r)
			}
			victimUnchanged(t, d)
		}
	})
}

// TestF13FakeProc mounts proc through a planted symlink, and binds the
// attacker's fake proc tree over /proc (runc CVE-2019-16884,
// CVE-2023-27561): the launcher must not write into a fake proc.
func TestF13FakeProc(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		h := newHostile(t)
		before := mountPoints(t)
		prof := secProfile(t, "f13.toml", "extends = [\"minimal\"]\n"+bindTOML("bind", h.attacker, "/data")+"\n[[mount]]\ntype = \"proc\"\ntarget = \"/data/proc\"\n")
		launchedSafely(t, "proc through a symlink", sandbox(t, m, "-p", prof, "--", "/bin/true"))
		h.victimEmpty(t, "proc through a symlink")
		sameMounts(t, before)

		d := victimDir(t)
		fake := sharedDir(t, 0o777)
		files := []string{"self/uid_map", "self/gid_map", "self/setgroups", "self/oom_score_adj",
			"self/attr/exec", "self/attr/current", "self/loginuid", "thread-self/attr/exec",
			"sys/kernel/core_pattern", "sys/kernel/ns_last_pid", "sys/kernel/hostname"}
		for _, f := range files {
			p := filepath.Join(fake, f)
			os.MkdirAll(filepath.Dir(p), 0o777)
			os.WriteFile(p, []byte("original\n"), 0o666)
			os.Chmod(p, 0o666)
		}
		// A few are symlinks to a host file instead.
		for _, f := range []string{"self/environ", "self/status", "1"} {
			os.Symlink(filepath.Join(d, "victim"), filepath.Join(fake, f))
		}
		prof = secProfile(t, "f13.toml", fmt.Sprintf("extends = [\"minimal\"]\n\n[merge]\nremove = { mount = [\"/proc\"] }\n%s", bindTOML("bind", fake, "/proc")))
		r := sandbox(t, m, "-p", prof, "--", "/bin/true")
		launchedSafely(t, "fake proc bound over /proc", r)
		for _, f := range files {
			if b, _ := os.ReadFile(filepath.Join(fake, f)); string(b) != "original\n" {
				t.Errorf("the launcher wrote %q into the fake proc file %s", b, f)
			}
		}
		victimUnchanged(t, d)
		sameMounts(t, before)
	})
}

// worldWritableDirs are the shared scratch directories of the host.
func worldWritableDirs() []string {
	var out []string
	for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue"} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && fi.Mode().Perm()&0o002 != 0 {
			out = append(out, d)
		}
	}
	return out
}

// createdDuring watches the shared scratch directories while f runs and
// returns the paths created there, leaving out the test framework's own.
func createdDuring(t *testing.T, f func()) []string {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	wd := map[int]string{}
	for _, d := range worldWritableDirs() {
		w, err := unix.InotifyAddWatch(fd, d, unix.IN_CREATE|unix.IN_MOVED_TO)
		if err == nil {
			wd[w] = d
		}
	}
	f()
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			break
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			name := strings.TrimRight(string(nameBytes), "\x00")
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if strings.HasPrefix(name, "Test") || strings.HasPrefix(name, "go-build") || strings.HasPrefix(name, "sandbox-it-") {
				continue
			}
			out = append(out, filepath.Join(wd[int(ev.Wd)], name))
		}
	}
	return out
}

// lasting returns the paths that still exist a few seconds from now.
func lasting(paths []string) []string {
	deadline := time.Now().Add(3 * time.Second)
	for len(paths) > 0 && time.Now().Before(deadline) {
		var still []string
		for _, p := range paths {
			if _, err := os.Lstat(p); err == nil {
				still = append(still, p)
			}
		}
		paths = still
		if len(paths) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return paths
}

// TestF15NoPredictableScratchPaths watches the shared scratch directories
// while launching (bwrap CVE-2019-12439): the launcher must not use a
// predictable path there (the same in two runs, or one holding its pid),
// and a symlink planted at any path it used must not be followed.
func TestF15NoPredictableScratchPaths(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		seen := map[string]int{}
		const runs = 3
		for i := 0; i < runs; i++ {
			var pid int
			created := createdDuring(t, func() {
				var r result
				r, pid = sandboxWithPID(t, m, nil, "-p", "minimal", "--", "/bin/true")
				if r.code != 0 {
					t.Fatalf("launch failed: %s", r)
				}
			})
			for _, p := range lasting(created) {
				t.Errorf("the launcher left %s behind in a shared scratch directory: the next launch will find it there", p)
			}
			for _, p := range created {
				seen[p]++
				if regexp.MustCompile(`(^|\D)` + strconv.Itoa(pid) + `(\D|$)`).MatchString(filepath.Base(p)) {
					t.Errorf("the launcher (pid %d) created %s: a name made from its pid is predictable", pid, p)
				}
			}
		}
		for p, n := range seen {
			if n > 1 {
				t.Errorf("the launcher created the same path %s in %d of %d runs: an attacker can plant it", p, n, runs)
			}
		}
		// Plant a symlink at every path any run used.
		h := newHostile(t)
		var planted []string
		for p := range seen {
			if _, err := os.Lstat(p); err != nil && os.Symlink(h.victim, p) == nil {
				planted = append(planted, p)
			}
		}
		defer func() {
			for _, p := range planted {
				os.Remove(p)
			}
		}()
		r := sandbox(t, m, "-p", "minimal", "--", "/bin/true")
		launchedSafely(t, "with planted symlinks", r)
		h.victimEmpty(t, fmt.Sprintf("%d planted scratch symlinks", len(planted)))
	})
}
