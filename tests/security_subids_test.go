package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// subidGroup is the supplementary group the subid caller holds; no name is
// needed, the kernel only compares numbers.
const subidGroup = 4242

// asSubidUser runs the launcher as nobody with the supplementary group
// subidGroup and a grant of 200000:65536 in /etc/subuid and /etc/subgid,
// and waits at most a minute.
func asSubidUser(t *testing.T, args ...string) result {
	t.Helper()
	cmd, out, errb := subidCommand(t, "", args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("sandbox %q did not finish within a minute", args)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

// subidCommand is the command asSubidUser runs, not started, with pathDir
// (when not "") first on $PATH. The grant is made in a private mount
// namespace of the launch alone (the files are bound over the host's), so
// the host's files stay untouched. Every program in the chain execs the
// next, so the command's process ends up being the launcher.
func subidCommand(t *testing.T, pathDir string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	for _, tool := range []string{"newuidmap", "newgidmap", "unshare", "setpriv"} {
		_, err := exec.LookPath(tool)
		requireOrSkip(t, err == nil, tool+" is needed (packages uidmap and util-linux)")
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		_, err := os.Stat(f)
		requireOrSkip(t, err == nil, f+" must exist for a private grant to be bound over it")
	}
	dir := sharedDir(t, 0o755)
	for _, f := range []string{"subuid", "subgid"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("nobody:200000:65536\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := "/usr/local/bin:/usr/bin:/bin"
	if pathDir != "" {
		path = pathDir + ":" + path
	}
	script := fmt.Sprintf(`mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid &&
		shift && exec setpriv --reuid=%d --regid=%d --groups=%d env -i PATH=%s \
		HOME=/nonexistent USER=nobody LANG=C.UTF-8 "$@"`, nobody, nobody, subidGroup, path)
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private",
		"sh", "-c", script, "sh", dir, sandboxBin}, args...)...)
	cmd.Dir = "/"
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

// TestP8GroupsWithIDRanges is P4 again with subordinate id ranges: the
// caller's supplementary group shuts out a file mode 0604, and the payload,
// root inside and keeping CAP_SETGID, tries to shed the group to fall into
// "other". With ranges (newgidmap's path, which leaves setgroups allowed)
// as without, setgroups must read "deny" and the file stay unreadable.
func TestP8GroupsWithIDRanges(t *testing.T) {
	requireOrSkip(t, os.Geteuid() == 0, "granting subordinate ids privately and dropping to an unprivileged user need root")
	dir := sharedDir(t, 0o755)
	secret := filepath.Join(dir, "secret")
	public := filepath.Join(dir, "public")
	os.WriteFile(secret, []byte("TOPSECRET\n"), 0o600)
	os.WriteFile(public, []byte("PUBLIC\n"), 0o644)
	if err := os.Chown(secret, 0, subidGroup); err != nil {
		t.Fatal(err)
	}
	os.Chmod(secret, 0o604)

	for _, subids := range []bool{true, false} {
		t.Run(fmt.Sprintf("subids=%v", subids), func(t *testing.T) {
			prof := secProfile(t, "p8.toml", fmt.Sprintf(`extends = ["minimal"]

[identity]
subids = %v
uid = 0
gid = 0

[capabilities]
keep = ["CAP_SETGID"]
%s`, subids, bindTOML("ro-bind", dir, "/p8")))
			// The premise, in the same launch: the group is held, and
			// "other" could read the file (the public neighbour).
			r := asSubidUser(t, "-p", prof, "--", "/bin/sh", "-c",
				`cat /proc/self/setgroups /proc/self/gid_map; grep ^Groups: /proc/self/status; cat /p8/public
				cat /p8/secret; setpriv --clear-groups cat /p8/secret; echo done`)
			if strings.Contains(r.stdout, "TOPSECRET") {
				t.Fatalf("the file shut to the caller's group was read inside:\n%s", r)
			}
			if !strings.Contains(r.stdout, "PUBLIC") || !strings.Contains(r.stdout, "done") {
				t.Fatalf("the control read failed, the test proves nothing:\n%s", r)
			}
			if wantRange := strings.Contains(r.stdout, "200000"); wantRange != subids {
				t.Fatalf("subids=%v but the gid map is:\n%s", subids, r)
			}
			if first, _, _ := strings.Cut(r.stdout, "\n"); first != "deny" {
				t.Errorf("setgroups inside reads %q, want deny:\n%s", first, r)
			}
			if g := statusField(r.stdout, "Groups"); g == "" {
				t.Errorf("the payload holds no supplementary group:\n%s", r)
			}
			if !strings.Contains(r.stderr, "Permission denied") || !strings.Contains(r.stderr, "setgroups failed") {
				t.Errorf("want the read refused and setgroups denied:\n%s", r)
			}
		})
	}
}
