package smoketest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A smoke test runs with a home directory of its own, made empty for it
// (checklist H3). test.setup runs on the host and writes where the profile
// reads, usually ${XDG_DOWNLOAD_DIR}: in the caller's real home that is a
// directory earlier sandboxes could write, and a payload that planted a
// symlink there (~/Downloads/sandbox-smoke-firefox.html -> ~/.bashrc)
// would have the host-side setup write through it. In a home made a moment
// before, nothing is planted; setup, the sandbox and check all see it as
// ${HOME}, with the XDG directories at their defaults below it. Only the
// profile search path stays the caller's, so that `sandbox test NAME`
// finds the caller's own profiles.

// smokeDirsVar passes the caller's profile search path to the smoke test's
// child launcher, whose HOME is the scratch home.
const smokeDirsVar = "SANDBOX_TEST_PROFILE_DIRS"

// smokeHomeVars are the variables that would point into the caller's real
// home; they are dropped so that their defaults below the scratch home
// apply.
var smokeHomeVars = []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"}

// smokeHome makes the scratch home and points c at it.
func smokeHome(c *Caller) (home string, err error) {
	home, err = os.MkdirTemp("", "sandbox-test-home-")
	if err != nil {
		return "", err
	}
	c.Env.Home = home
	c.Env.UserDirs = nil
	vars := map[string]string{}
	for k, v := range c.Env.Vars {
		vars[k] = v
	}
	for _, k := range smokeHomeVars {
		delete(vars, k)
	}
	vars["HOME"] = home
	c.Env.Vars = vars
	c.Host.Home = home
	c.Host.Env = smokeEnv(c.Host.Env, home, c.Src.Dirs)
	return home, nil
}

// smokeEnv is env with HOME set to home, the XDG base directory variables
// dropped, and the profile search path passed on.
func smokeEnv(env []string, home string, dirs []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || k == smokeDirsVar || slices.Contains(smokeHomeVars, k) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOME="+home, smokeDirsVar+"="+strings.Join(dirs, ":"))
}

// smokeChildDirs is the search path the child launcher of a smoke test
// uses: the one `sandbox test` was started with, not the scratch home's.
func smokeChildDirs(c *Caller) {
	if v := os.Getenv(smokeDirsVar); v != "" {
		var dirs []string
		for _, d := range strings.Split(v, ":") {
			if filepath.IsAbs(d) {
				dirs = append(dirs, d)
			}
		}
		c.Src.Dirs = dirs
	}
}
