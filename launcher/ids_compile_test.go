package launcher

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sandbox/compile"
	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/plan"
)

// TestRootLaunchIDs checks checklist R1 in the compiler: a root launch maps
// the sandbox's ids to an unprivileged host id (the sudo or pkexec
// caller's, else the overflow id), writes that map from the launcher, and
// maps host root only with identity.host_root.
func TestRootLaunchIDs(t *testing.T) {
	passwd := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(passwd, []byte("root:x:0:0::/root:/bin/sh\nalice:x:1000:1002::/home/alice:/bin/sh\nzed:x:1003:0::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	one := func(inside, outside uint32) []plan.IDRange {
		return []plan.IDRange{{Inside: inside, Outside: outside, Count: 1}}
	}
	tests := []struct {
		name       string
		text       string
		env        []string
		host       func(*hostview.Host)
		uids, gids []plan.IDRange
		mode       runIDMode
		deny       bool
	}{
		{"default: the overflow id", "", nil, nil, one(0, 65534), one(0, 65534), idsParent, false},
		{"sudo", "", []string{"SUDO_UID=1000", "SUDO_GID=1001"}, nil, one(0, 1000), one(0, 1001), idsParent, false},
		{"sudo without a group", "", []string{"SUDO_UID=1000"}, nil, one(0, 1000), one(0, 65534), idsParent, false},
		{"sudo from root", "", []string{"SUDO_UID=0", "SUDO_GID=0"}, nil, one(0, 65534), one(0, 65534), idsParent, false},
		{"sudo, not a number", "", []string{"SUDO_UID=alice", "SUDO_GID=-1"}, nil, one(0, 65534), one(0, 65534), idsParent, false},
		{"sudo, (uid_t)-1", "", []string{"SUDO_UID=4294967295"}, nil, one(0, 65534), one(0, 65534), idsParent, false},
		{"pkexec: the group from passwd", "", []string{"PKEXEC_UID=1000"}, nil, one(0, 1000), one(0, 1002), idsParent, false},
		{"pkexec: group 0 is not taken", "", []string{"PKEXEC_UID=1003"}, nil, one(0, 1003), one(0, 65534), idsParent, false},
		{"pkexec: unknown user", "", []string{"PKEXEC_UID=4242"}, nil, one(0, 4242), one(0, 65534), idsParent, false},
		{"set-id launch: the real ids, not the environment's", "", []string{"SUDO_UID=5", "SUDO_GID=5"},
			func(h *hostview.Host) { h.UID, h.GID = 1000, 1000 }, one(1000, 1000), one(1000, 1000), idsParent, false},
		{"payload ids of the profile", "[identity]\nuid = 1000\ngid = 100\n", nil, nil, one(1000, 65534), one(100, 65534), idsParent, false},
		{"host_root: the old single map", "[identity]\nhost_root = true\n", []string{"SUDO_UID=1000"}, nil, one(0, 0), one(0, 0), idsSelf, true},
		{"explicit maps without host 0", "[identity]\nuid = 0\ngid = 0\nuid_map = [{inside = 0, outside = 100000, count = 10}]\ngid_map = [{inside = 0, outside = 100000, count = 10}]\n",
			nil, nil, []plan.IDRange{{Inside: 0, Outside: 100000, Count: 10}}, []plan.IDRange{{Inside: 0, Outside: 100000, Count: 10}}, idsParent, false},
		{"explicit uid map only: the gid maps unprivileged", "[identity]\nuid = 0\ngid = 0\nuid_map = [{inside = 0, outside = 100000, count = 10}]\n",
			nil, nil, []plan.IDRange{{Inside: 0, Outside: 100000, Count: 10}}, one(0, 65534), idsParent, false},
		{"explicit map to host 0 with host_root", "[identity]\nhost_root = true\nuid = 0\ngid = 0\nuid_map = [{inside = 0, outside = 0, count = 10}]\ngid_map = [{inside = 0, outside = 0, count = 10}]\n",
			nil, nil, []plan.IDRange{{Inside: 0, Outside: 0, Count: 10}}, []plan.IDRange{{Inside: 0, Outside: 0, Count: 10}}, idsParent, false},
		{"subids without grants: the fixed range", "[identity]\nsubids = true\n", []string{"SUDO_UID=1000", "SUDO_GID=1000"}, nil,
			[]plan.IDRange{{Inside: 0, Outside: 1000, Count: 1}, {Inside: 1, Outside: compile.RootSubIDStart, Count: compile.RootSubIDCount}},
			[]plan.IDRange{{Inside: 0, Outside: 1000, Count: 1}, {Inside: 1, Outside: compile.RootSubIDStart, Count: compile.RootSubIDCount}}, idsParent, false},
		{"subids: root's own grants", "[identity]\nsubids = true\nuid = 1000\ngid = 1000\n", nil,
			func(h *hostview.Host) {
				h.SubUIDs = []hostview.SubIDRange{{Start: 200000, Count: 65536}}
				h.SubGIDs = []hostview.SubIDRange{{Start: 300000, Count: 65536}}
			},
			[]plan.IDRange{{Inside: 1000, Outside: 65534, Count: 1}, {Inside: 0, Outside: 200000, Count: 1000}, {Inside: 1001, Outside: 201000, Count: 64536}},
			[]plan.IDRange{{Inside: 1000, Outside: 65534, Count: 1}, {Inside: 0, Outside: 300000, Count: 1000}, {Inside: 1001, Outside: 301000, Count: 64536}}, idsParent, false},
		{"subids with host_root: identity", "[identity]\nsubids = true\nhost_root = true\n", nil, nil,
			[]plan.IDRange{{Inside: 0, Outside: 0, Count: 65536}}, []plan.IDRange{{Inside: 0, Outside: 0, Count: 65536}}, idsParent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compiletest.LoadText(t, tt.text)
			h := compiletest.GoldenHost()
			compiletest.AsRootHost(&h)
			h.Passwd = passwd
			h.Env = append(h.Env, tt.env...)
			if tt.host != nil {
				tt.host(&h)
			}
			pl, err := compile.Compile(p, []string{"true"}, h)
			if err != nil {
				t.Fatal(err)
			}
			m := pl.IDs
			if !reflect.DeepEqual(m.UIDMap, tt.uids) || !reflect.DeepEqual(m.GIDMap, tt.gids) {
				t.Fatalf("uid map %+v, gid map %+v\nwant %+v, %+v", m.UIDMap, m.GIDMap, tt.uids, tt.gids)
			}
			// A parent-written map leaves setgroups allowed, so
			// that the sandbox can drop root's groups.
			if m.DenySetgroups != tt.deny {
				t.Errorf("deny setgroups %v, want %v", m.DenySetgroups, tt.deny)
			}
			// runIDModeFor looks at the launcher's own ids: as
			// root (the tests' usual case) it decides like a root
			// launcher.
			if os.Geteuid() == 0 {
				if got := runIDModeFor(pl); got != tt.mode {
					t.Errorf("maps written by mode %d, want %d", got, tt.mode)
				}
			}
			if !p.Identity.HostRoot {
				for _, r := range append(append([]plan.IDRange(nil), m.UIDMap...), m.GIDMap...) {
					if r.Outside == 0 {
						t.Errorf("host root is mapped: %+v", r)
					}
				}
				if !strings.Contains(m.Note, "never to host root") {
					t.Errorf("explain's note %q does not say the ids are not host root's", m.Note)
				}
			}
		})
	}
}

// TestRootLaunchSetIDs checks that a root launch whose payload is not the
// id the launcher's child starts as switches to it, dropping host root's
// supplementary groups.
func TestRootLaunchSetIDs(t *testing.T) {
	for _, text := range []string{
		"[identity]\nsubids = true\nuid = 1000\ngid = 1000\n",
		"[namespaces]\nuser = false\n[identity]\nuid = 1000\ngid = 1000\n",
	} {
		h := compiletest.GoldenHost()
		compiletest.AsRootHost(&h)
		pl, err := compile.Compile(compiletest.LoadText(t, text), []string{"true"}, h)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		var set *plan.SetIDs
		for _, st := range pl.Steps {
			if s, ok := st.(plan.SetIDs); ok {
				set = &s
			}
		}
		if set == nil || set.UID != 1000 || set.GID != 1000 || set.Groups == nil || len(set.Groups) != 0 {
			t.Errorf("%s: set-ids step %+v, want uid and gid 1000 and no groups", text, set)
		}
	}
}

// TestRootLaunchWithoutUsernsHostRoot checks that identity.host_root lets
// a root launch without a user namespace run as host root, as before.
func TestRootLaunchWithoutUsernsHostRoot(t *testing.T) {
	h := compiletest.GoldenHost()
	compiletest.AsRootHost(&h)
	pl, err := compile.Compile(compiletest.LoadText(t, "[namespaces]\nuser = false\n[identity]\nhost_root = true\n"), []string{"true"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if pl.IDs != nil {
		t.Fatalf("ids %+v without a user namespace", pl.IDs)
	}
}

// TestHostRootRootless checks that identity.host_root changes nothing for
// a launcher that is not root: it maps its own id, as always.
func TestHostRootRootless(t *testing.T) {
	pl, err := compile.Compile(compiletest.LoadText(t, "[identity]\nhost_root = true\n"), []string{"true"}, compiletest.GoldenHost())
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.IDRange{{Inside: 1000, Outside: 1000, Count: 1}}
	if !reflect.DeepEqual(pl.IDs.UIDMap, want) || !pl.IDs.DenySetgroups {
		t.Fatalf("ids %+v", pl.IDs)
	}
}

// TestRootIDsInCacheKey checks that what a root launch's map depends on is
// part of the plan cache's recorded inputs: the sudo and pkexec variables
// the map came from (whose changed value then changes the digest the
// cache compares), and the user database a pkexec caller's group came
// from.
func TestRootIDsInCacheKey(t *testing.T) {
	passwd := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(passwd, []byte("alice:x:1000:1002::/home/alice:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := &hostview.PlanInputs{}
	h := compiletest.GoldenHost()
	compiletest.AsRootHost(&h)
	h.Passwd, h.Inputs = passwd, in
	h.Env = append(h.Env, "PKEXEC_UID=1000")
	if _, err := compile.Compile(compiletest.LoadText(t, ""), []string{"true"}, h); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(in.Deps(), func(d hostview.Dep) bool { return d.Path == passwd }) {
		t.Errorf("the user database the group came from is not among the plan's inputs")
	}
	if used := in.EnvUsed(); !slices.Contains(used, "PKEXEC_UID") || !slices.Contains(used, "SUDO_UID") {
		t.Errorf("the variables the map came from are not recorded: %v", used)
	}
}
