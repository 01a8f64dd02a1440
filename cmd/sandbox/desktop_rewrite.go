package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// parseCommandLine is parseArgs, reached through a variable set at init:
// parseArgs consults the subcommand table, and the table holds cmdDesktop,
// so naming parseArgs here directly would make the table's initialisation
// depend on itself.
var parseCommandLine func([]string) (invocation, error)

func init() { parseCommandLine = parseArgs }

// wrapper turns a command line into the same command line run by sandbox
// in one profile.
type wrapper struct {
	self    string // absolute path of the sandbox binary
	profile string // the profile name or absolute path
}

// argv is "SANDBOX -p PROFILE -- ORIGINAL...": "--" so that a program named
// like a subcommand, or starting with "-", is still the program.
func (w wrapper) argv(orig []string) []string {
	return append([]string{w.self, "-p", w.profile, "--"}, orig...)
}

// wrapEntry returns the shadow of the desktop entry src: every Exec of the
// main group and of each action runs through sandbox, DBusActivatable is
// turned off so that the menu uses Exec rather than asking D-Bus to start
// the program, and our marker keys say which profile and which original
// entry this is. Every other line is kept as it is. mainExec, when not nil,
// is added as the main Exec for an entry that has none (a D-Bus-only
// entry, whose command came from its service file).
func wrapEntry(src *keyFile, id string, w wrapper, original string, mainExec []string) (*keyFile, error) {
	out := &keyFile{path: src.path}
	add := func(group, text string) {
		out.lines = append(out.lines, keyLine{text: text, group: group})
	}
	// The comment names values that could hold a line break (a file
	// name, a profile path): escaped, they cannot start a line of their
	// own, such as an Exec that runs unsandboxed.
	add("", fmt.Sprintf("# Written by `sandbox desktop install %s`: every Exec below runs in the", escapeString(id)))
	add("", fmt.Sprintf("# sandbox profile %s. `sandbox desktop remove %s` deletes it,", escapeString(w.profile), escapeString(id)))
	add("", "# and the original entry named by X-Sandbox-Original shows again.")
	for _, l := range src.lines {
		switch {
		case l.header:
			out.lines = append(out.lines, l)
			if l.group == groupEntry {
				add(l.group, keyProfile+"="+escapeString(w.profile))
				add(l.group, keyOriginal+"="+escapeString(original))
				if mainExec != nil {
					add(l.group, "Exec="+joinExec(w.argv(mainExec)))
				}
			}
		case l.key == "":
			out.lines = append(out.lines, l)
		case l.group == groupEntry && strings.HasPrefix(l.key, "X-Sandbox-"):
			// A marker copied from elsewhere would name the wrong profile.
		case l.group == groupEntry && l.key == dbusActivatable:
			add(l.group, dbusActivatable+"=false")
		case isExecGroup(l.group) && baseKey(l.key) == "Exec":
			argv, err := splitExec(l.value)
			if err != nil {
				return nil, fmt.Errorf("%s: [%s] %s: %w", src.path, l.group, l.key, err)
			}
			if len(argv) == 0 {
				return nil, fmt.Errorf("%s: [%s] %s is empty", src.path, l.group, l.key)
			}
			add(l.group, l.key+"="+joinExec(w.argv(argv)))
		default:
			out.lines = append(out.lines, l)
		}
	}
	if !out.hasGroup(groupEntry) {
		return nil, fmt.Errorf("%s has no [%s] group; it is not a desktop entry", src.path, groupEntry)
	}
	return out, nil
}

// serviceFile is a D-Bus session service file that starts name through
// sandbox. It sits in the user's service directory, which dbus-daemon
// searches before the system's, so it replaces the system file that would
// start the program unsandboxed.
func serviceFile(id, name string, argv []string, w wrapper, original string) *keyFile {
	text := strings.Join([]string{
		fmt.Sprintf("# Written by `sandbox desktop install %s`: D-Bus starts %s in the", escapeString(id), escapeString(name)),
		fmt.Sprintf("# sandbox profile %s. `sandbox desktop remove %s` deletes it.", escapeString(w.profile), escapeString(id)),
		"[" + groupDBus + "]",
		"Name=" + escapeString(name),
		"Exec=" + joinServiceExec(w.argv(argv)),
		keyProfile + "=" + escapeString(w.profile),
		keyOriginal + "=" + escapeString(original),
	}, "\n")
	return parseKeyFile("", text)
}

// execLines lists every command line kf can start: each Exec of the main
// group and of the actions of a desktop entry, or the Exec of a D-Bus
// service file, with where it is.
func execLines(kf *keyFile) []keyLine {
	var out []keyLine
	for _, l := range kf.lines {
		if !l.header && isExecGroup(l.group) && baseKey(l.key) == "Exec" {
			out = append(out, l)
		}
	}
	return out
}

// unsandboxed says how kf can start a program outside the sandbox, or ""
// when every command line it holds goes through sandbox.
func unsandboxed(kf *keyFile) string {
	split := splitExec
	if markerGroup(kf) == groupDBus {
		split = splitServiceExec
	}
	lines := execLines(kf)
	if len(lines) == 0 && markerGroup(kf) == groupDBus {
		return "its service file has no Exec"
	}
	for _, l := range lines {
		argv, err := split(l.value)
		if err != nil {
			return fmt.Sprintf("[%s] %s does not parse (%v)", l.group, l.key, err)
		}
		if why := notThroughSandbox(argv); why != "" {
			return fmt.Sprintf("[%s] %s %s", l.group, l.key, why)
		}
	}
	return ""
}

// notThroughSandbox says why argv would not start its program in a
// sandbox, or "" when it does.
func notThroughSandbox(argv []string) string {
	if len(argv) == 0 {
		return "is empty"
	}
	if filepath.Base(argv[0]) != "sandbox" {
		return "runs " + argv[0] + " directly"
	}
	inv, err := parseCommandLine(argv[1:])
	if err != nil || inv.sub != "" || inv.help || inv.version {
		return "runs " + argv[0] + " without a program to sandbox"
	}
	if filepath.IsAbs(argv[0]) {
		info, err := os.Stat(argv[0])
		if err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
			return "runs " + argv[0] + ", which is no longer an executable file"
		}
	}
	return ""
}

// sandboxedProgram is the program a sandbox command line runs, "" when
// argv is not one.
func sandboxedProgram(argv []string) string {
	if len(argv) == 0 || filepath.Base(argv[0]) != "sandbox" {
		return ""
	}
	inv, err := parseCommandLine(argv[1:])
	if err != nil || inv.sub != "" || len(inv.command) == 0 {
		return ""
	}
	return programOf(inv.command)
}
