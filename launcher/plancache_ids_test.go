package launcher

import (
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"sandbox/compile"
	"sandbox/internal/compiletest"
	"sandbox/internal/testutil"
	"sandbox/plan"
)

// rootPlan compiles the minimal profile for a root launcher started by
// sudo from uid 1000, gid 1001.
func rootPlan(t *testing.T) *plan.Plan {
	t.Helper()
	h := compiletest.GoldenHost()
	compiletest.AsRootHost(&h)
	h.Env = append(h.Env, "SUDO_UID=1000", "SUDO_GID=1001")
	pl, err := compile.Compile(compiletest.LoadText(t, "extends = [\"minimal\"]\n"), []string{"/bin/true"}, h)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// TestPlanBlobParentMaps checks that a cached root launch carries the maps
// the launcher writes, for the fast path to write them as the ordinary
// path does (idmap.c), and that a rootless launch's plan still has the
// child write its own.
func TestPlanBlobParentMaps(t *testing.T) {
	testutil.RequireOrSkip(t, os.Geteuid() == 0, "a plan packs the maps a root launcher writes only when the packing launcher is root")
	blob, err := packPlan(rootPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpackBlobC(blob)
	if err != nil {
		t.Fatalf("unpacking: %v", err)
	}
	if !got.parentMaps || got.writeMaps || !got.waitRelease || got.denySetgroups {
		t.Errorf("parent_maps %v, write_maps %v, wait_release %v, deny_setgroups %v; want the launcher to write the maps while the child waits, setgroups allowed",
			got.parentMaps, got.writeMaps, got.waitRelease, got.denySetgroups)
	}
	if got.uidMap != "0 1000 1\n" || got.gidMap != "0 1001 1\n" {
		t.Errorf("maps %q %q", got.uidMap, got.gidMap)
	}
	if got.becomeUID != 0 || got.becomeGID != 0 {
		t.Errorf("the child becomes %d:%d inside, want 0:0", got.becomeUID, got.becomeGID)
	}

	rootless := minimalPlan(t, "", "/bin/true")
	rootless.IDs.UIDMap[0].Outside, rootless.IDs.GIDMap[0].Outside = uint32(os.Geteuid()), uint32(os.Getegid())
	rootless.IDs.DenySetgroups = true
	blob2, err := packPlan(rootless)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := unpackBlobC(blob2); err != nil || !got.writeMaps || got.parentMaps {
		t.Errorf("a single map of the launcher's own ids: %+v, %v; want the child to write it", got, err)
	}
}

// TestPlanBlobRefusesMapConfusion checks that the unpacker refuses a blob
// in which both sides would write the maps, or the launcher would write
// them without the child waiting for it.
func TestPlanBlobRefusesMapConfusion(t *testing.T) {
	testutil.RequireOrSkip(t, os.Geteuid() == 0, "a plan packs the maps a root launcher writes only when the packing launcher is root")
	blob, err := packPlan(rootPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	write, parent, wait := blobMapFields()
	set := func(off uintptr, v uint32) []byte {
		b := append([]byte(nil), blob...)
		binary.NativeEndian.PutUint32(b[off:], v)
		return b
	}
	if _, err := unpackBlobC(set(write, 1)); err == nil {
		t.Error("a blob in which both the child and the launcher write the maps was accepted")
	}
	if _, err := unpackBlobC(set(wait, 0)); err == nil {
		t.Error("a blob whose launcher writes the maps without the child waiting was accepted")
	}
	if _, err := unpackBlobC(set(parent, 1)); err != nil {
		t.Errorf("the blob itself is refused: %v", err)
	}
}

// TestWritePlanMaps runs the one map writer (idmap.c) that both launch
// paths use against a real process in a new user namespace, as the root
// launcher does: the maps it writes are the plan's.
func TestWritePlanMaps(t *testing.T) {
	testutil.RequireOrSkip(t, os.Geteuid() == 0, "mapping ids other than one's own needs root")
	pl := rootPlan(t)
	cp, err := newChildPlan(pl, childSetup{ids: runIDModeFor(pl), waitMaps: true, stdio: [3]int{0, 1, 2}, lastCap: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.free()
	cmd := exec.Command("/bin/sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER}
	if err := cmd.Start(); err != nil {
		testutil.RequireOrSkip(t, false, "cannot start a process in a new user namespace: "+err.Error())
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if what, err := cp.writeMaps(cmd.Process.Pid); err != nil {
		t.Fatalf("writing %s: %v", what, err)
	}
	for file, want := range map[string]string{"uid_map": "0 1000 1", "gid_map": "0 1001 1", "setgroups": "allow"} {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(strings.Fields(string(b)), " "); got != want {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
	}
	// Writing again fails, as the kernel allows one write, and says
	// which file.
	if what, err := cp.writeMaps(cmd.Process.Pid); err == nil || what != "uid_map" {
		t.Errorf("a second write: %q, %v; want uid_map refused", what, err)
	}
}
