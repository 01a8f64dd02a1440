// Package testutil builds small plans by hand and runs them, in the test
// process or in a copy of the test binary re-executed as another user, for
// the tests of the launcher's runtime. It does not use Compile: the runtime
// is tested on plans whose every step the test chose.
//
// It imports the launcher, so only external test packages (launcher_test)
// and other packages can use it.
package testutil

import (
	"os"
	"path/filepath"
	"syscall"

	"sandbox/plan"
)

// Builder describes a small sandbox: the host's /usr read-only with the
// usual /bin, /lib... links, a fresh /proc, /dev and /tmp, the root
// pivoted, every capability dropped and no_new_privs set.
type Builder struct {
	// Argv is the payload; Env its environment (PATH is added).
	Argv []string
	Env  []string
	// UserNS creates a user namespace that maps the caller's own uid
	// and gid to UID and GID inside (the caller's by default).
	UserNS   bool
	UID, GID int
	// IDs replaces the single-id map (with UserNS).
	IDs *plan.IDMapping
	// Flags are the namespaces besides mount and user; default pid,
	// net, ipc and uts.
	Flags uintptr
	// Mounts are added after the base view, before the pivot.
	Mounts []plan.Step
	// AfterPivot are added right after the pivot (LockMounts...); a
	// Chdir among them replaces the default one to /.
	AfterPivot []plan.Step
	// Privileges replace the default Capabilities{} and NoNewPrivs.
	Privileges []plan.Step
	// Keep and Ambient shape the default Capabilities step.
	Keep    []uint
	Ambient bool
	// Init, DieWithParent, NewSession and PassFDs go to the plan.
	Init, DieWithParent, NewSession bool
	PassFDs                         []int
}

// New returns a builder for argv with the caller's own ids inside and a
// user namespace unless the caller is root.
func New(argv ...string) *Builder {
	return &Builder{
		Argv:   argv,
		UserNS: os.Geteuid() != 0,
		UID:    os.Geteuid(),
		GID:    os.Getegid(),
		Flags:  syscall.CLONE_NEWPID | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
	}
}

// At is an origin for hand-written steps: test.toml, the given line.
func At(line int) plan.From {
	return plan.From{At: plan.Origin{File: "test.toml", Line: line, Col: 1}}
}

// BaseView is the host's /usr read-only, the top-level links a merged-/usr
// system has (or binds where the host has real directories), /proc, /dev
// and a /tmp.
func BaseView() []plan.Step {
	steps := []plan.Step{
		plan.BindMount{From: At(1), Source: "/usr", Target: "/usr", ReadOnly: true},
	}
	for _, name := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		host := "/" + name
		fi, err := os.Lstat(host)
		switch {
		case err != nil:
			continue
		case fi.Mode()&os.ModeSymlink != 0:
			to, err := os.Readlink(host)
			if err != nil {
				continue
			}
			steps = append(steps, plan.Symlink{From: At(2), Target: host, LinkTo: to})
		case fi.IsDir():
			steps = append(steps, plan.BindMount{From: At(2), Source: host, Target: host, ReadOnly: true})
		}
	}
	return append(steps,
		plan.Proc{From: At(3), Target: "/proc"},
		plan.Dev{From: At(4), Target: "/dev"},
		plan.Tmpfs{From: At(5), Target: "/tmp", Mode: 0o1777},
	)
}

// Plan builds the plan.
func (b *Builder) Plan() *plan.Plan {
	p := &plan.Plan{
		Profile:       "test",
		Files:         []string{"test.toml"},
		CloneFlags:    syscall.CLONE_NEWNS | b.Flags,
		Env:           append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, b.Env...),
		DieWithParent: b.DieWithParent,
		PassFDs:       b.PassFDs,
	}
	if b.UserNS {
		p.CloneFlags |= syscall.CLONE_NEWUSER
		p.IDs = &plan.IDMapping{
			UIDMap:        []plan.IDRange{{Inside: uint32(b.UID), Outside: uint32(os.Geteuid()), Count: 1}},
			GIDMap:        []plan.IDRange{{Inside: uint32(b.GID), Outside: uint32(os.Getegid()), Count: 1}},
			DenySetgroups: true,
		}
		if b.IDs != nil {
			p.IDs = b.IDs
		}
	}
	p.Steps = append(p.Steps, plan.MakePrivate{}, plan.NewRoot{})
	p.Steps = append(p.Steps, BaseView()...)
	p.Steps = append(p.Steps, b.Mounts...)
	p.Steps = append(p.Steps, plan.PivotRoot{})
	p.Steps = append(p.Steps, b.AfterPivot...)
	if Index(p, "chdir") < 0 {
		p.Steps = append(p.Steps, plan.Chdir{From: At(6), Dir: "/"})
	}
	if b.Privileges != nil {
		p.Steps = append(p.Steps, b.Privileges...)
	} else {
		p.Steps = append(p.Steps,
			plan.Capabilities{From: At(7), Keep: b.Keep, Ambient: b.Ambient},
			plan.NoNewPrivs{From: At(8)})
	}
	if b.NewSession {
		p.Steps = append(p.Steps, plan.NewSession{From: At(9)})
	}
	p.Steps = append(p.Steps, plan.Exec{From: At(10), Argv: b.Argv, Path: "/usr/local/bin:/usr/bin:/bin", Init: b.Init})
	return p
}

// Index returns the index of the first step of p whose kind is kind, or -1.
func Index(p *plan.Plan, kind string) int {
	for i, s := range p.Steps {
		if s.Kind() == kind {
			return i
		}
	}
	return -1
}

// Shell returns argv that runs script with the host's /bin/sh.
func Shell(script string) []string {
	return []string{"/bin/sh", "-c", script}
}

// Probe is where Probes bind the test binary inside a sandbox.
const Probe = "/probe/test"

// ProbeMount binds the (world-readable) test binary bin at Probe.
func ProbeMount(bin string) plan.Step {
	return plan.BindMount{From: At(20), Source: bin, Target: filepath.Clean(Probe), ReadOnly: true}
}
