package profile

import (
	"strings"

	"sandbox/internal/lazy"
)

// KeyDoc documents one key a profile may contain. Schema returns every
// accepted key; the decoder uses the same list to reject unknown keys, to
// check each value's TOML type and to suggest a spelling, and the docs and
// man page are tested against it, so the three cannot drift apart.
type KeyDoc struct {
	// Key is the dotted key. "[]" marks the elements of an array of
	// tables ("mount[].size"); a segment in angle brackets stands for any
	// key of that kind ("seccomp.syscalls.<syscall>").
	Key string
	// Type is the value's type in words ("boolean", "array of strings").
	Type string
	// Default is the value when the key is absent, as a user would write
	// it, or "" when absence means nothing is set.
	Default string
	// Doc is one or two sentences for the reference.
	Doc string
	// AppliesTo lists the mount types a "mount[]" key is valid for; nil
	// means every type.
	AppliesTo []MountType

	shape shape
}

// shape is the TOML shape a key's value must have.
type shape int

const (
	shapeString shape = iota
	shapeBool
	shapeInt
	shapeStrings
	shapeInts
	shapeTable
	shapeTables
	shapeIntOrString
	shapeLimit // integer, string, or {soft, hard}
)

// typeWord is the Type text of a shape.
func typeWord(sh shape) string {
	switch sh {
	case shapeString:
		return "string"
	case shapeBool:
		return "boolean"
	case shapeInt:
		return "integer"
	case shapeStrings:
		return "array of strings"
	case shapeInts:
		return "array of integers"
	case shapeTable:
		return "table"
	case shapeTables:
		return "array of tables"
	case shapeIntOrString:
		return "integer or string"
	case shapeLimit:
		return "integer, string or table {soft, hard}"
	}
	return ""
}

var (
	optionalFor  = []MountType{MountBind, MountROBind, MountDevBind, MountFile, MountOverlay}
	sourceFor    = []MountType{MountBind, MountROBind, MountDevBind, MountFile}
	sizeFor      = []MountType{MountTmpfs, MountOverlay}
	modeFor      = []MountType{MountTmpfs, MountDir, MountFile}
	overlayOnly  = []MountType{MountOverlay}
	fileOnly     = []MountType{MountFile}
	symlinkOnly  = []MountType{MountSymlink}
	devBindOnly  = []MountType{MountDevBind}
	allMountText = "bind, ro-bind, dev-bind, tmpfs, proc, dev, mqueue, overlay, symlink, dir, file, remount-ro"
)

func k(key string, sh shape, def, doc string) KeyDoc {
	return KeyDoc{Key: key, Type: typeWord(sh), Default: def, Doc: doc, shape: sh}
}

func mk(key string, sh shape, def, doc string, applies []MountType) KeyDoc {
	d := k(key, sh, def, doc)
	d.AppliesTo = applies
	return d
}

// schema is built at its first use, as schemaIdx is: a launch that runs
// from the plan cache, and --version, never read it, and building it at
// init cost every start of the launcher a quarter of a millisecond here.
func schema() []KeyDoc { return schemaValue.Get() }

var schemaValue = lazy.Value[[]KeyDoc]{Make: func() []KeyDoc {
	return []KeyDoc{
		k("description", shapeString, `""`, "One line saying what the profile is for."),
		k("programs", shapeStrings, "[]", `Executable basenames this profile is for; "sandbox firefox" finds the profile listing "firefox".`),
		k("extends", shapeStrings, "[]", `Profiles merged before this one, in order: names found on the search path, or paths (containing "/" or ending in ".toml") relative to this file.`),
		k("hostname", shapeString, `""`, "Host name inside the sandbox; needs namespaces.uts = true. Letters, digits and '-', at most 64."),
		k("domainname", shapeString, `""`, "NIS domain name inside the sandbox; needs namespaces.uts = true."),

		k("namespaces", shapeTable, "", "Which namespaces are new (true) or shared with the host (false)."),
		k("namespaces.user", shapeBool, "true", "A new user namespace."),
		k("namespaces.mount", shapeBool, "true", "A new mount namespace; required, the filesystem view is built in it."),
		k("namespaces.pid", shapeBool, "true", "A new PID namespace: host processes are invisible."),
		k("namespaces.net", shapeBool, "true", "A new network namespace with only loopback; false shares the host network."),
		k("namespaces.ipc", shapeBool, "true", "A new IPC namespace (System V IPC, POSIX message queues)."),
		k("namespaces.uts", shapeBool, "true", "A new UTS namespace, needed for hostname and domainname."),
		k("namespaces.cgroup", shapeBool, "true", "A new cgroup namespace."),
		k("namespaces.time", shapeBool, "false", "A new time namespace."),

		k("identity", shapeTable, "", "The ids the payload runs as and how they map to host ids."),
		k("identity.uid", shapeInt, "caller's uid", "User id inside the sandbox, 0 to 4294967294; 0 appears as root."),
		k("identity.gid", shapeInt, "caller's gid", "Group id inside the sandbox, 0 to 4294967294."),
		k("identity.subids", shapeBool, "false", "Also map the caller's /etc/subuid and /etc/subgid ranges (through newuidmap and newgidmap)."),
		k("identity.host_root", shapeBool, "false", "Let a launcher running as root map the sandbox's ids to host root's (the payload then owns what host root owns); without it a root launch maps them to an unprivileged host id."),
		k("identity.uid_map", shapeTables, "[]", "Explicit uid map entries {inside, outside, count}; only a launcher running as root applies them."),
		k("identity.uid_map[].inside", shapeInt, "", "First id inside the sandbox."),
		k("identity.uid_map[].outside", shapeInt, "", "First id on the host."),
		k("identity.uid_map[].count", shapeInt, "", "Number of ids, at least 1."),
		k("identity.gid_map", shapeTables, "[]", "Explicit gid map entries {inside, outside, count}; only a launcher running as root applies them."),
		k("identity.gid_map[].inside", shapeInt, "", "First id inside the sandbox."),
		k("identity.gid_map[].outside", shapeInt, "", "First id on the host."),
		k("identity.gid_map[].count", shapeInt, "", "Number of ids, at least 1."),

		k("filesystem", shapeTable, "", "Settings of the filesystem view."),
		k("filesystem.cwd", shapeString, `""`, "Absolute working directory inside; empty means the caller's directory when visible inside, else $HOME, else /."),
		k("filesystem.cwd_notice", shapeBool, "true", "Say in one line before a launch when the directory sandbox was started from is not the payload's working directory, or is a throw-away tmpfs or read-only there; false declares that this is intended and silences the line."),
		k("filesystem.unprotect", shapeStrings, "[]", "Absolute host paths released from the protection of files the host trusts (start-up files, .git/hooks, ...): the protected paths equal to or under one stay writable where the profile binds them. A loosening, shown by explain and check."),

		k("filesystem.persistent_home", shapeBool, "false", "Give the application a persistent private home: $XDG_DATA_HOME/sandbox/homes/NAME (NAME is the profile's name), created at the first launch with mode 0700 and owned by the id the payload runs as on the host, is bound at $HOME in place of the profile's tmpfs there."),

		k("mount", shapeTables, "[]", "The filesystem view, built in order on an empty root: one [[mount]] per entry."),
		mk("mount[].type", shapeString, "", "Required: one of "+allMountText+".", nil),
		mk("mount[].source", shapeString, "", "Absolute host path: the bind source, or the host file a file entry copies. Required for binds.", sourceFor),
		mk("mount[].target", shapeString, "source, for binds", `Absolute path inside the sandbox. "/" only for remount-ro.`, nil),
		mk("mount[].optional", shapeBool, "false", "A missing source (or overlay lower dir) is skipped instead of being an error.", optionalFor),
		mk("mount[].writable", shapeBool, "false", "Leave a dev-bind writable: files and device nodes in it can then be created, removed, and have their modes, owners and times changed.", devBindOnly),
		mk("mount[].size", shapeIntOrString, "kernel default", `Size limit in bytes, or a string such as "64M", "1G", "512k"; at most 1T.`, sizeFor),
		mk("mount[].mode", shapeInt, "0o755 (tmpfs, dir), 0o644 (file)", "Permission bits, written as 0o755; at most 0o7777.", modeFor),
		mk("mount[].content", shapeString, "", "Inline content of a file entry, at most 1 MiB; exclusive with source.", fileOnly),
		mk("mount[].link_to", shapeString, "", "What a symlink entry points to: a relative or absolute path, not empty.", symlinkOnly),
		mk("mount[].lower", shapeStrings, "", "Read-only lower dirs of an overlay, top first; absolute paths, at least one.", overlayOnly),
		mk("mount[].upper", shapeString, "", "Persistent host upper dir of an overlay; needs work. Absent means a tmpfs upper whose changes are lost.", overlayOnly),
		mk("mount[].work", shapeString, "", "Overlay work dir on the same filesystem as upper; only with upper.", overlayOnly),

		k("capabilities", shapeTable, "", "Capabilities the payload keeps; all others are dropped from every set."),
		k("capabilities.keep", shapeStrings, "[]", `Capability names, "CAP_NET_RAW" or "net_raw" in any case.`),
		k("capabilities.ambient", shapeBool, "false", "Also raise the kept capabilities into the ambient set, so a non-root payload holds them after exec."),

		k("seccomp", shapeTable, "", "The system call filter."),
		k("seccomp.policy", shapeString, `"default"`, `"default" (the built-in deny-list), "allow-list" (only syscalls marked "allow") or "none" (no filter).`),
		k("seccomp.default_action", shapeString, `"ENOSYS"`, "What unlisted syscalls get under the allow-list policy; only valid with it."),
		k("seccomp.allow_terminal_injection", shapeBool, "false", "Let the payload use TIOCSTI and TIOCLINUX, which push input into the caller's terminal; a filtering policy refuses them even where it allows ioctl. A loosening."),
		k("seccomp.syscalls", shapeTable, "{}", "Per-syscall actions that modify the policy."),
		k("seccomp.syscalls.<syscall>", shapeString, "", `Action for an x86_64 syscall: "allow", "kill", "log", "trap" or an errno name such as "EPERM".`),

		k("environment", shapeTable, "", "The payload's environment, built from nothing."),
		k("environment.keep", shapeStrings, "[]", `Host variables passed in addition to the default set; a trailing "*" matches a prefix ("LC_*").`),
		k("environment.unset", shapeStrings, "[]", "Variables removed, also from the default set."),
		k("environment.set", shapeTable, "{}", "Variables set after keep and unset."),
		k("environment.set.<NAME>", shapeString, "", "Value of variable NAME; variables like ${HOME} expand. At most 128 KiB."),

		k("limits", shapeTable, "{}", "Resource limits: "+strings.Join(limitNames(), " ")+"."),
		k("limits.<resource>", shapeLimit, "", `An integer (soft = hard), "unlimited", a size string for byte resources ("4G"), or {soft = X, hard = Y}.`),
		k("limits.<resource>.soft", shapeIntOrString, "", "Soft limit: an integer, \"unlimited\" or a size string; at most hard."),
		k("limits.<resource>.hard", shapeIntOrString, "", "Hard limit: an integer, \"unlimited\" or a size string."),

		k("process", shapeTable, "", "How the payload lives and dies."),
		k("process.die_with_parent", shapeBool, "true", "Kill the sandbox when the launcher dies, and the launcher when its parent dies."),
		k("process.new_session", shapeBool, "false", "Start the payload in a new session, detached from the terminal."),
		k("process.init", shapeBool, "true", "Run a small init as PID 1 that reaps orphans and forwards signals; false makes the payload PID 1."),
		k("process.nested_user_namespaces", shapeBool, "false", "Let the payload create user namespaces (browsers need them for their own sandbox)."),
		k("process.no_new_privs", shapeBool, "true", "Set no_new_privs: setuid bits and file capabilities give nothing."),
		k("process.pass_fds", shapeInts, "[]", "File descriptors 3 to 1023 of the caller that the payload inherits."),

		k("desktop", shapeTable, "", "Parts of the caller's graphical session the sandbox reaches; all off by default."),
		k("desktop.wayland", shapeBool, "false", "Bind the caller's Wayland socket ($WAYLAND_DISPLAY, default wayland-0) into a private $XDG_RUNTIME_DIR."),
		k("desktop.x11", shapeBool, "false", "Bind the X socket of $DISPLAY only, with an Xauthority file that holds only that display's cookie. The payload can then log, inject into and capture other X clients."),
		k("desktop.pulseaudio", shapeBool, "false", "Play and record through the PulseAudio server ($XDG_RUNTIME_DIR/pulse/native, PulseAudio or pipewire-pulse), behind the launcher's filter: no modules, no server settings; sets PULSE_SERVER."),
		k("desktop.pipewire", shapeBool, "false", "Bind the PipeWire socket ($XDG_RUNTIME_DIR/pipewire-0) unfiltered; only with desktop.pipewire_unrestricted."),
		k("desktop.pipewire_unrestricted", shapeBool, "false", "Accept that desktop.pipewire allows host code execution: a PipeWire client can make the server load a library."),
		k("desktop.gpu", shapeBool, "false", "Bind /dev/dri (when present) and, read-only, only the GPUs' own sysfs entries, where Mesa identifies them."),
		k("desktop.fonts", shapeBool, "false", "Bind the system and user font directories and fontconfig settings read-only (each when present)."),
		k("desktop.themes", shapeBool, "false", "Bind the user's GTK themes, icons and GTK 3/4 settings read-only (each when present)."),
		k("desktop.portal", shapeBool, "false", "Let the payload use a fixed list of portal interfaces of org.freedesktop.portal.Desktop (file chooser, print, notifications, settings...) on the session bus, which then gets a filtering proxy."),

		k("dbus", shapeTable, "", "D-Bus access through a filtering proxy; a bus without rules is not reachable at all."),
		k("dbus.session", shapeTable, "", "Rules for the session bus."),
		k("dbus.session.talk", shapeStrings, "[]", `Bus names the payload may call; a trailing ".*" matches the names below ("org.example.App.*").`),
		k("dbus.session.own", shapeStrings, "[]", "Bus names the payload may own."),
		k("dbus.session.see", shapeStrings, "[]", "Bus names the payload may see exist."),
		k("dbus.session.call", shapeStrings, "[]", `"NAME=RULE" entries: the payload may call the methods of NAME that match RULE ([INTERFACE.MEMBER][@/PATH]), and no others.`),
		k("dbus.session.broadcast", shapeStrings, "[]", `"NAME=RULE" entries: signals from NAME that match RULE ([INTERFACE.MEMBER][@/PATH]) reach the payload.`),
		k("dbus.system", shapeTable, "", "Rules for the system bus."),
		k("dbus.system.talk", shapeStrings, "[]", `Bus names the payload may call; a trailing ".*" matches the names below.`),
		k("dbus.system.own", shapeStrings, "[]", "Bus names the payload may own."),
		k("dbus.system.see", shapeStrings, "[]", "Bus names the payload may see exist."),
		k("dbus.system.call", shapeStrings, "[]", `"NAME=RULE" entries: the payload may call the methods of NAME that match RULE, and no others.`),
		k("dbus.system.broadcast", shapeStrings, "[]", `"NAME=RULE" entries: signals from NAME that match RULE reach the payload.`),

		k("network", shapeTable, "", "The sandbox's network."),
		k("network.mode", shapeString, `"none"`, `"none" (only loopback), "host" (share the host network, as namespaces.net = false; the default when only that is written), "nat" (user-mode NAT through pasta or slirp4netns) or "filtered" (only loopback, and an HTTP proxy at 127.0.0.1:3128 that reaches what network.allow lists).`),
		k("network.backend", shapeString, `"auto"`, `NAT helper: "auto" (pasta when installed, else slirp4netns), "pasta" or "slirp4netns"; only with mode = "nat".`),
		k("network.forward", shapeStrings, "[]", `Host ports that reach the sandbox, "HOSTPORT:SANDBOXPORT" with an optional "/tcp" or "/udp"; only with mode = "nat".`),
		k("network.allow_host_loopback", shapeBool, "false", `Let the sandbox reach the host's 127.0.0.1 (and, with pasta, ::1) through the gateway address; only with mode = "nat".`),

		k("network.allow", shapeStrings, "[]", `Only with mode = "filtered": where the sandbox may connect through the egress proxy. Each entry is "HOST", "HOST:PORT", "*.SUFFIX" (any name below SUFFIX, not SUFFIX itself) or an IP address (which must be listed to be reached); no port means ports 80 and 443.`),
		k("network.allow_private", shapeStrings, "[]", `Only with mode = "filtered": allowed destinations that may resolve to loopback, link-local, private, unspecified or multicast addresses, as "HOST:PORT" or "IP:PORT" (same forms as network.allow). Every other such address is refused, whatever DNS says.`),
		k("network.hosts", shapeStrings, "[]", `Only with mode = "filtered": names the egress proxy resolves without DNS, "NAME=IP" (for tests and fixed hosts). The address still goes through network.allow_private.`),
		k("network.connect_ports", shapeInts, "[]", `TCP ports the payload may connect to; when set, every other TCP connect is refused by Landlock (ABI 4), mainly for mode = "host". Empty means no port rule.`),
		k("network.bind_ports", shapeInts, "[]", `TCP ports the payload may bind; when set, every other TCP bind is refused by Landlock (ABI 4). Empty means no port rule.`),

		k("landlock", shapeTable, "", "The Landlock ruleset, a second wall derived from the mount view: read and execute where the view is read-only, write where it is writable, nothing elsewhere."),
		k("landlock.enabled", shapeBool, "true", "false turns Landlock off: a loosening, shown by explain and check."),
		k("landlock.require", shapeInt, "0", "The minimum Landlock ABI the kernel must offer (1 to 64); an older kernel is an error. 0 uses what the kernel has."),
		k("landlock.read_only", shapeStrings, "[]", "Extra paths inside the sandbox given read and execute; each must exist in the view."),
		k("landlock.read_write", shapeStrings, "[]", "Extra paths inside the sandbox given read, write and execute; each must exist in the view."),

		k("test", shapeTable, "", "The profile's own smoke test, run by sandbox test."),
		k("test.command", shapeStrings, "[]", "The command run inside the sandbox; empty means the profile has no test. A later layer replaces it whole."),
		k("test.expect_exit", shapeInt, "0", "The exit code that means success, 0 to 255."),
		k("test.expect_output", shapeString, `""`, `An RE2 regular expression the combined stdout and stderr must match; write a literal "$" (the end anchor) as "$$".`),
		k("test.timeout", shapeInt, "60", "Seconds the command may run, 1 to 600."),
		k("test.requires", shapeStrings, "[]", "Absolute host paths that must exist; when one is missing the test is reported as not installed."),
		k("test.setup", shapeStrings, "[]", "A host command run before the test; a later layer replaces it whole."),
		k("test.check", shapeStrings, "[]", "A host command run after the command succeeded, which must exit 0; a later layer replaces it whole."),

		k("merge", shapeTable, "", "How this file merges onto the profiles it extends."),
		k("merge.replace", shapeStrings, "[]", "List keys whose inherited entries are dropped before this file's are appended: "+strings.Join(replaceableKeys, ", ")+"."),
		k("merge.remove", shapeTable, "{}", "Entries removed from inherited lists."),
		k("merge.remove.<list>", shapeStrings, "", "Entries to remove from list <list>: mount targets, capability names, the keys of seccomp.syscalls and environment.set, or entries as written (bus names, forwards, paths)."),
	}
}}

// Schema returns a description of every key a profile may contain.
func Schema() []KeyDoc {
	out := make([]KeyDoc, len(schema()))
	copy(out, schema())
	for i := range out {
		if out[i].AppliesTo != nil {
			out[i].AppliesTo = append([]MountType(nil), out[i].AppliesTo...)
		}
	}
	return out
}

// schemaIndex indexes the schema by full key (byKey), by parent key
// (children, wildcard), for the decoder's walk. It is built at the first
// use rather than at init, which every start of the launcher would pay,
// --version and a launch from the plan cache included.
type schemaIndex struct {
	byKey    map[string]*KeyDoc
	children map[string][]*KeyDoc
	wildcard map[string]*KeyDoc
	// mountFields are the keys of a [[mount]] entry, in schema order.
	mountFields []string
}

func schemaIdx() *schemaIndex { return schemaIdxValue.Get() }

var schemaIdxValue = lazy.Value[*schemaIndex]{Make: func() *schemaIndex {
	all := schema()
	x := &schemaIndex{byKey: make(map[string]*KeyDoc, len(all)),
		children: map[string][]*KeyDoc{}, wildcard: map[string]*KeyDoc{}}
	for i := range all {
		d := &all[i]
		x.byKey[d.Key] = d
		parent, last := splitSchemaKey(d.Key)
		if strings.HasPrefix(last, "<") {
			x.wildcard[parent] = d
		} else {
			x.children[parent] = append(x.children[parent], d)
		}
		if parent == "mount[]" {
			x.mountFields = append(x.mountFields, last)
		}
	}
	return x
}}

var (
	// replaceableKeys are the keys merge.replace accepts. test.command,
	// test.setup and test.check are not lists that merge by appending (a
	// later layer that sets one replaces it whole, since appending argv
	// makes no sense), but replacing drops an inherited command.
	replaceableKeys = []string{"programs", "mount", "capabilities.keep", "environment.keep", "environment.unset", "process.pass_fds", "seccomp.syscalls", "environment.set", "identity.uid_map", "identity.gid_map",
		"filesystem.unprotect", "dbus.session.talk", "dbus.session.own", "dbus.session.see", "dbus.session.call", "dbus.session.broadcast",
		"dbus.system.talk", "dbus.system.own", "dbus.system.see", "dbus.system.call", "dbus.system.broadcast",
		"network.forward", "network.allow", "network.allow_private", "network.hosts", "test.requires", "test.command", "test.setup", "test.check"}
	removableKeys = []string{"programs", "mount", "capabilities.keep", "environment.keep", "environment.unset", "seccomp.syscalls", "environment.set",
		"filesystem.unprotect",
		"dbus.session.talk", "dbus.session.own", "dbus.session.see", "dbus.session.call", "dbus.session.broadcast",
		"dbus.system.talk", "dbus.system.own", "dbus.system.see", "dbus.system.call", "dbus.system.broadcast",
		"network.forward", "network.allow", "network.allow_private", "network.hosts", "test.requires"}
	// wholeValueKeys are arrays that a later layer replaces instead of
	// appending to.
	wholeValueKeys = []string{"test.command", "test.setup", "test.check"}
)

// splitSchemaKey splits "mount[].size" into "mount[]" and "size".
func splitSchemaKey(key string) (parent, last string) {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// childNames lists the fixed keys allowed under a schema parent.
func childNames(parent string) []string {
	var names []string
	for _, d := range schemaIdx().children[parent] {
		_, last := splitSchemaKey(d.Key)
		names = append(names, last)
	}
	return names
}

// mountFieldApplies reports whether a [[mount]] key may be used with type t.
func mountFieldApplies(field string, t MountType) bool {
	d := schemaIdx().byKey["mount[]."+field]
	if d == nil || d.AppliesTo == nil {
		return true
	}
	for _, a := range d.AppliesTo {
		if a == t {
			return true
		}
	}
	return false
}

// appliesText is "tmpfs, overlay" for a mount key's AppliesTo.
func appliesText(field string) string {
	d := schemaIdx().byKey["mount[]."+field]
	if d == nil {
		return ""
	}
	parts := make([]string, len(d.AppliesTo))
	for i, t := range d.AppliesTo {
		parts[i] = string(t)
	}
	return strings.Join(parts, ", ")
}
