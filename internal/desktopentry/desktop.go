package desktopentry

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sandbox/internal/nofollow"
)

// install writes a user entry with the same desktop file id as the
// system one, which it hides, whose every command line goes through
// sandbox; audit finds the programs that can still start unsandboxed.

// exitLauncher is the status of a launcher failure, the one every
// subcommand of sandbox exits with when it cannot do what it was asked.
const exitLauncher = 125

// desktopCtx is what every desktop subcommand works with.
type desktopCtx struct {
	dirs           xdgData
	o              Options
	sb             Sandbox // o.Sandbox
	stdout, stderr io.Writer
}

func newCtx(o Options) *desktopCtx {
	return &desktopCtx{dirs: newXDGData(o.Env.Vars, o.Env.Home), o: o, sb: o.Sandbox, stdout: o.Stdout, stderr: o.Stderr}
}

// self is the absolute path of the sandbox binary for the entries to run.
// A menu starts programs with its own PATH and working directory, so only
// an absolute path is certain to find the same binary.
func (ctx *desktopCtx) self() (string, error) {
	exe, err := ctx.sb.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the sandbox binary: %w", err)
	}
	exe, err = filepath.Abs(exe)
	if err != nil {
		return "", fmt.Errorf("finding the sandbox binary: %w", err)
	}
	// Prefer the installed path when it is this very binary: it is the
	// name that survives an upgrade.
	for _, installed := range []string{"/usr/bin/sandbox", "/usr/local/bin/sandbox"} {
		if sameFile(exe, installed) {
			return installed, nil
		}
	}
	return exe, nil
}

func sameFile(a, b string) bool {
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}

// resolveApp finds the desktop file id APP names among the system entries
// and the user's own: an id with or without ".desktop", else the one entry
// whose program (or, for an entry we wrote, whose sandboxed program) has
// that name.
func (ctx *desktopCtx) resolveApp(app string, system map[string]string) (string, error) {
	user := scanApps(ctx.dirs.userApps())
	known := func(id string) bool { return system[id] != "" || user[id] != "" }
	if strings.HasSuffix(app, ".desktop") {
		if known(app) {
			return app, nil
		}
		return "", fmt.Errorf("no desktop entry %s in %s or the applications directory of %s", app, ctx.dirs.userApps(), strings.Join(ctx.dirs.system, ":"))
	}
	if known(app + ".desktop") {
		return app + ".desktop", nil
	}
	var matches []string
	seen := map[string]bool{}
	for _, m := range []map[string]string{system, user} {
		for _, id := range sortedIDs(m) {
			if seen[id] {
				continue
			}
			seen[id] = true
			if filepath.Base(ctx.sb.entryProgram(m[id])) == app {
				matches = append(matches, id)
			}
		}
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("no desktop entry is called %s or runs a program called %s; 'ls %s' shows the ids", app, app, filepath.Join(ctx.dirs.system[len(ctx.dirs.system)-1], "applications"))
	case 1:
		return matches[0], nil
	}
	return "", fmt.Errorf("several desktop entries run %s: %s; name one", app, strings.Join(matches, ", "))
}

// entryProgram is the program the main Exec of the entry at path runs,
// looking through sandbox for an entry we wrote.
func (sb Sandbox) entryProgram(path string) string {
	kf, err := readKeyFile(path)
	if err != nil {
		return ""
	}
	v, ok := kf.get(groupEntry, "Exec")
	if !ok {
		return ""
	}
	argv, err := splitExec(v)
	if err != nil {
		return ""
	}
	if p := sb.sandboxedProgram(argv); p != "" {
		return p
	}
	return programOf(argv)
}

// The user's data directory is one a sandbox may have been able to write
// (checklist H3): a payload could have planted a symlink where install or
// remove later writes, to make it overwrite ~/.bashrc. So its files are
// read, written, renamed and removed through nofollow: never through a
// link, and never over a file other than the one just read and checked.

// openUserDir opens the directory of path, below the home directory,
// without following a link; create makes what is missing.
func (ctx *desktopCtx) openUserDir(path string, create bool) (*nofollow.Dir, error) {
	dir := filepath.Dir(path)
	return nofollow.OpenDir(nofollow.TrustedBase(ctx.o.Env.Home, dir), dir, create)
}

// readUserKeyFile reads an entry or service file of the user's data
// directory, never through a link, with its identity for a later replace
// or remove.
func (ctx *desktopCtx) readUserKeyFile(path string) (*keyFile, nofollow.FileID, error) {
	d, err := ctx.openUserDir(path, false)
	if err != nil {
		return nil, nofollow.FileID{}, err
	}
	defer d.Close()
	data, id, err := d.ReadFile(filepath.Base(path), maxKeyFile)
	if err != nil {
		return nil, nofollow.FileID{}, err
	}
	kf, err := parseKeyFile(path, string(data))
	if err != nil {
		return nil, nofollow.FileID{}, err
	}
	return kf, id, nil
}

// readKeyFileAt reads path with readUserKeyFile when it is in the user's
// data directory, else as a system file.
func (ctx *desktopCtx) readKeyFileAt(path string) (*keyFile, error) {
	if path == ctx.dirs.home || strings.HasPrefix(path, ctx.dirs.home+"/") {
		kf, _, err := ctx.readUserKeyFile(path)
		return kf, err
	}
	return readKeyFile(path)
}

// writeUserFile puts data at path in one rename, so that a menu reading
// the directory never sees half an entry. With replace nil nothing may be
// there yet; otherwise the file there must still be the one replace
// identifies.
func (ctx *desktopCtx) writeUserFile(path, data string, replace *nofollow.FileID) error {
	d, err := ctx.openUserDir(path, true)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer d.Close()
	return d.Write(filepath.Base(path), []byte(data), 0o644, replace)
}
