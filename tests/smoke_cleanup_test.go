package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smokeLeftoverParent is a profile whose test writes, as the browsers'
// tests do, a page into Downloads on the host (setup) and, inside, a
// directory without write permission there, which an unprivileged caller
// cannot simply remove.
const smokeLeftoverParent = `extends = ["base"]

[[mount]]
type = "bind"
source = "${XDG_DOWNLOAD_DIR}"

[test]
setup = ["sh", "-c", 'mkdir -p "$$1" && echo page > "$$1/sandbox-smoke-leftover.html"', "sh", "${XDG_DOWNLOAD_DIR}"]
command = ["sh", "-c", '''
[ -s "$$1/sandbox-smoke-leftover.html" ] || { echo "setup wrote no page"; exit 1; }
mkdir -p "$$1/ro" && { [ -e "$$1/ro/f" ] || touch "$$1/ro/f"; } && chmod 0500 "$$1/ro" && echo made
''', "sh", "${XDG_DOWNLOAD_DIR}"]
expect_output = "made"
`

// TestSmokeLeavesNothingAndNamesInheritedTests runs `sandbox test` on a
// profile with a test of its own and on a user profile that only extends
// it, as root and as an unprivileged user: the second line says the test
// was inherited, and once the run is over nothing the tests wrote is left,
// neither in the temporary directory (the scratch home with its Downloads
// and the read-only directory, the project directory) nor in the caller's
// own Downloads.
func TestSmokeLeavesNothingAndNamesInheritedTests(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		parent := writeProfile(t, "leftover-parent.toml", smokeLeftoverParent)
		child := writeProfile(t, "leftover-child.toml", "extends = [\""+parent+"\"]\ndescription = \"only inherits\"\n")
		tmp := sharedDir(t, 0o777)
		home := sharedDir(t, 0o777)
		if err := os.Mkdir(filepath.Join(home, "Downloads"), 0o777); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sandboxBin, "test", parent, child)
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "TMPDIR=" + tmp, "LANG=C.UTF-8"}
		if m.rootless() {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sandbox test: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "ok   "+parent+" ") || strings.Contains(lines[0], "inherited") {
			t.Errorf("the parent's line is not a plain ok:\n%s", out)
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "ok   "+child+" ") ||
			!strings.Contains(lines[1], "no test of its own: ran the test inherited from leftover-parent") {
			t.Errorf("the child's line does not say its test is its parent's:\n%s", out)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("sandbox test left %v in its temporary directory", names)
		}
		if left, _ := os.ReadDir(filepath.Join(home, "Downloads")); len(left) != 0 {
			t.Errorf("sandbox test wrote %d entries into the caller's Downloads", len(left))
		}
	})
}
