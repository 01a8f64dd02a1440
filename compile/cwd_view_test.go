package compile

import (
	"os"
	"path/filepath"
	"sandbox/plan"
	"testing"
)

// TestCwdOf reads the payload's working directory from plans: the caller's
// directory bound writable, a directory the chdir falls back from, a
// private tmpfs, a read-only bind, and the empty root under Landlock.
func TestCwdOf(t *testing.T) {
	host := t.TempDir()
	proj := filepath.Join(host, "proj")
	if err := os.Mkdir(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	ll := plan.Landlock{ABI: 1, Paths: []plan.LandlockPath{{Path: "/"}, {Path: "/home/u", Write: true}, {Path: proj, Write: true}}}
	view := []plan.Step{plan.MakePrivate{}, plan.NewRoot{}, plan.BindMount{Source: "/usr", Target: "/usr", ReadOnly: true}, plan.Tmpfs{Target: "/home/u"}}
	pl := func(extra []plan.Step, ch plan.Chdir) *plan.Plan {
		s := append(append(append([]plan.Step{}, view...), extra...), plan.PivotRoot{}, ch, ll)
		return &plan.Plan{Steps: s}
	}
	for _, tc := range []struct {
		name       string
		pl         *plan.Plan
		caller     string
		inside     string
		kind       string
		same, kept bool
		writable   bool
		fellBack   bool
	}{
		{"bound writable", pl([]plan.Step{plan.BindMount{Source: proj, Target: proj}}, plan.Chdir{Dir: proj, Fallback: "/"}), proj, proj, CwdBind, true, true, true, false},
		{"bound read-only", pl([]plan.Step{plan.BindMount{Source: proj, Target: proj, ReadOnly: true}}, plan.Chdir{Dir: proj, Fallback: "/"}), proj, proj, CwdBind, true, false, false, false},
		{"home tmpfs", pl(nil, plan.Chdir{Dir: "/home/u", Fallback: "/"}), "/home/u", "/home/u", CwdTmpfs, false, false, true, false},
		{"hidden under tmpfs", pl(nil, plan.Chdir{Dir: "/home/u/other", Fallback: "/"}), "/home/u/other", "/", CwdRoot, false, false, false, true},
		{"not visible", pl(nil, plan.Chdir{Dir: "/"}), proj, "/", CwdRoot, false, false, false, false},
	} {
		v := CwdOf(tc.pl, tc.caller, os.Stat)
		if v.Inside != tc.inside || v.Kind != tc.kind || v.Same != tc.same || v.Persistent != tc.kept || v.Writable != tc.writable || v.FellBack != tc.fellBack {
			t.Errorf("%s: %+v; want inside %s kind %s same %v kept %v writable %v fell back %v",
				tc.name, v, tc.inside, tc.kind, tc.same, tc.kept, tc.writable, tc.fellBack)
		}
		if v.Describe() == "" {
			t.Errorf("%s: no description", tc.name)
		}
	}
	// A directory a later mount creates inside a tmpfs exists there.
	p := pl([]plan.Step{plan.BindMount{Source: proj, Target: "/home/u/src/proj"}}, plan.Chdir{Dir: "/home/u/src", Fallback: "/"})
	if v := CwdOf(p, "/home/u/src", os.Stat); v.Inside != "/home/u/src" || v.Kind != CwdTmpfs || !v.Exists {
		t.Errorf("mount point parent: %+v", v)
	}
}
