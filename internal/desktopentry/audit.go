package desktopentry

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"sandbox/profile"
)

// finding is one way an application with a profile can start unsandboxed.
type finding struct {
	id, what, fix string
}

// audit checks every installed application whose program has a profile
// (or whose entry we wrote) for each way the desktop could start it
// outside the sandbox: no shadowing entry, a shadowing entry of the user's
// own, one of ours that no longer goes through sandbox, and D-Bus
// activation that finds the system's service file.
func (ctx *desktopCtx) audit() int {
	system := ctx.dirs.systemApps()
	claims := profile.IndexPrograms(profile.List(ctx.o.Src), ctx.o.Src)
	profileFor := func(prog string) (string, error) {
		c, err := claims.Resolve(prog)
		var none *profile.NoClaimError
		if errors.As(err, &none) {
			return "", nil
		}
		return c.Name, err
	}
	checked := 0
	var found []finding
	for _, id := range sortedIDs(system) {
		fs, ok := ctx.auditApp(id, system[id], profileFor)
		if ok {
			checked++
		}
		found = append(found, fs...)
	}
	for _, f := range found {
		fmt.Fprintf(ctx.stdout, "%s: %s; fix: %s\n", f.id, f.what, f.fix)
	}
	if len(found) > 0 {
		return 1
	}
	fmt.Fprintf(ctx.stdout, "%d applications with a profile; each starts sandboxed from the menu and from D-Bus\n", checked)
	return 0
}

// auditApp checks one system entry. ok is false when the entry is not an
// application with a profile, and so was not checked.
func (ctx *desktopCtx) auditApp(id, systemPath string, profileFor func(string) (string, error)) (found []finding, ok bool) {
	sys, err := readKeyFile(systemPath)
	switch {
	case err != nil && !glibCannotLoad(err):
		// GLib may load what we cannot read exactly: it may start a
		// program with a profile, and nothing shadows it for sure.
		return []finding{{id, fmt.Sprintf("cannot read the system entry exactly (%v), so whether it starts a program with a profile is unknown", err),
			"check the entry; if its program has a profile, copy it with the problem fixed to " + ctx.dirs.userApps() + " and run sandbox desktop install --force " + shellWord(id)}}, true
	case err != nil:
		return nil, false // no menu loads it
	}
	if sys.startGroup() != groupEntry || sys.str(groupEntry, "Type") != "Application" || sys.boolean(groupEntry, "Hidden") {
		return nil, false
	}
	prog := ""
	exec, _ := sys.get(groupEntry, "Exec")
	if argv, err := splitExec(exec); err == nil {
		prog = programOf(argv)
	}
	userPath := ctx.dirs.userApp(id)
	var user *keyFile
	if userPath != "" {
		if user, _, err = ctx.readUserKeyFile(userPath); err != nil {
			what := fmt.Sprintf("cannot read your entry exactly (%v)", err)
			if glibCannotLoad(err) {
				what = fmt.Sprintf("GLib cannot load your entry (%v), so it starts the system entry %s unsandboxed in its place", err, systemPath)
			}
			return []finding{{id, what, "fix or delete " + userPath + ", then run sandbox desktop install " + shellWord(id)}}, true
		}
	}
	prof := ""
	if user != nil && ours(user) {
		prof = user.str(groupEntry, keyProfile)
	} else if prog != "" {
		var err error
		if prof, err = profileFor(prog); err != nil {
			// Two profiles of one level claim the program: a launch
			// refuses it, and so would install.
			return []finding{{id, fmt.Sprintf("the menu starts %s unsandboxed, and no profile is chosen for it: %v", prog, err),
				fmt.Sprintf("remove %s from the programs of one of the profiles, then run sandbox desktop install %s", filepath.Base(prog), shellWord(id))}}, true
		}
	}
	if prof == "" {
		return nil, false
	}
	fix := "sandbox desktop install " + shellWord(id)
	if user != nil && ours(user) {
		fix = fmt.Sprintf("sandbox desktop install -p %s %s", shellWord(prof), shellWord(id))
	}
	runs := prog
	if runs == "" {
		runs = "it"
	}
	switch {
	case user == nil:
		found = append(found, finding{id, fmt.Sprintf("profile %s exists, but the menu starts %s unsandboxed from %s", prof, runs, systemPath), fix})
	case !ours(user):
		if why := ctx.sb.unsandboxed(user); why != "" && !user.boolean(groupEntry, "Hidden") {
			found = append(found, finding{id, fmt.Sprintf("your own entry %s starts it unsandboxed: %s", userPath, why), "sandbox desktop install --force " + shellWord(id)})
		}
	default:
		why := ctx.sb.unsandboxed(user)
		if why == "" && user.boolean(groupEntry, dbusActivatable) {
			why = "DBusActivatable=true makes the menu ask D-Bus instead"
		}
		if why != "" {
			found = append(found, finding{id, fmt.Sprintf("stale entry %s: %s", userPath, why), fix})
		}
	}
	if user == nil || len(found) > 0 {
		// Nothing more to say about the user's entry.
	} else if skip := glibSkips(user); skip != "" {
		// Hidden=true hides an application only in an entry GLib
		// loads; one it skips shows the system entry again.
		fixSkip := fix
		if !ours(user) {
			fixSkip = "make " + userPath + " load (Type=Application, its programs installed), or delete it and run sandbox desktop install " + shellWord(id)
		}
		found = append(found, finding{id, fmt.Sprintf("GLib skips your entry %s (%s), so it starts the system entry %s unsandboxed in its place", userPath, skip, systemPath), fixSkip})
	}
	if f, bad := ctx.auditService(id, systemPath, sys, fix); bad {
		found = append(found, f)
	}
	return found, true
}

// auditService checks that D-Bus activation of the application goes
// through sandbox: the bus finds the user's service file before the
// system's, so ours must be there and be sound.
func (ctx *desktopCtx) auditService(id, systemPath string, sys *keyFile, fix string) (finding, bool) {
	name, valid := entryBusName(id, systemPath)
	if !valid {
		return finding{}, false
	}
	systemService := ctx.dirs.systemService(name)
	if !sys.boolean(groupEntry, dbusActivatable) && systemService == "" {
		return finding{}, false
	}
	path := ctx.dirs.userService(name)
	if path == "" {
		if systemService == "" {
			return finding{id, fmt.Sprintf("the entry is D-Bus activatable and no sandboxed service file starts %s", name), fix}, true
		}
		return finding{id, fmt.Sprintf("D-Bus activation of %s starts it unsandboxed through %s", name, systemService), fix}, true
	}
	kf, _, err := ctx.readUserKeyFile(path)
	if err != nil {
		return finding{id, fmt.Sprintf("cannot read the D-Bus service file %s (%v)", path, err), "check the file"}, true
	}
	why := ctx.sb.unsandboxed(kf)
	switch {
	case why == "":
		return finding{}, false
	case ours(kf):
		return finding{id, fmt.Sprintf("stale D-Bus service file %s: %s", path, why), fix}, true
	}
	return finding{id, fmt.Sprintf("your own D-Bus service file %s starts it unsandboxed: %s", path, why), "sandbox desktop install --force " + shellWord(id)}, true
}

// shellWord quotes s for a command line a user copies into a shell.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
