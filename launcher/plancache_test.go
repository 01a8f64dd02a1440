package launcher

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"sandbox/compile"
	"sandbox/egress"
	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/plan"
)

// minimalPlan compiles the shipped minimal profile for this process.
func minimalPlan(t testing.TB, extra string, command ...string) *plan.Plan {
	t.Helper()
	// t, whatever it is: a bare testing.T made here would have no
	// cleanup to remove the profile's directory.
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n"+extra)
	pl, err := compile.Compile(p, command, compiletest.CallerHost())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return pl
}

// TestPlanBlobRoundTrip packs compiled plans as the cache stores them and
// unpacks them as the fast path does: every shipped profile's plan comes
// back exactly as it was laid out (every byte of the plan and its steps,
// everything their pointers lead to), and packing the unpacked plan
// again gives the same bytes. For minimal, the command, the environment
// and the id maps are also checked by name.
func TestPlanBlobRoundTrip(t *testing.T) {
	pl := minimalPlan(t, "[environment]\nset = { GREETING = \"hello\" }\n", "/bin/echo", "a b", "")
	blob, err := packPlan(pl)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpackBlobC(blob)
	if err != nil {
		t.Fatalf("unpacking a packed plan: %v", err)
	}
	if got.cloneFlags != uint64(pl.CloneFlags) || len(got.kinds) != len(pl.Steps) {
		t.Fatalf("clone flags %#x, %d steps; want %#x, %d", got.cloneFlags, len(got.kinds), pl.CloneFlags, len(pl.Steps))
	}
	if want := []string{"/bin/echo", "a b", ""}; !slices.Equal(got.argv, want) {
		t.Errorf("argv %q, want %q", got.argv, want)
	}
	if !slices.Equal(got.env, pl.Env) || !slices.Contains(got.env, "GREETING=hello") {
		t.Errorf("env %q, want %q", got.env, pl.Env)
	}
	var seccomp int
	for _, st := range pl.Steps {
		if s, ok := st.(plan.Seccomp); ok {
			seccomp += len(s.Program)
		}
	}
	if seccomp == 0 || got.dataBytes < seccomp {
		t.Errorf("%d data bytes unpacked, want at least the seccomp program's %d", got.dataBytes, seccomp)
	}
	if m := runIDModeFor(pl); (m == idsSelf || m == idsParent) && got.uidMap != runMapText(pl.IDs.UIDMap) {
		t.Errorf("uid map %q, want %q", got.uidMap, runMapText(pl.IDs.UIDMap))
	}
	checkBlobRoundTrip(t, pl)
	for _, name := range compiletest.ShippedNames(t) {
		t.Run(name, func(t *testing.T) {
			checkBlobRoundTrip(t, withProxySockets(compileShipped(t, name)))
		})
	}
}

// withProxySockets turns a plan's D-Bus and sound socket steps into the
// binds a launch makes of them once its helpers run (startServices), so that every
// plan can be laid out.
func withProxySockets(p *plan.Plan) *plan.Plan {
	rp := *p
	rp.Steps = append([]plan.Step(nil), p.Steps...)
	for i, st := range rp.Steps {
		switch d := st.(type) {
		case plan.DBusSocket:
			rp.Steps[i] = plan.BindMount{From: d.From, Source: "/run/user/1000/sandbox-proxy/" + d.Bus, Target: d.Target, ReadOnly: true}
		case plan.PulseSocket:
			rp.Steps[i] = plan.BindMount{From: d.From, Source: "/run/user/1000/sandbox-proxy/pulse", Target: d.Target, ReadOnly: true}
		}
	}
	return &rp
}

// checkBlobRoundTrip checks that plan's blob unpacks to exactly the layout
// it was packed from, and packs back to itself.
func checkBlobRoundTrip(t *testing.T, pl *plan.Plan) {
	t.Helper()
	want, err := cachedFlat(pl)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := packPlan(pl)
	if err != nil {
		t.Fatal(err)
	}
	got, again, err := unpackFlatC(blob)
	if err != nil {
		t.Fatalf("unpacking a packed plan: %v", err)
	}
	if len(got.steps) != len(pl.Steps) {
		t.Fatalf("%d steps unpacked, want %d", len(got.steps), len(pl.Steps))
	}
	if !bytes.Equal(got.raw, want.raw) || !slices.Equal(got.ptrs, want.ptrs) {
		t.Errorf("the plan came back as %x %q, want %x %q", got.raw, got.ptrs, want.raw, want.ptrs)
	}
	for i := range want.steps {
		g, w := got.steps[i], want.steps[i]
		if !bytes.Equal(g.raw, w.raw) || !slices.Equal(g.ptrs, w.ptrs) {
			t.Errorf("step %d (%s) came back as %x %q, want %x %q", i+1, pl.Steps[i].Kind(), g.raw, g.ptrs, w.raw, w.ptrs)
		}
	}
	if !bytes.Equal(again, blob) {
		t.Error("packing the unpacked plan gave other bytes")
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
	// The steps pointer aimed past the end.
	bad := append([]byte(nil), blob...)
	at := blobLayout()["plan.steps"]
	for i := at; i < at+8; i++ {
		bad[i] = 0xff
	}
	if _, err := unpackBlobC(bad); err == nil {
		t.Error("a steps offset past the end was accepted")
	}
}

var updateFuzz = flag.Bool("update-fuzz", false, "rewrite the FuzzPlanBlob seeds in testdata/fuzz")

// TestPlanBlobRefusesAliasing checks that unpacking refuses every blob
// whose objects overlap each other or the plan's header (H4): each would
// have the rewrite change a field twice, or change bytes another check
// had read. With -update-fuzz it writes them as FuzzPlanBlob's seeds.
func TestPlanBlobRefusesAliasing(t *testing.T) {
	cases := aliasedBlobs(t)
	for _, c := range cases {
		if _, _, err := unpackFlatC(c.blob); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if *updateFuzz {
		dir := filepath.Join("testdata", "fuzz", "FuzzPlanBlob")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", c.blob)
			if err := os.WriteFile(filepath.Join(dir, c.name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

type aliasedBlob struct {
	name string
	blob []byte
}

// aliasedBlobs makes blobs from a real plan whose offsets alias: each
// lies inside the blob and is aligned, so only the overlap check refuses
// it.
func aliasedBlobs(t testing.TB) []aliasedBlob {
	blob, err := packPlan(minimalPlan(t, "", "/bin/sh", "-c", "echo hi"))
	if err != nil {
		t.Fatal(err)
	}
	lay := blobLayout()
	u64 := func(b []byte, at int) uint64 { return binary.NativeEndian.Uint64(b[at:]) }
	put := func(b []byte, at int, v uint64) { binary.NativeEndian.PutUint64(b[at:], v) }
	steps := int(u64(blob, lay["plan.steps"]) - 1)
	nsteps := int(binary.NativeEndian.Uint32(blob[lay["plan.nsteps"]:]))
	step := func(i int, field string) int { return steps + i*lay["step.size"] + lay["step."+field] }
	kind := func(i int) int { return int(binary.NativeEndian.Uint32(blob[step(i, "kind"):])) }
	// Two steps with a path, the exec step and the seccomp step.
	var withPath []int
	execAt, seccompAt := -1, -1
	for i := 0; i < nsteps; i++ {
		if u64(blob, step(i, "path")) != 0 {
			withPath = append(withPath, i)
		}
		switch kind(i) {
		case lay["kind.exec"]:
			execAt = i
		case lay["kind.seccomp"]:
			seccompAt = i
		}
	}
	if len(withPath) < 2 || execAt < 0 || seccompAt < 0 {
		t.Fatalf("the plan lacks the steps the cases need: %d with a path, exec %d, seccomp %d", len(withPath), execAt, seccompAt)
	}
	argv := int(u64(blob, step(execAt, "strv")) - 1)
	var out []aliasedBlob
	edit := func(name string, f func(b []byte)) {
		b := append([]byte(nil), blob...)
		f(b)
		out = append(out, aliasedBlob{name, b})
	}
	edit("steps-over-header", func(b []byte) { put(b, lay["plan.steps"], 1) })
	edit("steps-shifted-one-word", func(b []byte) { put(b, lay["plan.steps"], uint64(steps+8+1)) })
	edit("shared-path", func(b []byte) {
		put(b, step(withPath[1], "path"), u64(b, step(withPath[0], "path")))
	})
	edit("path-inside-header", func(b []byte) { put(b, step(withPath[0], "path"), uint64(lay["plan.envp"]+1)) })
	edit("uid-map-inside-steps", func(b []byte) { put(b, lay["plan.uid_map"], uint64(step(0, "path")+1)) })
	edit("envp-is-steps", func(b []byte) { put(b, lay["plan.envp"], uint64(steps+1)) })
	edit("envp-is-argv", func(b []byte) { put(b, lay["plan.envp"], uint64(argv+1)) })
	edit("argv-entry-is-argv", func(b []byte) { put(b, argv, uint64(argv+1)) })
	edit("argv-is-step-fields", func(b []byte) { put(b, step(execAt, "strv"), uint64(step(execAt, "path")+1)) })
	edit("seccomp-over-steps", func(b []byte) { put(b, step(seccompAt, "data"), uint64(steps+1)) })
	edit("seccomp-overruns", func(b []byte) {
		put(b, step(seccompAt, "data_len"), u64(b, step(seccompAt, "data_len"))+64)
	})
	edit("ids-over-plan", func(b []byte) {
		binary.NativeEndian.PutUint32(b[step(0, "nids"):], 2)
		put(b, step(0, "ids"), uint64(lay["plan.npass"]+1))
	})
	edit("pass-fds-over-header", func(b []byte) {
		binary.NativeEndian.PutUint32(b[lay["plan.npass"]:], 1)
		put(b, lay["plan.pass_fds"], uint64(lay["plan.npass"]+1))
	})
	return out
}

// TestPlanBlobRefusesOtherShapes checks what only the rewritten plan can
// show: clone flags beyond namespaces, and an exec that is not last.
func TestPlanBlobRefusesOtherShapes(t *testing.T) {
	blob, err := packPlan(minimalPlan(t, "", "/bin/true"))
	if err != nil {
		t.Fatal(err)
	}
	lay := blobLayout()
	flags := append([]byte(nil), blob...)
	binary.NativeEndian.PutUint64(flags[lay["plan.clone_flags"]:], binary.NativeEndian.Uint64(flags[lay["plan.clone_flags"]:])|syscall.CLONE_VM)
	if _, _, err := unpackFlatC(flags); err == nil {
		t.Error("a plan with CLONE_VM was accepted")
	}
	short := append([]byte(nil), blob...)
	n := binary.NativeEndian.Uint32(short[lay["plan.nsteps"]:])
	binary.NativeEndian.PutUint32(short[lay["plan.nsteps"]:], n-1)
	if _, _, err := unpackFlatC(short); err == nil {
		t.Error("a plan without its exec step was accepted")
	}
	if _, _, err := unpackFlatC(blob); err != nil {
		t.Fatalf("the undamaged blob: %v", err)
	}
}

// FuzzPlanBlob feeds damaged blobs to the unpacker, which reads a file an
// earlier launch wrote: it must refuse them or produce a plan whose every
// pointer it checked, never read outside the blob (a crash here fails).
// A blob it accepts must pack back to its own bytes, and read the same
// wherever it lies in memory: a field rewritten twice would not pack
// back, and a string or array overlapping a pointer would read
// differently at another address. The seeds (testdata/fuzz) include the
// aliasing cases.
func FuzzPlanBlob(f *testing.F) {
	for _, cmd := range [][]string{{"/bin/true"}, {"/bin/sh", "-c", "echo hi"}} {
		p := compiletest.LoadText(f, "extends = [\"minimal\"]\n")
		pl, err := compile.Compile(p, cmd, compiletest.CallerHost())
		if err != nil {
			f.Fatal(err)
		}
		blob, err := packPlan(pl)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob)
	}
	for _, c := range aliasedBlobs(f) {
		f.Add(c.blob)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		got, again, err := unpackFlatC(blob)
		if err != nil {
			return
		}
		if len(got.steps) == 0 {
			t.Fatal("a plan without steps was accepted")
		}
		if !bytes.Equal(again, blob) {
			t.Fatal("an accepted blob does not pack back to its own bytes")
		}
		moved, _, err := unpackFlatAt(blob, 64)
		if err != nil || !reflect.DeepEqual(moved, got) {
			t.Fatalf("an accepted blob reads differently 64 bytes further (%v)", err)
		}
	})
}

// planCacheKeySpec is the key as plan_cache.h defines it, written out
// independently of fast_lookup.c, which both launch paths use.
func planCacheKeySpec(args []string) [32]byte {
	h := sha256.New()
	h.Write([]byte(planCacheKeyTag + "\x00"))
	h.Write([]byte(strconv.Itoa(len(args)) + "\x00"))
	for _, s := range args {
		h.Write([]byte(s + "\x00"))
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// TestPlanCacheKeyAsDefined checks that the key both launch paths compute
// is the one plan_cache.h defines, that it names the file by its first 8
// bytes, and that the C SHA-256 is SHA-256.
func TestPlanCacheKeyAsDefined(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, args := range [][]string{
		nil,
		{"-p", "minimal", "--", "/bin/true"},
		{"", "ä", long},
		{"X=1"},
	} {
		key, name := planCacheKey(args)
		if want := planCacheKeySpec(args); key != want {
			t.Errorf("%q: key %x, plan_cache.h defines %x", args, key, want)
		}
		if want := fmt.Sprintf("%x.plan", key[:8]); name != want {
			t.Errorf("the key names the file %q, want %q", name, want)
		}
	}
	a, _ := planCacheKey([]string{"a", "b"})
	b, _ := planCacheKey([]string{"ab"})
	if a == b {
		t.Error("two arguments and their concatenation give the same key")
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
	in := &hostview.PlanInputs{}
	if why := planCacheable(base, in); why != "" {
		t.Fatalf("the minimal plan is not cacheable: %s", why)
	}
	if why := planCacheable(base, nil); why == "" {
		t.Error("a plan without recorded inputs is cacheable")
	}
	with := func(f func(p *plan.Plan)) *plan.Plan {
		p := *base
		f(&p)
		return &p
	}
	for name, p := range map[string]*plan.Plan{
		"nat":  with(func(p *plan.Plan) { p.NAT = &plan.NAT{} }),
		"dbus": with(func(p *plan.Plan) { p.DBusProxy = &plan.DBusProxy{} }),
		// The fast path has no egress proxy: a cached filtered plan
		// would start a sandbox whose only way out nobody serves.
		"egress":   with(func(p *plan.Plan) { p.Egress = &plan.Egress{Port: egress.Port} }),
		"warnings": with(func(p *plan.Plan) { p.Warnings = []plan.Warning{{Problem: &plan.Problem{Msg: "no display"}}} }),
		// Only the ordinary launch names the line of a limit that
		// killed the payload (L10).
		"limits.as": with(func(p *plan.Plan) {
			p.Steps = append([]plan.Step{plan.Rlimit{Name: "as", Soft: 1 << 30, Hard: 1 << 30}}, p.Steps...)
		}),
		"id ranges by newuidmap": with(func(p *plan.Plan) {
			p.CloneFlags |= syscall.CLONE_NEWUSER
			p.IDs = &plan.IDMapping{UIDMap: []plan.IDRange{{Inside: 0, Outside: 100000, Count: 65536}},
				GIDMap: []plan.IDRange{{Inside: 0, Outside: 100000, Count: 65536}}, Helper: true}
		}),
	} {
		if why := planCacheable(p, in); why == "" {
			t.Errorf("%s: cacheable", name)
		}
	}
	// Maps the launcher writes itself (a root launch's) are written by
	// the fast path too (fast.c).
	parent := with(func(p *plan.Plan) {
		p.CloneFlags |= syscall.CLONE_NEWUSER
		p.IDs = &plan.IDMapping{UIDMap: []plan.IDRange{{Inside: 0, Outside: 100000, Count: 65536}},
			GIDMap: []plan.IDRange{{Inside: 0, Outside: 100000, Count: 65536}}}
	})
	if why := planCacheable(parent, in); why != "" {
		t.Errorf("a plan whose maps the launcher writes is not cacheable: %s", why)
	}
	refused := &hostview.PlanInputs{}
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
	in := &hostview.PlanInputs{}
	in.Observe(file)
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	in.Observe(file) // seen already: the first state stands
	in.Observe(dir)
	if len(in.Deps()) != 2 {
		t.Fatalf("%d paths recorded, want 2", len(in.Deps()))
	}
	if in.Deps()[0].Lst.Err != syscall.ENOENT || in.Deps()[0].St.Err != syscall.ENOENT {
		t.Errorf("an absent file was recorded as %+v", in.Deps()[0])
	}
	if in.Deps()[1].St.Err != 0 || in.Deps()[1].St.Ino == 0 || in.Deps()[1].St.Mode&syscall.S_IFDIR == 0 {
		t.Errorf("a directory was recorded as %+v", in.Deps()[1])
	}
	var nilInputs *hostview.PlanInputs
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
	in := &hostview.PlanInputs{}
	in.ObservePresence(dir)
	in.ObservePresence(file)
	if why := planCacheable(minimalPlan(t, "", "/bin/true"), in); why != "" {
		t.Fatalf("fresh paths checked for presence only made the plan uncacheable: %s", why)
	}
	if !in.Deps()[1].Presence {
		t.Fatal("a presence check was recorded as a read")
	}
	in.Observe(file)
	if len(in.Deps()) != 2 || in.Deps()[1].Presence {
		t.Fatalf("reading a path checked before did not make it a content dependency: %+v", in.Deps())
	}
	why := planCacheable(minimalPlan(t, "", "/bin/true"), in)
	if !strings.Contains(why, "less than a second ago") || !strings.Contains(why, file) {
		t.Fatalf("a plan read from a file written just now is cacheable (%q)", why)
	}
}

// TestPlanEnvUsed checks which variables a plan depends on: those the
// payload's environment passes (by name and by prefix) and those the
// compiler looked up, and no other.
func TestPlanEnvUsed(t *testing.T) {
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n[environment]\nkeep = [\"DESKTOP_STARTUP_ID\", \"MY_*\"]\n")
	in := &hostview.PlanInputs{}
	h := compiletest.CallerHost()
	h.Inputs = in
	if _, err := compile.Compile(p, []string{"/bin/true"}, h); err != nil {
		t.Fatal(err)
	}
	used := in.EnvUsed()
	for _, want := range append([]string{"DESKTOP_STARTUP_ID", "MY_*", "LC_*"}, "PATH", "HOME", "TERM") {
		if !slices.Contains(used, want) {
			t.Errorf("%s is not recorded: %q", want, used)
		}
	}
	for _, name := range []string{"OLDPWD", "SECRET_TOKEN", "*"} {
		if slices.Contains(used, name) {
			t.Errorf("%s is recorded though the plan does not depend on it: %q", name, used)
		}
	}
	in.UseEnv("A=B")
	if why := planCacheable(minimalPlan(t, "", "/bin/true"), in); why == "" {
		t.Error("a variable name with '=' was recorded, which the cache file cannot list")
	}
}

// planCacheEnvSumSpec is plan_cache.h's env_sum, written out independently
// of fast_env.c.
func planCacheEnvSumSpec(env, names []string) [32]byte {
	h := sha256.New()
	h.Write([]byte(planCacheEnvTag + "\x00"))
	for _, item := range names {
		h.Write([]byte(item + "\x00"))
		prefix, isPrefix := strings.CutSuffix(item, "*")
		for _, kv := range env {
			name, _, _ := strings.Cut(kv, "=")
			if name == item || isPrefix && strings.HasPrefix(name, prefix) {
				h.Write([]byte("\x01" + kv + "\x00"))
			}
		}
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// TestPlanCacheEnvSum checks the digest of the variables a plan depends
// on: it is the one plan_cache.h defines, it changes with any of them (set,
// unset, changed, repeated, one more under a prefix) and with nothing else.
func TestPlanCacheEnvSum(t *testing.T) {
	names := []string{"HOME", "LC_*", "SUDO_UID"}
	base := []string{"HOME=/home/u", "RANDOM_RUN=1", "LC_TIME=C", "OLDPWD=/a"}
	sum := func(env, names []string) [32]byte {
		t.Helper()
		s, err := planCacheEnvSum(env, names)
		if err != nil {
			t.Fatal(err)
		}
		if want := planCacheEnvSumSpec(env, names); s != want {
			t.Errorf("%q over %q: %x, plan_cache.h defines %x", names, env, s, want)
		}
		return s
	}
	b := sum(base, names)
	for _, env := range [][]string{
		{"HOME=/home/u", "RANDOM_RUN=2", "LC_TIME=C", "OLDPWD=/b", "NEW=1"},
		{"HOME=/home/u", "LC_TIME=C"},
		{"LC_TIME=C", "HOME=/home/u"}, // order across names does not count
	} {
		if sum(env, names) != b {
			t.Errorf("%q: a variable the plan does not depend on changed the digest", env)
		}
	}
	for _, env := range [][]string{
		{"HOME=/home/v", "LC_TIME=C"},
		{"LC_TIME=C"},
		{"HOME=/home/u", "LC_TIME=C", "LC_ALL=C"},
		{"HOME=/home/u", "LC_TIME=C", "SUDO_UID=1000"},
		{"HOME=/home/u", "HOME=/x", "LC_TIME=C"},
		{"HOME=/home/u", "LC_TIME=C", "HOME"},
	} {
		if sum(env, names) == b {
			t.Errorf("%q: a change to a variable the plan depends on left the digest as it was", env)
		}
	}
	if sum(base, []string{"*"}) == sum(append(base, "X=1"), []string{"*"}) {
		t.Error(`"*" does not cover the whole environment`)
	}
	if sum(base, nil) != sum(nil, nil) {
		t.Error("a plan that depends on no variable depends on the environment")
	}
	for _, bad := range [][]string{{""}, {"A=B"}, {"A\x01"}} {
		if _, err := planCacheEnvSum(base, bad); err == nil {
			t.Errorf("the name %q was accepted", bad)
		}
	}
}

// compileShipped compiles a shipped profile for the golden host, as the
// golden plans are compiled.
func compileShipped(t *testing.T, name string) *plan.Plan {
	t.Helper()
	pl, err := compile.Compile(compiletest.LoadShipped(t, name), []string{"/bin/true"}, compiletest.GoldenHost())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return pl
}
