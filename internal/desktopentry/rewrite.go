package desktopentry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

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

// execValue is the Exec value that runs orig through sandbox. A menu
// expands field codes in the whole line before it splits it, so a "%" in
// the binary's or the profile's path is doubled: it is a literal percent
// sign there, never a code. The original's own field codes are kept for
// the menu to expand.
func (w wrapper) execValue(orig []string) string {
	pct := func(s string) string { return strings.ReplaceAll(s, "%", "%%") }
	return joinExec([]string{pct(w.self), "-p", pct(w.profile), "--"}) + " " + joinExec(orig)
}

// checkWrappable refuses an entry we cannot rewrite so that a GLib menu
// runs only what we wrapped.
func checkWrappable(src *keyFile) error {
	if g := src.startGroup(); g != groupEntry {
		return fmt.Errorf("%s starts with the group [%s], not [%s]; GLib does not read it as a desktop entry, and neither do we", src.path, g, groupEntry)
	}
	if why := duplicateExec(src); why != "" {
		return fmt.Errorf("%s: %s; refusing an entry whose command is ambiguous", src.path, why)
	}
	return nil
}

// duplicateExec says which group of kf sets an Exec key more than once,
// "" when none does. GLib runs the last one; a second Exec is how an entry
// smuggles a command past a reader that takes the first.
func duplicateExec(kf *keyFile) string {
	seen := map[[2]string]int{}
	for _, l := range execLines(kf) {
		k := [2]string{l.group, l.key}
		if first, ok := seen[k]; ok {
			return fmt.Sprintf("[%s] sets %s twice (lines %d and %d)", l.group, l.key, first, l.num)
		}
		seen[k] = l.num
	}
	return ""
}

// wrapEntry returns the shadow of the desktop entry src: every Exec of the
// main group and of each action runs through sandbox, DBusActivatable is
// turned off so that the menu uses Exec rather than asking D-Bus to start
// the program, and our marker keys say which profile and which original
// entry this is. Every other line is kept as it is. mainExec, when not nil,
// is added as the main Exec for an entry that has none (a D-Bus-only
// entry, whose command came from its service file). The result is read
// back as GLib reads it and refused unless every command it holds runs
// sandbox.
func (sb Sandbox) wrapEntry(src *keyFile, id string, w wrapper, original string, mainExec []string) (*keyFile, error) {
	if err := checkWrappable(src); err != nil {
		return nil, err
	}
	out := &keyFile{path: src.path}
	add := func(group, text string) {
		out.lines = append(out.lines, keyLine{text: text, eol: "\n", group: group})
	}
	// The comment names values that could hold a line break (a file
	// name, a profile path): escaped, they cannot start a line of their
	// own, such as an Exec that runs unsandboxed.
	add("", fmt.Sprintf("# Written by `sandbox desktop install %s`: every Exec below runs in the", escapeString(id)))
	add("", fmt.Sprintf("# sandbox profile %s. `sandbox desktop remove %s` deletes it,", escapeString(w.profile), escapeString(id)))
	add("", "# and the original entry named by X-Sandbox-Original shows again.")
	marked := false
	for _, l := range src.lines {
		switch {
		case l.header:
			out.lines = append(out.lines, l)
			if l.group == groupEntry && !marked {
				// After the first header only: [Desktop Entry]
				// may be written twice, and GLib merges the two.
				marked = true
				add(l.group, keyProfile+"="+escapeString(w.profile))
				add(l.group, keyOriginal+"="+escapeString(original))
				if mainExec != nil {
					add(l.group, "Exec="+w.execValue(mainExec))
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
				return nil, fmt.Errorf("%s:%d: [%s] %s: %w", src.path, l.num, l.group, l.key, err)
			}
			if len(argv) == 0 {
				return nil, fmt.Errorf("%s:%d: [%s] %s is empty", src.path, l.num, l.group, l.key)
			}
			add(l.group, l.key+"="+w.execValue(argv))
		default:
			out.lines = append(out.lines, l)
		}
	}
	back, err := parseKeyFile(src.path, out.String())
	if err != nil {
		return nil, fmt.Errorf("the rewritten entry does not read back: %w", err)
	}
	if why := sb.unsandboxed(back); why != "" {
		return nil, fmt.Errorf("the rewritten %s would not run sandboxed: %s", src.path, why)
	}
	return back, nil
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
	kf, err := parseKeyFile("", text)
	if err != nil {
		// Every value above is escaped onto its line.
		panic(fmt.Sprintf("a service file we wrote does not parse: %v", err))
	}
	return kf
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
// when every command line it holds goes through sandbox. Every Exec line
// counts, not only the one GLib would use: a file with two is refused.
func (sb Sandbox) unsandboxed(kf *keyFile) string {
	service := markerGroup(kf) == groupDBus
	lines := execLines(kf)
	if len(lines) == 0 && service {
		return "its service file has no Exec"
	}
	if why := duplicateExec(kf); why != "" {
		return why
	}
	for _, l := range lines {
		var why string
		if service {
			argv, err := splitServiceExec(l.value)
			if err != nil {
				return fmt.Sprintf("[%s] %s does not parse (%v)", l.group, l.key, err)
			}
			why = sb.notThroughSandbox(argv, true)
		} else {
			why = sb.execNotThroughSandbox(l.value)
		}
		if why != "" {
			return fmt.Sprintf("[%s] %s %s", l.group, l.key, why)
		}
	}
	return ""
}

// fieldCodeMark stands for a field code while a menu's view of a command
// line is worked out: it is no character GLib's splitter treats specially,
// and a desktop entry holds no control characters of that kind.
const fieldCodeMark = "\x01"

// execNotThroughSandbox says why the Exec value of a desktop entry would
// not start its program in a sandbox, or "" when it does. A menu expands
// the field codes in the line before it splits it, and what a code
// becomes (a file name, the entry's name) can change every word after it;
// so the sandbox part of the line (the binary, its options and "--") must
// end before the first field code.
func (sb Sandbox) execNotThroughSandbox(value string) string {
	s := unescapeString(value)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != '%' || i+1 == len(s):
			b.WriteByte(s[i])
		case s[i+1] == '%':
			b.WriteByte('%')
			i++
		default:
			b.WriteString(fieldCodeMark)
			i++
		}
	}
	expanded := b.String()
	if strings.TrimSpace(expanded) == "" {
		return "is empty"
	}
	words, err := glibShellParse(expanded)
	if err != nil {
		return fmt.Sprintf("does not parse (%v)", err)
	}
	argv := make([]string, len(words))
	for i, w := range words {
		argv[i] = w.word
	}
	last := words[0]
	if cl, err := sb.ParseArgs(argv[1:]); err == nil {
		last = words[len(argv)-len(cl.Command)-1]
	}
	if code := strings.Index(expanded, fieldCodeMark); code >= 0 && code <= last.end {
		return "has a field code before the program it sandboxes, which a menu could expand into options of sandbox"
	}
	return sb.notThroughSandbox(argv, false)
}

// trustedSandboxes are the installed paths of sandbox, which root owns.
var trustedSandboxes = []string{"/usr/bin/sandbox", "/usr/local/bin/sandbox"}

// notThroughSandbox says why argv would not start its program in a
// sandbox, or "" when it does. The binary must be this very sandbox or an
// installed one: any other program called sandbox proves nothing. absolute
// is for D-Bus service files, whose Exec dbus-daemon does not look up in
// $PATH.
func (sb Sandbox) notThroughSandbox(argv []string, absolute bool) string {
	if len(argv) == 0 {
		return "is empty"
	}
	bin := argv[0]
	if filepath.Base(bin) != "sandbox" {
		return "runs " + bin + " directly"
	}
	switch {
	case filepath.IsAbs(bin):
	case absolute || strings.Contains(bin, "/"):
		return "runs " + bin + ", which is not an absolute path"
	default:
		found, ok := findProgram(bin)
		if !ok {
			return "runs " + bin + ", which is not in $PATH"
		}
		bin = found
	}
	info, err := os.Stat(bin)
	if err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
		return "runs " + argv[0] + ", which is no longer an executable file"
	}
	if !sb.isSandboxBinary(bin) {
		return "runs " + argv[0] + ", which is not this sandbox binary nor an installed one"
	}
	cl, err := sb.ParseArgs(argv[1:])
	if err != nil || cl.NoLaunch {
		return "runs " + argv[0] + " without a program to sandbox"
	}
	return ""
}

// isSandboxBinary reports whether path is this sandbox binary or an
// installed one.
func (sb Sandbox) isSandboxBinary(path string) bool {
	if self, err := sb.Executable(); err == nil && sameFile(path, self) {
		return true
	}
	for _, t := range trustedSandboxes {
		if sameFile(path, t) {
			return true
		}
	}
	return false
}

// findProgram looks a program name up in $PATH as GLib's
// g_find_program_in_path does (an executable that is not a directory; an
// unset $PATH means /bin:/usr/bin:.), and returns its path.
func findProgram(name string) (string, bool) {
	if strings.Contains(name, "/") {
		info, err := os.Stat(name)
		return name, err == nil && !info.IsDir() && info.Mode()&0o111 != 0
	}
	dirs, ok := os.LookupEnv("PATH")
	if !ok {
		dirs = "/bin:/usr/bin:."
	}
	for _, dir := range filepath.SplitList(dirs) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// sandboxedProgram is the program a sandbox command line runs, "" when
// argv is not one.
func (sb Sandbox) sandboxedProgram(argv []string) string {
	if len(argv) == 0 || filepath.Base(argv[0]) != "sandbox" {
		return ""
	}
	cl, err := sb.ParseArgs(argv[1:])
	if err != nil || cl.NoLaunch || len(cl.Command) == 0 {
		return ""
	}
	return programOf(cl.Command)
}
