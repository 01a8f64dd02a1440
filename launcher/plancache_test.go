package launcher

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"sandbox/profile"
)

// cacheHost is the golden host with this process's ids, as the launcher
// that stores a plan has.
func cacheHost() Host {
	h := goldenHost()
	h.UID, h.GID, h.EUID = uint32(os.Getuid()), uint32(os.Getgid()), uint32(os.Geteuid())
	return h
}

// minimalPlan compiles the shipped minimal profile for this process.
func minimalPlan(t testing.TB, extra string, command ...string) *Plan {
	t.Helper()
	p := loadText(t.(*testing.T), "extends = [\"minimal\"]\n"+extra)
	plan, err := Compile(p, command, cacheHost())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return plan
}

// TestPlanBlobRoundTrip packs a compiled plan as the cache stores it and
// unpacks it as the fast path does: the steps, the command, the
// environment and the id maps come back intact, and packing the unpacked
// plan again gives the same bytes.
func TestPlanBlobRoundTrip(t *testing.T) {
	plan := minimalPlan(t, "[environment]\nset = { GREETING = \"hello\" }\n", "/bin/echo", "a b", "")
	blob, err := packPlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpackBlobC(blob)
	if err != nil {
		t.Fatalf("unpacking a packed plan: %v", err)
	}
	if got.cloneFlags != uint64(plan.CloneFlags) || len(got.kinds) != len(plan.Steps) {
		t.Fatalf("clone flags %#x, %d steps; want %#x, %d", got.cloneFlags, len(got.kinds), plan.CloneFlags, len(plan.Steps))
	}
	if want := []string{"/bin/echo", "a b", ""}; !slices.Equal(got.argv, want) {
		t.Errorf("argv %q, want %q", got.argv, want)
	}
	if !slices.Equal(got.env, plan.Env) || !slices.Contains(got.env, "GREETING=hello") {
		t.Errorf("env %q, want %q", got.env, plan.Env)
	}
	var seccomp int
	for _, st := range plan.Steps {
		if s, ok := st.(Seccomp); ok {
			seccomp += len(s.Program)
		}
	}
	if seccomp == 0 || got.dataBytes < seccomp {
		t.Errorf("%d data bytes unpacked, want at least the seccomp program's %d", got.dataBytes, seccomp)
	}
	if m := runIDModeFor(plan); (m == idsSelf || m == idsParent) && got.uidMap != runMapText(plan.IDs.UIDMap) {
		t.Errorf("uid map %q, want %q", got.uidMap, runMapText(plan.IDs.UIDMap))
	}
	again, err := packPlan(plan)
	if err != nil || !bytes.Equal(again, blob) {
		t.Errorf("packing twice gave different bytes (%v)", err)
	}
}

// TestPlanBlobRefusesDamage checks that unpacking refuses blobs that are
// cut short or whose offsets lead outside.
func TestPlanBlobRefusesDamage(t *testing.T) {
	blob, err := packPlan(minimalPlan(t, "", "/bin/true"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 64, len(blob) / 2, len(blob) - 1} {
		if _, err := unpackBlobC(blob[:n]); err == nil {
			t.Errorf("a blob cut to %d of %d bytes was accepted", n, len(blob))
		}
	}
	// The steps pointer (after clone_flags and nsteps) aimed past the end.
	bad := append([]byte(nil), blob...)
	for i := 16; i < 24; i++ {
		bad[i] = 0xff
	}
	if _, err := unpackBlobC(bad); err == nil {
		t.Error("a steps offset past the end was accepted")
	}
}

// FuzzPlanBlob feeds damaged blobs to the unpacker, which reads a file an
// earlier launch wrote: it must refuse them or produce a plan whose every
// pointer it checked, never read outside the blob (a crash here fails).
func FuzzPlanBlob(f *testing.F) {
	for _, cmd := range [][]string{{"/bin/true"}, {"/bin/sh", "-c", "echo hi"}} {
		p := loadText(&testing.T{}, "extends = [\"minimal\"]\n")
		plan, err := Compile(p, cmd, cacheHost())
		if err != nil {
			f.Fatal(err)
		}
		blob, err := packPlan(plan)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		got, err := unpackBlobC(blob)
		if err == nil && len(got.kinds) == 0 {
			t.Fatal("a plan without steps was accepted")
		}
	})
}

// TestPlanCacheKeyMatchesC checks that the Go side names and keys a cache
// file exactly as the C side looks it up, and that the C SHA-256 is
// SHA-256.
func TestPlanCacheKeyMatchesC(t *testing.T) {
	long := strings.Repeat("x", 200)
	oldpwd, token := planVolatileIndex("OLDPWD=/a"), planVolatileIndex("DESKTOP_STARTUP_ID=x")
	if oldpwd < 0 || token < 0 || planVolatileIndex("OLDPWDX=/a") >= 0 || planVolatileIndex("PWD=/") >= 0 {
		t.Fatalf("volatile variables misread: OLDPWD %d, DESKTOP_STARTUP_ID %d", oldpwd, token)
	}
	volatileEnv := []string{"HOME=/root", "OLDPWD=/a", "DESKTOP_STARTUP_ID=x", "_=/usr/bin/sandbox"}
	for _, tc := range []struct {
		args, env []string
		kept      uint64
	}{
		{nil, nil, 0},
		{[]string{"-p", "minimal", "--", "/bin/true"}, []string{"HOME=/root", "PATH=/usr/bin"}, 0},
		{[]string{"", "ä", long}, []string{"A=" + long, "B="}, 0},
		// The argument count keeps arguments and variables apart.
		{[]string{"X=1"}, nil, 0},
		{nil, []string{"X=1"}, 0},
		{nil, volatileEnv, 0},
		{nil, volatileEnv, 1 << token},
		{nil, volatileEnv, 1<<token | 1<<oldpwd},
	} {
		key := planCacheKey(tc.args, tc.env, tc.kept)
		ckey, name := cacheKeyC(append([]string{"sandbox"}, tc.args...), tc.env, tc.kept)
		if key != ckey {
			t.Errorf("%q %q kept %#x: Go key %x, C key %x", tc.args, tc.env, tc.kept, key, ckey)
		}
		if want := fmt.Sprintf("%x.plan", key[:8]); name != want {
			t.Errorf("C names the file %q, Go %q", name, want)
		}
	}
	a, _ := cacheKeyC([]string{"sandbox", "X=1"}, nil, 0)
	b, _ := cacheKeyC([]string{"sandbox"}, []string{"X=1"}, 0)
	if a == b {
		t.Error("an argument and a variable give the same key")
	}
	// Volatile variables are left out unless kept; everything else
	// counts.
	base := planCacheKey(nil, []string{"HOME=/root"}, 0)
	if planCacheKey(nil, volatileEnv[:3], 0) != planCacheKey(nil, []string{"HOME=/root", "OLDPWD=/b"}, 0) ||
		planCacheKey(nil, volatileEnv, 0) != base {
		t.Error("a volatile variable changes the key")
	}
	if planCacheKey(nil, volatileEnv, 1<<token) == base ||
		planCacheKey(nil, []string{"HOME=/home"}, 0) == base {
		t.Error("a kept volatile variable, or another variable, leaves the key as it was")
	}
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 300; n++ {
		b := make([]byte, n)
		r.Read(b)
		if sha256C(b) != sha256.Sum256(b) {
			t.Fatalf("C SHA-256 of %d bytes differs", n)
		}
	}
}

// TestPlanCacheable checks which plans the fast path may run: only those
// the launcher runs without help and without warnings, compiled from
// inputs it can check.
func TestPlanCacheable(t *testing.T) {
	base := minimalPlan(t, "", "/bin/true")
	in := &PlanInputs{}
	if why := planCacheable(base, in); why != "" {
		t.Fatalf("the minimal plan is not cacheable: %s", why)
	}
	if why := planCacheable(base, nil); why == "" {
		t.Error("a plan without recorded inputs is cacheable")
	}
	with := func(f func(p *Plan)) *Plan {
		p := *base
		f(&p)
		return &p
	}
	for name, p := range map[string]*Plan{
		"nat":      with(func(p *Plan) { p.NAT = &NAT{} }),
		"dbus":     with(func(p *Plan) { p.DBusProxy = &DBusProxy{} }),
		"warnings": with(func(p *Plan) { p.Warnings = []*profile.Error{{Msg: "no display"}} }),
		"id ranges by newuidmap": with(func(p *Plan) {
			p.CloneFlags |= syscall.CLONE_NEWUSER
			p.IDs = &IDMapping{UIDMap: []profile.IDRange{{Inside: 0, Outside: 100000, Count: 65536}},
				GIDMap: []profile.IDRange{{Inside: 0, Outside: 100000, Count: 65536}}, Helper: true}
		}),
	} {
		if why := planCacheable(p, in); why == "" {
			t.Errorf("%s: cacheable", name)
		}
	}
	// Maps the launcher writes itself (a root launch's) are written by
	// the fast path too (fast.c).
	parent := with(func(p *Plan) {
		p.CloneFlags |= syscall.CLONE_NEWUSER
		p.IDs = &IDMapping{UIDMap: []profile.IDRange{{Inside: 0, Outside: 100000, Count: 65536}},
			GIDMap: []profile.IDRange{{Inside: 0, Outside: 100000, Count: 65536}}}
	})
	if why := planCacheable(parent, in); why != "" {
		t.Errorf("a plan whose maps the launcher writes is not cacheable: %s", why)
	}
	refused := &PlanInputs{}
	refused.Refuse("a helper on $PATH")
	if why := planCacheable(base, refused); why != "a helper on $PATH" {
		t.Errorf("refused inputs: %q", why)
	}
}

// TestPlanInputsRecordState checks that an observed path is recorded as it
// was when observed, absent or present, so that a later change shows.
func TestPlanInputsRecordState(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/p.toml"
	in := &PlanInputs{}
	in.Observe(file)
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	in.Observe(file) // seen already: the first state stands
	in.Observe(dir)
	if len(in.deps) != 2 {
		t.Fatalf("%d paths recorded, want 2", len(in.deps))
	}
	if in.deps[0].lst.err != syscall.ENOENT || in.deps[0].st.err != syscall.ENOENT {
		t.Errorf("an absent file was recorded as %+v", in.deps[0])
	}
	if in.deps[1].st.err != 0 || in.deps[1].st.ino == 0 || in.deps[1].st.mode&syscall.S_IFDIR == 0 {
		t.Errorf("a directory was recorded as %+v", in.deps[1])
	}
	var nilInputs *PlanInputs
	nilInputs.Observe(file) // a nil recorder records nothing
	nilInputs.Refuse("x")
}

// TestPlanInputsKinds checks the two kinds of dependency: a path checked
// for presence (a bind source) is compared by type only and may have
// changed a moment ago; a file read must have been still for a second, so
// that two changes within one tick of the file's clock cannot hide.
func TestPlanInputsKinds(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/fresh.toml"
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := &PlanInputs{}
	in.ObservePresence(dir)
	in.ObservePresence(file)
	if why := planCacheable(minimalPlan(t, "", "/bin/true"), in); why != "" {
		t.Fatalf("fresh paths checked for presence only made the plan uncacheable: %s", why)
	}
	if !in.deps[1].presence {
		t.Fatal("a presence check was recorded as a read")
	}
	in.Observe(file)
	if len(in.deps) != 2 || in.deps[1].presence {
		t.Fatalf("reading a path checked before did not make it a content dependency: %+v", in.deps)
	}
	why := planCacheable(minimalPlan(t, "", "/bin/true"), in)
	if !strings.Contains(why, "less than a second ago") || !strings.Contains(why, file) {
		t.Fatalf("a plan read from a file written just now is cacheable (%q)", why)
	}
}

// TestPlanVolatileKept checks which volatile variables a plan's key keeps:
// those the payload receives and those the compiler looked up.
func TestPlanVolatileKept(t *testing.T) {
	plan := minimalPlan(t, "[environment]\nkeep = [\"DESKTOP_STARTUP_ID\"]\n", "/bin/true")
	in := &PlanInputs{}
	if kept := planVolatileKept(plan, in); kept != 0 {
		t.Fatalf("a plan without the variable (the host has none) keeps %#x", kept)
	}
	withToken := *plan
	withToken.Env = append(append([]string(nil), plan.Env...), "DESKTOP_STARTUP_ID=x")
	if kept := planVolatileKept(&withToken, in); kept != 1<<planVolatileIndex("DESKTOP_STARTUP_ID") {
		t.Errorf("a payload given DESKTOP_STARTUP_ID: kept %#x", kept)
	}
	in.UseEnv("OLDPWD")
	if kept := planVolatileKept(plan, in); kept != 1<<planVolatileIndex("OLDPWD") {
		t.Errorf("a compile that looked OLDPWD up: kept %#x", kept)
	}
}
