package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
)

// command is one way of running a payload.
type command struct {
	name string
	argv []string
	// reference commands are shown for scale; the comparison that
	// matters is sandbox against bwrap.
	reference bool
	// env is added to the command's environment.
	env []string
	// varyEnv names a variable that gets a value of its own at each run
	// (see runValue), which no profile reads.
	varyEnv string
	// files are passed as descriptors 3, 4, ... and rewound before each
	// run, as a file a shell redirects would be.
	files []*os.File
}

// bareBwrapArgs are a hand-written bubblewrap line close to the minimal
// profile, kept as a second reference because earlier figures were taken
// against it: every namespace, read-only /usr and all of /etc, the
// merged-/usr links, private /tmp, /proc and /dev, a new session, no
// capabilities. It has no seccomp filter, no /proc masks and no nested user
// namespace, so it does less than the profile; the "bwrap" command
// (sameIsolation) does what the profile does.
var bareBwrapArgs = []string{
	"--unshare-all",
	"--ro-bind", "/usr", "/usr",
	"--ro-bind", "/etc", "/etc",
	"--symlink", "usr/bin", "/bin",
	"--symlink", "usr/lib", "/lib",
	"--symlink", "usr/lib64", "/lib64",
	"--symlink", "usr/sbin", "/sbin",
	"--tmpfs", "/tmp",
	"--proc", "/proc",
	"--dev", "/dev",
	"--new-session",
	"--die-with-parent",
	"--cap-drop", "ALL",
}

// commands lists every command, in the order runs are interleaved, each
// running payload; same is bwrap with the profile's isolation
// (sameIsolation).
func commands(sandbox string, same command, payload ...string) []command {
	join := func(a []string, b ...string) []string { return append(append([]string(nil), a...), b...) }
	cmds := []command{
		// A launch finds its plan in the plan cache from the second
		// run with the same arguments on; cold compiles the profile
		// every time, as a first launch does.
		{name: "sandbox", argv: join([]string{sandbox, "-p", "minimal", "--"}, payload...)},
		// The same launch in an environment where one variable that
		// no profile reads differs at each run, as a counter or a
		// terminal's id does.
		{name: "sandbox-env", argv: join([]string{sandbox, "-p", "minimal", "--"}, payload...),
			varyEnv: "BENCH_RUN_ID"},
		{name: "sandbox-cold", argv: join([]string{sandbox, "-p", "minimal", "--"}, payload...),
			env: []string{"SANDBOX_PLAN_CACHE=off"}},
		same,
		{name: "bwrap-bare", argv: join(join([]string{"bwrap"}, bareBwrapArgs...), payload...)},
		{name: "unshare", argv: join([]string{"unshare", "-Urmpf", "--mount-proc"}, payload...), reference: true},
		{name: "firejail", argv: join([]string{"firejail", "--quiet", "--noprofile"}, payload...), reference: true},
		{name: "plain", argv: append([]string(nil), payload...), reference: true},
	}
	// Without a translation (the export failed, which is noted) the
	// same-isolation reference is left out.
	return slices.DeleteFunc(cmds, func(c command) bool { return len(c.argv) == 0 })
}

func cmdNamed(cmds []command, name string) command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return command{name: name}
}

// runner starts commands, as the caller or as an unprivileged user.
type runner struct {
	rootless bool
	// runtimeDir is the unprivileged user's $XDG_RUNTIME_DIR, as a
	// login session has one.
	runtimeDir string
}

func (r *runner) who() string {
	if r.rootless {
		return "as uid 65534"
	}
	return fmt.Sprintf("as uid %d", os.Geteuid())
}

// cmd builds an exec.Cmd for c's run number run. Rootless runs get
// uid/gid 65534, no supplementary groups and an environment that names
// nobody's home.
func (r *runner) cmd(c command, run int) (*exec.Cmd, error) {
	if len(c.argv) == 0 {
		return nil, fmt.Errorf("no command line for %s", c.name)
	}
	path, err := exec.LookPath(c.argv[0])
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, c.argv[1:]...)
	if r.rootless {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}},
		}
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent", "USER=nobody", "LOGNAME=nobody"}
		if r.runtimeDir != "" {
			cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+r.runtimeDir)
		}
		cmd.Dir = "/"
	}
	for _, f := range c.files {
		if _, err := f.Seek(0, 0); err != nil {
			return nil, err
		}
	}
	cmd.ExtraFiles = c.files
	env := c.env
	if c.varyEnv != "" {
		env = append(append([]string(nil), env...), c.varyEnv+"="+runValue(run))
	}
	if len(env) > 0 {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, env...)
	}
	return cmd, nil
}

// available runs each command once and keeps those that work. A peer that
// is not installed or fails is left out with a note rather than ending the
// benchmark; the sandbox's own failure is kept so that it is reported.
func (r *runner) available(cmds []command) ([]command, []string) {
	var ok []command
	var notes []string
	for _, c := range cmds {
		err := r.runOnce(c)
		switch {
		case err == nil:
			ok = append(ok, c)
		case c.reference || strings.HasPrefix(c.name, "bwrap"):
			notes = append(notes, fmt.Sprintf("skipping %s: %v", c.name, err))
		default:
			notes = append(notes, fmt.Sprintf("%s does not work: %v", c.name, err))
			ok = append(ok, c)
		}
	}
	return ok, notes
}

func (r *runner) runOnce(c command) error {
	cmd, err := r.cmd(c, -1)
	if err != nil {
		return fmt.Errorf("not installed (%w)", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := bytes.TrimSpace(stderr.Bytes()); len(msg) > 0 {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
