package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sandbox/internal/instance"
)

// launchCwd is the directory the sandbox of record r was started from: the
// working directory of its launcher, which stays where the user started
// it. enter compiles the profile again "as the launch did", and a profile
// that binds ${CWD} must see the launch's directory, not the one enter is
// run from: from the home directory it would not even load. "" when the
// launcher is gone (process.die_with_parent = false) or is not the
// record's.
func launchCwd(r instance.Record) string {
	if r.Launcher <= 0 {
		return ""
	}
	dir, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", r.Launcher))
	if err != nil || !filepath.IsAbs(dir) || strings.HasSuffix(dir, " (deleted)") {
		return ""
	}
	// A launcher that has exited and whose pid was reused would name
	// another process's directory: only trust one that still runs
	// this program.
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", r.Launcher))
	self, serr := os.Executable()
	if err != nil || serr != nil || exe != self {
		return ""
	}
	return dir
}
