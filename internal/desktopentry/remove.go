package desktopentry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sandbox/internal/nofollow"
)

func (ctx *desktopCtx) remove(args []string) int {
	system := ctx.dirs.systemApps()
	code := 0
	for _, app := range args {
		if err := ctx.removeOne(app, system); err != nil {
			fmt.Fprintf(ctx.stderr, "sandbox: %v\n", err)
			code = exitLauncher
		}
	}
	return code
}

// removeOne deletes the entry and the D-Bus service file install wrote for
// app, and puts back the user's own entry if install --force kept it. A
// file without our marker is never deleted: it is the user's.
func (ctx *desktopCtx) removeOne(app string, system map[string]string) error {
	id, err := ctx.resolveApp(app, system)
	if err != nil {
		return err
	}
	removed := false
	name, _ := entryBusName(id, system[id])
	if path := ctx.dirs.userApp(id); path != "" {
		kf, fid, err := ctx.readUserKeyFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if !ours(kf) {
			return fmt.Errorf("%s was not written by sandbox (it has no %s key); left alone", path, keyProfile)
		}
		if err := ctx.removeUserFile(path, fid); err != nil {
			return fmt.Errorf("removing %s: %w", path, err)
		}
		fmt.Fprintf(ctx.stdout, "%s: removed %s\n", id, path)
		removed = true
		if orig := kf.str(groupEntry, keyOriginal); orig != "" {
			name, _ = entryBusName(id, orig) // the name install used
		}
		backup := path + backupSuffix
		if kf.str(groupEntry, keyOriginal) == backup {
			switch err := ctx.keepAside(backup, path); {
			case err == nil:
				fmt.Fprintf(ctx.stdout, "%s: put back your entry from %s\n", id, backup)
			case !errors.Is(err, os.ErrNotExist):
				return fmt.Errorf("putting back your entry %s: %w", backup, err)
			}
		}
	}
	if path := ctx.dirs.userService(name); path != "" {
		kf, fid, err := ctx.readUserKeyFile(path)
		switch {
		case err != nil:
			return fmt.Errorf("reading %s: %w", path, err)
		case !ours(kf):
			fmt.Fprintf(ctx.stderr, "sandbox: %s was not written by sandbox; left alone\n", path)
		default:
			if err := ctx.removeUserFile(path, fid); err != nil {
				return fmt.Errorf("removing %s: %w", path, err)
			}
			fmt.Fprintf(ctx.stdout, "%s: removed %s\n", id, path)
			removed = true
			reloadSessionBus()
		}
	}
	if !removed {
		return fmt.Errorf("%s: nothing to remove; 'sandbox desktop install %s' has not been run", id, id)
	}
	return nil
}

// removeUserFile deletes path if it is still the file fid identifies.
func (ctx *desktopCtx) removeUserFile(path string, fid nofollow.FileID) error {
	d, err := ctx.openUserDir(path, false)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Remove(filepath.Base(path), fid)
}
