package desktopentry

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"sandbox/internal/nofollow"
	"sandbox/plan"
	"sandbox/profile"
)

// backupSuffix names the copy of a user's own entry that install --force
// replaced. It does not end in ".desktop", so no menu shows it.
const backupSuffix = ".sandbox-orig"

func (ctx *desktopCtx) install(o InstallOptions) int {
	self, err := ctx.self()
	if err != nil {
		fmt.Fprintf(ctx.stderr, "sandbox: %v\n", err)
		return exitLauncher
	}
	system := ctx.dirs.systemApps()
	code := 0
	for _, app := range o.Apps {
		if err := ctx.installOne(app, o, self, system); err != nil {
			ctx.o.PrintErr(ctx.stderr, err)
			code = exitLauncher
		}
	}
	return code
}

// installPlan is everything one install writes, worked out and checked
// before anything is written.
type installPlan struct {
	id, entryPath string
	entry         *keyFile
	backupFrom    string // the user's own entry to keep as entryPath+backupSuffix
	// entryID and serviceID are the files install replaces, as read and
	// checked; nil when there is none.
	entryID     *nofollow.FileID
	service     *keyFile
	servicePath string
	serviceID   *nofollow.FileID
	profile     string
	notes       []string // what the user should know; nothing is wrong
	// warnings are what this machine lacks for the profile now, which a
	// launch would leave out, as `sandbox run` reports them.
	warnings []plan.Warning
}

func (ctx *desktopCtx) installOne(app string, o InstallOptions, self string, system map[string]string) error {
	id, err := ctx.resolveApp(app, system)
	if err != nil {
		return err
	}
	pl, err := ctx.planInstall(id, o, self, system[id])
	if err != nil {
		return err
	}
	if pl.backupFrom != "" {
		backup := pl.entryPath + backupSuffix
		if err := ctx.keepAside(pl.backupFrom, backup); err != nil {
			return fmt.Errorf("keeping your entry as %s: %w", backup, err)
		}
		fmt.Fprintf(ctx.stdout, "kept your entry %s as %s\n", pl.backupFrom, backup)
	}
	if err := ctx.writeUserFile(pl.entryPath, pl.entry.String(), pl.entryID); err != nil {
		return err
	}
	fmt.Fprintf(ctx.stdout, "%s: wrote %s (profile %s)\n", id, pl.entryPath, pl.profile)
	for _, n := range pl.notes {
		fmt.Fprintf(ctx.stderr, "sandbox: %s: note: %s\n", id, n)
	}
	ctx.o.PlanWarnings(ctx.stderr, pl.warnings, id)
	if pl.service != nil {
		if err := ctx.writeUserFile(pl.servicePath, pl.service.String(), pl.serviceID); err != nil {
			return err
		}
		fmt.Fprintf(ctx.stdout, "%s: wrote %s\n", id, pl.servicePath)
		reloadSessionBus()
	}
	return nil
}

// planInstall decides what to wrap and checks that the result will
// launch; it writes nothing.
func (ctx *desktopCtx) planInstall(id string, o InstallOptions, self, systemPath string) (*installPlan, error) {
	pl := &installPlan{id: id, entryPath: filepath.Join(ctx.dirs.userApps(), id)}
	if existing := ctx.dirs.userApp(id); existing != "" {
		pl.entryPath = existing
	}
	source, original, err := ctx.installSource(pl, o.Force, systemPath)
	if err != nil {
		return nil, err
	}
	src, err := ctx.readKeyFileAt(source)
	if err != nil {
		return nil, fmt.Errorf("reading the desktop entry: %w", err)
	}
	if err := checkWrappable(src); err != nil {
		return nil, err
	}
	if t := src.str(groupEntry, "Type"); t != "Application" {
		// GLib starts only Type=Application; an entry of ours that it
		// skips would make it fall back to the system entry.
		if t == "" {
			return nil, fmt.Errorf("%s has no Type=Application; GLib does not start it, so there is nothing to sandbox", source)
		}
		return nil, fmt.Errorf("%s is of Type %s, not an application; nothing to sandbox", source, t)
	}
	name, nameOK := entryBusName(id, original)
	systemService := ""
	if nameOK {
		systemService = ctx.dirs.systemService(name)
	}
	viaDBus := nameOK && (src.boolean(groupEntry, dbusActivatable) || systemService != "")

	mainArgv, serviceArgv, err := commandLines(src, source, systemService)
	if err != nil {
		return nil, err
	}
	var addMain []string
	if _, has := src.get(groupEntry, "Exec"); !has {
		addMain = mainArgv
	}
	pl.profile, pl.warnings, err = ctx.installProfile(o.Profile, mainArgv, source)
	if err != nil {
		return nil, err
	}
	w := wrapper{self: self, profile: pl.profile}
	if pl.entry, err = ctx.sb.wrapEntry(src, id, w, original, addMain); err != nil {
		return nil, err
	}
	for _, g := range src.groups() {
		if _, has := src.get(g, "Exec"); strings.HasPrefix(g, groupActionPfx) && !has {
			// Such an action is started over D-Bus only, which the
			// entry no longer asks for: the menu cannot start it.
			pl.notes = append(pl.notes, fmt.Sprintf("the action %q has no Exec and starts only over D-Bus; the menu will not offer it", strings.TrimPrefix(g, groupActionPfx)))
		}
	}
	if viaDBus {
		pl.servicePath = filepath.Join(ctx.dirs.userServices(), name+".service")
		if existing := ctx.dirs.userService(name); existing != "" {
			pl.servicePath = existing
			kf, id, err := ctx.readUserKeyFile(existing)
			if err != nil {
				return nil, fmt.Errorf("reading your D-Bus service file: %w", err)
			}
			if !ours(kf) && !o.Force {
				return nil, fmt.Errorf("%s is your own D-Bus service file for %s, not one sandbox wrote; run again with --force to replace it", existing, name)
			}
			pl.serviceID = &id
		} else if err := ctx.checkFree(pl.servicePath); err != nil {
			return nil, err
		}
		svcOriginal := systemService
		if svcOriginal == "" {
			svcOriginal = original
		}
		pl.service = serviceFile(id, name, serviceArgv, w, svcOriginal)
	}
	return pl, nil
}

// installSource picks the entry to wrap and the path X-Sandbox-Original
// will name: the system entry; for a reinstall, the original our entry
// names; for --force over a user's own entry, that entry, which is then
// kept aside.
func (ctx *desktopCtx) installSource(pl *installPlan, force bool, systemPath string) (source, original string, err error) {
	user, id, err := ctx.readUserKeyFile(pl.entryPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if systemPath == "" {
			return "", "", fmt.Errorf("%s: no system desktop entry to wrap", pl.id)
		}
		return systemPath, systemPath, nil
	case err != nil:
		return "", "", fmt.Errorf("reading your desktop entry: %w", err)
	case ours(user):
		pl.entryID = &id
		orig := user.str(groupEntry, keyOriginal)
		if kf, err := ctx.readKeyFileAt(orig); err == nil && !ours(kf) {
			return orig, orig, nil
		}
		if systemPath == "" {
			return "", "", fmt.Errorf("%s: the original entry %s is gone and there is no system entry; 'sandbox desktop remove %s' deletes the stale one", pl.id, orig, pl.id)
		}
		return systemPath, systemPath, nil
	case !force:
		return "", "", fmt.Errorf("%s is your own desktop entry, not one sandbox wrote; run again with --force to wrap it (it is kept as %s and put back by 'sandbox desktop remove %s')", pl.entryPath, filepath.Base(pl.entryPath)+backupSuffix, pl.id)
	}
	backup := pl.entryPath + backupSuffix
	if _, err := os.Lstat(backup); err == nil {
		return "", "", fmt.Errorf("%s already exists; move it away before wrapping %s", backup, pl.entryPath)
	}
	pl.backupFrom = pl.entryPath
	return pl.entryPath, backup, nil
}

// commandLines returns the entry's main command line and the one D-Bus
// activation should run. The service file's own Exec is the right one for
// D-Bus (it often adds --gapplication-service); without a service file,
// the entry's Exec with its field codes dropped. An entry that is started
// only over D-Bus has no Exec, and then the service file's is the main
// one too.
func commandLines(src *keyFile, source, systemService string) (main, service []string, err error) {
	if systemService != "" {
		kf, err := readKeyFile(systemService)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the D-Bus service file: %w", err)
		}
		service, err = splitServiceExec(kf.str(groupDBus, "Exec"))
		if err != nil || len(service) == 0 {
			return nil, nil, fmt.Errorf("%s: Exec does not give a command (%v)", systemService, err)
		}
	}
	if v, ok := src.get(groupEntry, "Exec"); ok {
		main, err = splitExec(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: Exec: %w", source, err)
		}
	}
	switch {
	case len(main) == 0 && len(service) == 0:
		return nil, nil, fmt.Errorf("%s has no Exec to wrap", source)
	case len(main) == 0:
		main = service
	case len(service) == 0:
		service = expandFieldCodes(main, fieldCodeValues{})
	}
	return main, service, nil
}

// installProfile is the profile the entry will run in: the one asked for,
// or the one whose programs list the entry's program. It must load and
// compile for the entry's command, so that an entry we write launches; a
// path is made absolute, since a menu starts programs in its own
// directory.
//
// It compiles the way a launch does (`sandbox run`): what this machine lacks now
// (a sound server, a display, a helper program) is left out with a
// warning, not an error. install accepts exactly what run accepts, and
// the session the menu later starts the entry in may well have it.
func (ctx *desktopCtx) installProfile(asked string, mainArgv []string, source string) (string, []plan.Warning, error) {
	name := asked
	if name == "" {
		prog := programOf(mainArgv)
		choice, err := profile.Resolve(prog, ctx.o.Env, ctx.o.Src)
		if err != nil {
			return "", nil, fmt.Errorf("%s runs %s: %w", source, prog, err)
		}
		name = choice.Name
	} else if strings.Contains(name, "/") || strings.HasSuffix(name, ".toml") {
		abs, err := filepath.Abs(name)
		if err != nil {
			return "", nil, fmt.Errorf("profile %s: %w", name, err)
		}
		name = abs
	}
	p, err := profile.Load(name, ctx.o.Env, ctx.o.Src)
	if err != nil {
		return "", nil, err
	}
	pl, err := ctx.o.Compile(p, expandFieldCodes(mainArgv, fieldCodeValues{}), ctx.o.Host)
	if err != nil {
		return "", nil, err
	}
	return name, pl.Warnings, nil
}

// checkFree fails when something is at path already: a file that does not
// declare the bus name, or a symlink. install only writes new files or
// replaces the one it read and checked, and it finds out before it writes
// anything.
func (ctx *desktopCtx) checkFree(path string) error {
	d, err := ctx.openUserDir(path, false)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	st, there, err := d.Lstat(filepath.Base(path))
	switch {
	case err != nil:
		return err
	case !there:
		return nil
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return fmt.Errorf("%s: %w", path, nofollow.ErrLink)
	}
	return fmt.Errorf("%s is in the way (not a D-Bus service file for this application); move it away", path)
}

// keepAside renames the user's own entry from to backup, in its directory,
// never over anything.
func (ctx *desktopCtx) keepAside(from, backup string) error {
	d, err := ctx.openUserDir(from, false)
	if err != nil {
		return err
	}
	defer d.Close()
	if filepath.Dir(from) != filepath.Dir(backup) {
		return fmt.Errorf("%s and %s are not in one directory", from, backup)
	}
	return d.Rename(filepath.Base(from), filepath.Base(backup))
}

// reloadSessionBus asks the session bus to read its service files again,
// so that the new one is used from now on rather than from the next login.
// It is best effort: without a session bus there is nothing to reload.
func reloadSessionBus() {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return
	}
	send, err := exec.LookPath("dbus-send")
	if err != nil {
		return
	}
	exec.Command(send, "--session", "--type=method_call", "--dest=org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus.ReloadConfig").Run()
}
