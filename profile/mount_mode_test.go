package profile

import (
	"fmt"
	"testing"
)

// TestMountModeDefaults checks that the default modes are decided in one
// place: the decoder fills them in, Perm gives them for an entry without
// one, and the reference documents the same numbers.
func TestMountModeDefaults(t *testing.T) {
	mode := func(mt MountType) uint32 { m, _ := defaultMode(mt); return m }
	p := mustLoadText(t, "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/t\"\n[[mount]]\ntype = \"dir\"\ntarget = \"/d\"\n"+
		"[[mount]]\ntype = \"file\"\ntarget = \"/f\"\ncontent = \"\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/z\"\nmode = 0o0\n")
	want := []uint32{mode(MountTmpfs), mode(MountDir), mode(MountFile), 0}
	for i, m := range p.Filesystem.Mounts {
		if m.Mode == nil || *m.Mode != want[i] || m.Perm() != want[i] {
			t.Errorf("%s %s: mode %v, Perm %#o; want %#o", m.Type, m.Target, m.Mode, m.Perm(), want[i])
		}
		m.Mode = nil
		if m.Perm() != mode(m.Type) {
			t.Errorf("%s without a mode: Perm %#o, want the default %#o", m.Type, m.Perm(), mode(m.Type))
		}
	}
	if mode(MountTmpfs) != mode(MountDir) {
		t.Fatal("the reference names one default for tmpfs and dir")
	}
	doc := fmt.Sprintf("0o%o (tmpfs, dir), 0o%o (file)", mode(MountTmpfs), mode(MountFile))
	if got := schemaIdx().byKey["mount[].mode"].Default; got != doc {
		t.Errorf("the reference says the default mode is %q, the decoder applies %q", got, doc)
	}
}
