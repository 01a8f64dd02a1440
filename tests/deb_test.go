package tests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// debPaths are what the package must hold: the binary, the shipped
// profiles where the search path looks, the manual pages where man looks
// and the completions where each shell looks.
var debPaths = []string{
	"./usr/bin/sandbox",
	"./usr/share/man/man1/sandbox.1.gz",
	"./usr/share/man/man5/sandbox-profile.5.gz",
	"./usr/share/bash-completion/completions/sandbox",
	"./usr/share/zsh/vendor-completions/_sandbox",
	"./usr/share/fish/vendor_completions.d/sandbox.fish",
}

// TestDebPackage builds the Debian package with `make deb` from a copy of
// the tree, checks what it holds, and, as root, installs it on this
// machine, uses it as a user would, and removes it again.
func TestDebPackage(t *testing.T) {
	_, err := exec.LookPath("dpkg-deb")
	requireOrSkip(t, err == nil, "dpkg-deb builds the package; it is part of dpkg on Debian")
	deb := buildDeb(t)

	contents := hostOutput(t, "dpkg-deb", "-c", deb)
	listed := map[string]string{} // path -> mode
	for _, line := range strings.Split(strings.TrimSpace(contents), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("dpkg-deb -c printed %q", line)
		}
		path := f[5]
		listed[path] = f[0]
		if path != "./" && path != "./usr/" && !strings.HasPrefix(path, "./usr/") {
			t.Errorf("the package installs %s, outside /usr", path)
		}
		if f[1] != "root/root" {
			t.Errorf("%s is owned by %s, want root/root", path, f[1])
		}
	}
	want := append([]string(nil), debPaths...)
	shipped, _ := filepath.Glob("../profiles/*.toml")
	if len(shipped) == 0 {
		t.Fatal("no shipped profiles found in ../profiles")
	}
	for _, p := range shipped {
		want = append(want, "./usr/share/sandbox/profiles/"+filepath.Base(p))
	}
	for _, p := range want {
		if _, ok := listed[p]; !ok {
			t.Errorf("the package lacks %s", p)
		}
	}
	if mode := listed["./usr/bin/sandbox"]; mode != "-rwxr-xr-x" {
		t.Errorf("/usr/bin/sandbox has mode %s, want -rwxr-xr-x", mode)
	}

	fields := map[string]string{}
	for _, name := range []string{"Package", "Version", "Architecture", "Depends", "Recommends"} {
		fields[name] = strings.TrimSpace(hostOutput(t, "dpkg-deb", "-f", deb, name))
	}
	version := strings.Fields(hostOutput(t, filepath.Join(filepath.Dir(deb), "sandbox"), "--version"))[1]
	switch {
	case fields["Package"] != "sandbox":
		t.Errorf("Package: %q", fields["Package"])
	case fields["Version"] != version:
		t.Errorf("Version: %q, the binary says %q", fields["Version"], version)
	case filepath.Base(deb) != "sandbox_"+version+"_"+fields["Architecture"]+".deb":
		t.Errorf("the package is called %s for version %s on %s", filepath.Base(deb), version, fields["Architecture"])
	case !strings.Contains(fields["Depends"], "libseccomp2"):
		t.Errorf("Depends: %q lacks libseccomp2", fields["Depends"])
	case !strings.Contains(fields["Recommends"], "uidmap"):
		t.Errorf("Recommends: %q lacks uidmap", fields["Recommends"])
	}

	t.Run("installed", func(t *testing.T) { installDeb(t, deb) })
}

// buildDeb runs `make deb` in a copy of the tree, so that the test leaves
// the developer's bin/ and build/ as they were, and returns the package.
func buildDeb(t *testing.T) string {
	t.Helper()
	tree := t.TempDir()
	copyTree := exec.Command("sh", "-c", `tar -C .. --exclude=./.git --exclude=./bin --exclude=./build -cf - . | tar -C "$1" -xf -`, "sh", tree)
	if out, err := copyTree.CombinedOutput(); err != nil {
		t.Fatalf("copying the tree: %v\n%s", err, out)
	}
	build := exec.Command("make", "deb")
	build.Dir = tree
	// The make that runs these tests must not lend its jobserver to ours.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") {
			build.Env = append(build.Env, kv)
		}
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tree, "bin", "sandbox_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make deb made %d packages in bin/: %v", len(debs), debs)
	}
	return debs[0]
}

// installDeb installs the package with dpkg, checks it as a user would
// find it, and purges it at the end, leaving the machine as it was.
func installDeb(t *testing.T, deb string) {
	requireOrSkip(t, os.Geteuid() == 0, "installing a package needs root")
	status, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", "sandbox").Output()
	requireOrSkip(t, !strings.Contains(string(status), "installed") || strings.Contains(string(status), "not-installed"),
		"a sandbox package is already installed ("+string(status)+"); the test does not replace it")
	_, err := os.Lstat("/usr/bin/sandbox")
	requireOrSkip(t, os.IsNotExist(err), "/usr/bin/sandbox exists and is not from a package; installing would replace it")

	t.Cleanup(func() {
		dpkg(t, "--purge", "sandbox")
		if _, err := os.Lstat("/usr/bin/sandbox"); !os.IsNotExist(err) {
			t.Errorf("/usr/bin/sandbox is still there after dpkg --purge: %v", err)
		}
	})
	dpkg(t, "-i", deb)

	// A run, as root and as an unprivileged user.
	for _, cred := range []*syscall.Credential{nil, {Uid: nobody, Gid: nobody, Groups: []uint32{}}} {
		r := runInstalled(t, cred, "/usr/bin/sandbox", "-p", "minimal", "--", "/bin/sh", "-c", "echo ran as $(id -u)")
		if r.code != 0 || !strings.Contains(r.stdout, "ran as") {
			t.Errorf("installed sandbox -p minimal (credential %v): %s", cred, r)
		}
	}

	// The profiles are found on the search path, in the package's files.
	r := runInstalled(t, nil, "/usr/bin/sandbox", "list")
	if r.code != 0 {
		t.Fatalf("sandbox list: %s", r)
	}
	shipped, _ := filepath.Glob("../profiles/*.toml")
	for _, p := range shipped {
		name := strings.TrimSuffix(filepath.Base(p), ".toml")
		if !strings.Contains(r.stdout, "/usr/share/sandbox/profiles/"+name+".toml") {
			t.Errorf("sandbox list does not show %s from /usr/share/sandbox/profiles:\n%s", name, r.stdout)
		}
	}

	// The manual pages: where man looks, and found by man when man-db
	// is installed (a minimal machine has no man).
	for _, page := range []string{"/usr/share/man/man1/sandbox.1.gz", "/usr/share/man/man5/sandbox-profile.5.gz"} {
		if _, err := os.Stat(page); err != nil {
			t.Errorf("manual page: %v", err)
		}
	}
	if _, err := exec.LookPath("man"); err == nil {
		r := runInstalled(t, nil, "man", "-w", "sandbox-profile")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "/usr/share/man/man5/sandbox-profile.5.gz" {
			t.Errorf("man -w sandbox-profile: %s", r)
		}
	} else {
		t.Log("man is not installed: checked the manual pages' paths only")
	}

	// The bash completion, as installed, completes profile names from
	// the installed binary.
	r = runInstalled(t, nil, "bash", "-c", `source /usr/share/bash-completion/completions/sandbox
COMP_WORDS=(sandbox -p mi); COMP_CWORD=2; _sandbox; echo "${COMPREPLY[*]}"`)
	if strings.TrimSpace(r.stdout) != "minimal" {
		t.Errorf("bash completion of 'sandbox -p mi': %s", r)
	}
}

// dpkg runs dpkg, waiting while another package manager holds its lock.
func dpkg(t *testing.T, args ...string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		out, err := exec.Command("dpkg", args...).CombinedOutput()
		if err == nil {
			return
		}
		if attempt < 60 && bytes.Contains(out, []byte("lock")) {
			time.Sleep(2 * time.Second)
			continue
		}
		t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// runInstalled runs a command as a login shell would, as root or as cred.
func runInstalled(t *testing.T, cred *syscall.Credential, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/"
	home := "/root"
	if cred != nil {
		home = "/nonexistent"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8", "TERM=dumb",
		// A profile of the caller's own must not hide the package's.
		"XDG_CONFIG_HOME=/nonexistent"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if cmd.ProcessState != nil {
			code = cmd.ProcessState.ExitCode()
		}
		errb.WriteString(err.Error())
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// hostOutput runs a command on the host and returns its output; it must succeed.
func hostOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}
