package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sandbox/launcher"
)

// User namespaces. Every launch needs one, root's too: a root launch maps
// the sandbox's ids to an unprivileged host id through it
// (compile/ids_root.go), and base.toml sets namespaces.user =
// true. So a namespace this user cannot create is a failure for root and
// rootless alike. The sysctls only explain a failure: the probe, which
// creates a user and a mount namespace and mounts in it as a launch does,
// is what decides, because an AppArmor profile for the binary or a
// distribution's patch can let through what a sysctl alone would forbid.

// The hidden arguments of the probe's own processes.
const (
	probeUsernsArg = "--probe-userns" // run probeUserns, as the id it was started with
	probeMountArg  = "--probe-mount"  // inside the new namespaces: mount as a launch does
)

const (
	sysctlUnprivClone = "kernel.unprivileged_userns_clone"
	sysctlMaxUserns   = "user.max_user_namespaces"
	sysctlAppArmor    = "kernel.apparmor_restrict_unprivileged_userns"
)

func usernsFindings(h doctorHost) []doctorFinding {
	probeErr := h.UserNS()
	who := fmt.Sprintf("uid %d", h.UID)
	if h.root() {
		who = "root"
	}
	// A sysctl that forbids what the probe did anyway only warns.
	blocked := func(check, fix, format string, a ...any) doctorFinding {
		if probeErr != nil {
			return findFail(check, fix, format, a...)
		}
		return findWarn(check, fix, format+" (yet the probe succeeded)", a...)
	}
	var fs []doctorFinding
	if v, ok := h.sysctl(sysctlUnprivClone); ok {
		switch {
		case v != "0":
			fs = append(fs, findOK("unprivileged_userns_clone", "%s = %s: unprivileged users may create user namespaces", sysctlUnprivClone, v))
		case h.root():
			fs = append(fs, findWarn("unprivileged_userns_clone", usernsAllow(sysctlUnprivClone),
				"%s = 0: root can launch, but no other user can run a sandbox", sysctlUnprivClone))
		default:
			fs = append(fs, blocked("unprivileged_userns_clone", usernsAllow(sysctlUnprivClone),
				"%s = 0: only root may create user namespaces", sysctlUnprivClone))
		}
	}
	switch v, ok := h.sysctl(sysctlMaxUserns); {
	case !ok:
		fs = append(fs, blocked("max_user_namespaces", "use a kernel built with CONFIG_USER_NS=y",
			"%s does not exist: this kernel has no user namespaces", sysctlMaxUserns))
	case v == "0":
		fs = append(fs, blocked("max_user_namespaces", usernsAllow(sysctlMaxUserns),
			"%s = 0: nobody, not even root, may create a user namespace", sysctlMaxUserns))
	default:
		fs = append(fs, findOK("max_user_namespaces", "%s = %s", sysctlMaxUserns, v))
	}
	apparmorFix := "allow user namespaces to this binary with an AppArmor profile (a file in /etc/apparmor.d with `profile sandbox /PATH/TO/sandbox flags=(unconfined) { userns, }`, then sudo apparmor_parser -r FILE), or " +
		usernsAllow(sysctlAppArmor)
	if v, ok := h.sysctl(sysctlAppArmor); ok && v != "0" {
		if h.root() {
			fs = append(fs, findWarn("apparmor_userns", apparmorFix,
				"%s = %s: root can launch, but AppArmor keeps other users' sandboxes from mounting", sysctlAppArmor, v))
		} else {
			fs = append(fs, blocked("apparmor_userns", apparmorFix,
				"%s = %s: AppArmor takes every capability from an unprivileged user namespace, so a sandbox cannot mount", sysctlAppArmor, v))
		}
	} else {
		fs = append(fs, findOK("apparmor_userns", "no AppArmor restriction of unprivileged user namespaces"))
	}
	if probeErr == nil {
		fs = append(fs, findOK("userns_create", "%s created a user and a mount namespace and mounted in it", who))
	} else {
		fix := "allow user namespaces (see the failed checks above)"
		if len(fs) == 0 || !anyStatus(fs, statusFail) {
			fix = "check that the kernel has CONFIG_USER_NS=y and that no container or seccomp policy refuses clone(CLONE_NEWUSER)"
		}
		fs = append(fs, findFail("userns_create", fix, "%s cannot create a user namespace and mount in it: %v", who, probeErr))
	}
	if h.root() {
		fs = append(fs, unprivilegedUsernsFinding(h))
	}
	return fs
}

// unprivilegedUsernsFinding is, for root, whether the user root stands
// in for (the sudo or pkexec caller, else nobody) could run a sandbox
// without root.
func unprivilegedUsernsFinding(h doctorHost) doctorFinding {
	uid, gid, who := uint32(65534), uint32(65534), "nobody (uid 65534)"
	for _, v := range []string{"SUDO_UID", "PKEXEC_UID"} {
		if n, err := strconv.ParseUint(h.Env[v], 10, 32); err == nil && n != 0 {
			uid, who = uint32(n), fmt.Sprintf("uid %d ($%s)", n, v)
			gid = uid
			if g, err := strconv.ParseUint(h.Env["SUDO_GID"], 10, 32); err == nil && v == "SUDO_UID" {
				gid = uint32(g)
			}
			break
		}
	}
	if err := h.UserNSAs(uid, gid); err != nil {
		return findWarn("userns_unprivileged", "see the user namespace checks above; root launches are not affected",
			"%s cannot create a user namespace and mount in it, so it cannot run a sandbox without root: %v", who, err)
	}
	return findOK("userns_unprivileged", "%s can create a user namespace and mount in it: rootless launches work", who)
}

// usernsAllow is the command that lifts a sysctl of
// launcher.UsernsSettings, the same one a failed launch suggests.
func usernsAllow(name string) string {
	for _, st := range launcher.UsernsSettings() {
		if st.Name == name {
			return launcher.UsernsAllowCommand(name, st.Allow)
		}
	}
	return "sudo sysctl -w " + name + "=..."
}

func anyStatus(fs []doctorFinding, status string) bool {
	for _, f := range fs {
		if f.Status == status {
			return true
		}
	}
	return false
}

// probeUserns starts this binary in a new user and mount namespace, with
// the caller's own ids mapped, where it mounts as a launch does. The
// mount, not only the clone, is what AppArmor's restriction refuses.
func probeUserns() error {
	uid, gid := os.Getuid(), os.Getgid()
	return runProbe(probeMountArg, &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}},
		// Unprivileged, the gid map can be written only after
		// setgroups is denied.
		GidMappingsEnableSetgroups: false,
		Pdeathsig:                  syscall.SIGKILL,
	})
}

// probeUsernsAs runs the probe as another id: root restarts this binary
// with that id, which then probes as itself.
func probeUsernsAs(uid, gid uint32) error {
	return runProbe(probeUsernsArg, &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	})
}

// runProbe runs this binary's hidden doctor step arg in attr's setting.
func runProbe(arg string, attr *syscall.SysProcAttr) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "/proc/self/exe", "doctor", arg)
	c.SysProcAttr = attr
	c.Dir = "/"
	c.Env = []string{"PATH=/usr/bin:/bin"}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		if msg := strings.TrimSpace(out.String()); msg != "" {
			return fmt.Errorf("%s", msg)
		}
		return err
	}
	return nil
}

// probeUsernsMain is the process probeUsernsAs starts.
func probeUsernsMain(stderr io.Writer) int {
	if err := probeUserns(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// probeMountMain runs inside the probe's namespaces: it makes the mounts
// private and mounts a tmpfs, the first things the launcher's child does.
// It first takes a mount namespace of its own, so that even when someone
// runs `sandbox doctor --probe-mount` by hand as root, on the host, the
// tmpfs lands nowhere but in a namespace that dies with this thread.
func probeMountMain(stderr io.Writer) int {
	runtime.LockOSThread() // never unlocked: the namespace is this thread's
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		fmt.Fprintf(stderr, "creating a mount namespace: %v\n", err)
		return 1
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Fprintf(stderr, "making the mounts private: %v\n", err)
		return 1
	}
	if err := unix.Mount("sandbox-doctor", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=4k"); err != nil {
		fmt.Fprintf(stderr, "mounting a tmpfs: %v\n", err)
		return 1
	}
	return 0
}
