// Package profile is the sandbox profile language: it reads TOML profile
// files, resolves `extends`, merges layers, expands variables and validates
// every value. It is pure Go and makes no system calls, so everything here is
// testable anywhere; the launcher package turns a *Profile into a plan.
package profile

// Origin is the place in a profile file that set a value. Every value in an
// effective profile remembers one, so that `sandbox explain` can say which
// layer set it and a runtime failure can point at the line to change.
type Origin struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Profile is an effective profile: all layers merged, variables expanded,
// defaults filled in and every value validated.
type Profile struct {
	// Name is the name or path the profile was requested by.
	Name string `json:"name"`
	// Files lists every file that contributed, base layers first; the
	// last one is the file that was asked for.
	Files []string `json:"files"`

	Description string   `json:"description"`
	Programs    []string `json:"programs"`

	Namespaces   Namespaces   `json:"namespaces"`
	Identity     Identity     `json:"identity"`
	Hostname     string       `json:"hostname,omitempty"`
	Domainname   string       `json:"domainname,omitempty"`
	Filesystem   Filesystem   `json:"filesystem"`
	Capabilities Capabilities `json:"capabilities"`
	Seccomp      Seccomp      `json:"seccomp"`
	Environment  Environment  `json:"environment"`
	Limits       []Limit      `json:"limits"`
	Process      Process      `json:"process"`
	Desktop      Desktop      `json:"desktop"`
	DBus         DBus         `json:"dbus"`
	Network      Network      `json:"network"`
	Landlock     Landlock     `json:"landlock"`
	Test         SmokeTest    `json:"test"`

	// Origins maps the dotted key of every value that a file set
	// ("namespaces.net", "process.init", "seccomp.syscalls.ptrace",
	// "environment.set.FOO", "capabilities.keep.CAP_NET_RAW",
	// "dbus.session.talk.org.example.App", "network.forward.8080:80/tcp",
	// "test.requires./usr/bin/app") to the place that set it last. Keys
	// absent from the map hold their default. namespaces.net and
	// network.mode say the same thing twice, so when a file writes only
	// one of them the other's origin is that same line.
	Origins map[string]Origin `json:"origins"`
}

// Namespaces says which namespaces the sandbox gets. true means a new,
// private namespace; false means the host's is shared.
type Namespaces struct {
	User   bool `json:"user"`
	Mount  bool `json:"mount"`
	PID    bool `json:"pid"`
	Net    bool `json:"net"`
	IPC    bool `json:"ipc"`
	UTS    bool `json:"uts"`
	Cgroup bool `json:"cgroup"`
	Time   bool `json:"time"`
}

// IDRange maps Count ids starting at Inside (in the sandbox) to ids starting
// at Outside (on the host).
type IDRange struct {
	Inside  uint32 `json:"inside"`
	Outside uint32 `json:"outside"`
	Count   uint32 `json:"count"`
}

// Identity is the uid and gid the payload runs as, and how sandbox ids map
// to host ids.
type Identity struct {
	// UID and GID are the ids the payload sees. nil means the caller's own.
	UID *uint32 `json:"uid,omitempty"`
	GID *uint32 `json:"gid,omitempty"`
	// Subids maps the caller's ranges from /etc/subuid and /etc/subgid
	// (through newuidmap/newgidmap) in addition to the caller's own id.
	Subids bool `json:"subids"`
	// HostRoot lets a root launcher map the sandbox's ids to host
	// root's own. Without it a root launch maps them to an unprivileged
	// host id, so that the payload never owns what host root owns.
	HostRoot bool `json:"host_root"`
	// UIDMap and GIDMap are explicit maps; only a launcher running as
	// root may apply them. Empty means "derive from UID/GID".
	UIDMap []IDRange `json:"uid_map,omitempty"`
	GIDMap []IDRange `json:"gid_map,omitempty"`
}

// MountType names one kind of filesystem entry.
type MountType string

const (
	MountBind      MountType = "bind"
	MountROBind    MountType = "ro-bind"
	MountDevBind   MountType = "dev-bind"
	MountTmpfs     MountType = "tmpfs"
	MountProc      MountType = "proc"
	MountDev       MountType = "dev"
	MountMqueue    MountType = "mqueue"
	MountOverlay   MountType = "overlay"
	MountSymlink   MountType = "symlink"
	MountDir       MountType = "dir"
	MountFile      MountType = "file"
	MountRemountRO MountType = "remount-ro"
)

// Mount is one entry of the ordered filesystem view. Which fields apply
// depends on Type; validation rejects fields that do not.
type Mount struct {
	Type MountType `json:"type"`
	// Source is a host path: the bind source, or the host file a `file`
	// entry copies.
	Source string `json:"source,omitempty"`
	// Target is the absolute path inside the sandbox.
	Target string `json:"target"`
	// Optional allows Source (or an overlay lower dir) to be missing.
	Optional bool `json:"optional,omitempty"`
	// Writable leaves a dev-bind writable; without it the tree is
	// read-only (its device nodes still work), so that the payload
	// cannot change the host's nodes.
	Writable bool `json:"writable,omitempty"`
	// Size is the tmpfs (or overlay tmpfs upper) size limit in bytes; 0
	// means the kernel default.
	Size uint64 `json:"size,omitempty"`
	// Mode is the permission bits of a tmpfs root, a dir or a file. nil
	// means the documented default for the type.
	Mode *uint32 `json:"mode,omitempty"`
	// Content is the inline content of a `file` entry.
	Content *string `json:"content,omitempty"`
	// LinkTo is what a `symlink` entry points to.
	LinkTo string `json:"link_to,omitempty"`
	// Lower are the read-only lower dirs of an overlay, top first.
	Lower []string `json:"lower,omitempty"`
	// Upper is a persistent host upper dir for an overlay, with Work as
	// its work dir; empty Upper means a tmpfs upper (changes are lost).
	Upper string `json:"upper,omitempty"`
	Work  string `json:"work,omitempty"`
	// Home marks the bind of the persistent home (filesystem
	// persistent_home): the launcher creates its source at launch.
	Home bool `json:"home,omitempty"`
	// At is where this entry was declared.
	At Origin `json:"at"`
	// Key names the entry in messages as the profile format reference
	// does: "mount[N]" for the file's (N+1)th [[mount]] entry, counted
	// per file from 0, whatever the layers below it declare.
	Key string `json:"key"`
}

// Filesystem is the payload's view: an empty root filled by Mounts in order.
type Filesystem struct {
	Mounts []Mount `json:"mounts"`
	// Cwd is the working directory inside the sandbox; "" means the
	// caller's directory when it is visible inside, else HOME, else "/".
	Cwd string `json:"cwd,omitempty"`
	// CwdNotice is whether a launch says, in one line before it runs,
	// that the directory it was started from is not what the payload
	// works in (hidden, a throw-away tmpfs, read-only). false declares
	// that this is intended.
	CwdNotice bool `json:"cwd_notice"`
	// Unprotect are host paths released from the compiler's protection
	// of files the host trusts: a protected path equal to or under one
	// is left as the profile binds it.
	Unprotect []string `json:"unprotect"`
	// PersistentHome gives the application a home of its own that
	// outlives it: HomeDir on the host, bound at the caller's $HOME in
	// place of the profile's tmpfs there (home.go).
	PersistentHome bool   `json:"persistent_home"`
	HomeDir        string `json:"home_dir,omitempty"`
}

// Capabilities lists what the payload keeps; everything else is dropped
// from all five sets.
type Capabilities struct {
	// Keep holds canonical names such as "CAP_NET_BIND_SERVICE", sorted.
	Keep []string `json:"keep"`
	// Ambient raises Keep into the ambient set so that a non-root payload
	// holds them after exec.
	Ambient bool `json:"ambient"`
}

// ActionKind is what a seccomp rule does with a matching call.
type ActionKind string

const (
	ActAllow ActionKind = "allow"
	ActErrno ActionKind = "errno"
	ActKill  ActionKind = "kill"
	ActLog   ActionKind = "log"
	ActTrap  ActionKind = "trap"
)

// Action is a seccomp action. Errno is set for ActErrno, with ErrnoName its
// canonical name ("EPERM").
type Action struct {
	Kind      ActionKind `json:"kind"`
	Errno     int        `json:"errno,omitempty"`
	ErrnoName string     `json:"errno_name,omitempty"`
}

// SeccompPolicy is the base a profile's syscall rules modify.
type SeccompPolicy string

const (
	// PolicyDefault is the built-in deny-list: known syscalls are allowed
	// unless the policy or the profile denies them.
	PolicyDefault SeccompPolicy = "default"
	// PolicyAllowList allows only the syscalls a profile marks "allow";
	// everything else gets DefaultAction.
	PolicyAllowList SeccompPolicy = "allow-list"
	// PolicyNone loads no filter. It is an explicit loosening.
	PolicyNone SeccompPolicy = "none"
)

// SyscallRule is one syscall and what happens when it is called.
type SyscallRule struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	At     Origin `json:"at"`
}

// Seccomp is the syscall filter.
type Seccomp struct {
	Policy SeccompPolicy `json:"policy"`
	// DefaultAction applies to calls no rule names, in allow-list mode.
	DefaultAction Action `json:"default_action"`
	// Syscalls are the profile's rules, sorted by name.
	Syscalls []SyscallRule `json:"syscalls"`
	// AllowTerminalInjection drops the terminal guard (TIOCSTI and
	// TIOCLINUX refused whatever the ioctl rule says, B15). Only this key
	// turns it off: an ioctl rule of "allow" or "log" keeps it.
	AllowTerminalInjection bool `json:"allow_terminal_injection,omitempty"`
}

// EnvVar is one variable the profile sets.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Environment is built from nothing: the documented default set of host
// variables, plus Keep, minus Unset, then Set.
type Environment struct {
	Keep  []string `json:"keep"`
	Unset []string `json:"unset"`
	Set   []EnvVar `json:"set"`
}

// Unlimited is the rlimit value for "unlimited" (RLIM_INFINITY).
const Unlimited = ^uint64(0)

// Limit is one resource limit. Name is the lowercase resource name without
// RLIMIT_ ("nofile").
type Limit struct {
	Name string `json:"name"`
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
	At   Origin `json:"at"`
}

// Process says how the payload lives and dies.
type Process struct {
	// DieWithParent kills the sandbox when the launcher dies.
	DieWithParent bool `json:"die_with_parent"`
	// NewSession puts the payload in a new session, detached from the
	// caller's terminal (a TIOCSTI defence that costs job control).
	NewSession bool `json:"new_session"`
	// Init runs a small init as PID 1 that reaps orphans and forwards
	// signals; false makes the payload PID 1 itself.
	Init bool `json:"init"`
	// NestedUserNamespaces lets the payload create user namespaces
	// (browsers need them for their own sandbox).
	NestedUserNamespaces bool `json:"nested_user_namespaces"`
	// NoNewPrivs sets PR_SET_NO_NEW_PRIVS: setuid bits and file
	// capabilities give nothing.
	NoNewPrivs bool `json:"no_new_privs"`
	// PassFDs are the caller's fds (beyond 0-2) the payload inherits.
	PassFDs []int `json:"pass_fds,omitempty"`
}

// Desktop says which parts of the caller's graphical session the sandbox
// reaches. Every field is off by default; the launcher binds the sockets
// and files each one names (see the profile reference for the paths).
type Desktop struct {
	// Wayland binds the caller's Wayland socket into a private
	// XDG_RUNTIME_DIR.
	Wayland bool `json:"wayland"`
	// X11 binds the socket of $DISPLAY only and writes an Xauthority
	// file that holds only that display's cookie.
	X11 bool `json:"x11"`
	// PulseAudio reaches the PulseAudio server (or pipewire-pulse)
	// through the launcher's filter: playing and recording only.
	PulseAudio bool `json:"pulseaudio"`
	// PipeWire binds the PipeWire socket as it is. PipeWire offers no
	// restriction that stops a client from making the server load a
	// library, so it also needs PipeWireUnrestricted.
	PipeWire bool `json:"pipewire"`
	// PipeWireUnrestricted accepts that risk: host code execution is
	// possible through the PipeWire socket.
	PipeWireUnrestricted bool `json:"pipewire_unrestricted"`
	// GPU binds /dev/dri and, read-only, only the GPUs' own sysfs entries.
	GPU bool `json:"gpu"`
	// Fonts binds the system and user font directories read-only.
	Fonts bool `json:"fonts"`
	// Themes binds the user's GTK, icon and cursor themes read-only.
	Themes bool `json:"themes"`
	// Portal lets the payload talk to org.freedesktop.portal.* on the
	// session bus, which therefore gets a filtering proxy.
	Portal bool `json:"portal"`
}

// DBus holds the filtering rules for each message bus. A bus without
// rules is not reachable at all.
type DBus struct {
	Session DBusBus `json:"session"`
	System  DBusBus `json:"system"`
}

// DBusBus is what an xdg-dbus-proxy in front of one bus lets through.
// Names are well-known bus names; a name ending in ".*" also matches every
// name below it ("org.example.App.*").
type DBusBus struct {
	// Talk lists the names the payload may call methods on.
	Talk []string `json:"talk"`
	// Own lists the names the payload may own.
	Own []string `json:"own"`
	// See lists the names the payload may see exist.
	See []string `json:"see"`
	// Call holds "NAME=RULE" entries passed to the proxy as --call: the
	// payload may call the methods of NAME that match RULE, and no other.
	Call []string `json:"call"`
	// Broadcast holds "NAME=RULE" entries passed to the proxy as
	// --broadcast: signals from NAME matching RULE reach the payload.
	Broadcast []string `json:"broadcast"`
}

// HasRules reports whether the bus is reachable at all.
func (b DBusBus) HasRules() bool {
	return len(b.Talk)+len(b.Own)+len(b.See)+len(b.Call)+len(b.Broadcast) > 0
}

// The network modes.
const (
	// NetworkNone is a new network namespace with only loopback.
	NetworkNone = "none"
	// NetworkHost shares the host's network (namespaces.net = false).
	NetworkHost = "host"
	// NetworkNAT is a new network namespace with user-mode NAT to the
	// host's network through pasta or slirp4netns.
	NetworkNAT = "nat"
	// NetworkFiltered is a new network namespace with only loopback and
	// an HTTP proxy run by the launcher that reaches network.allow.
	NetworkFiltered = "filtered"
)

// The NAT backends.
const (
	// BackendAuto is pasta when it is installed, else slirp4netns.
	BackendAuto        = "auto"
	BackendPasta       = "pasta"
	BackendSlirp4netns = "slirp4netns"
)

// Network is the sandbox's network. Mode agrees with Namespaces.Net:
// NetworkHost exactly when Net is false.
type Network struct {
	// Mode is NetworkNone, NetworkHost or NetworkNAT.
	Mode string `json:"mode"`
	// Backend is the NAT helper: BackendAuto, BackendPasta or
	// BackendSlirp4netns. It matters only with NetworkNAT.
	Backend string `json:"backend"`
	// Forwards are host ports that reach the sandbox (NAT only), in
	// profile order.
	Forwards []PortForward `json:"forwards"`
	// AllowHostLoopback lets the sandbox reach the host's 127.0.0.1
	// through the gateway address (NAT only).
	AllowHostLoopback bool `json:"allow_host_loopback"`
	// ConnectPorts and BindPorts, when set, are the only TCP ports the
	// payload may connect to and bind, enforced by Landlock (ABI 4); nil
	// leaves TCP unrestricted.
	ConnectPorts []int `json:"connect_ports,omitempty"`
	BindPorts    []int `json:"bind_ports,omitempty"`
	// Allow and AllowPrivate are the egress proxy's allow-lists and
	// Hosts its fixed name mappings (NetworkFiltered only), in profile
	// order.
	Allow        []EgressRule  `json:"allow,omitempty"`
	AllowPrivate []EgressRule  `json:"allow_private,omitempty"`
	Hosts        []HostMapping `json:"hosts,omitempty"`
}

// EgressRule is one entry of network.allow or network.allow_private.
type EgressRule struct {
	// Host is a lower-case name without a trailing dot, "*.suffix", or
	// an IP address in its canonical form.
	Host string `json:"host"`
	// Port is the one port allowed; 0 means 80 and 443.
	Port int `json:"port,omitempty"`
	// At is where the entry was written.
	At Origin `json:"at"`
}

// HostMapping is one entry of network.hosts: Name resolves to Addr.
type HostMapping struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	At   Origin `json:"at"`
}

// Landlock is the second wall behind the mount view: a Landlock ruleset
// the compiler derives from the view, with the profile's extra rules.
type Landlock struct {
	// Enabled false turns it off: a loosening.
	Enabled bool `json:"enabled"`
	// Require is the minimum Landlock ABI the kernel must offer; 0
	// takes what there is.
	Require int `json:"require,omitempty"`
	// ReadOnly and ReadWrite are extra paths inside the sandbox.
	ReadOnly  []string `json:"read_only"`
	ReadWrite []string `json:"read_write"`
}

// PortForward makes host 127.0.0.1:HostPort reach SandboxPort inside.
type PortForward struct {
	HostPort    uint16 `json:"host_port"`
	SandboxPort uint16 `json:"sandbox_port"`
	// Proto is "tcp" or "udp".
	Proto string `json:"proto"`
	// At is where this forward was declared.
	At Origin `json:"at"`
}

// SmokeTest is the profile's own test, run by `sandbox test PROFILE`:
// Setup on the host, Command in the sandbox, then Check on the host. An
// empty Command means the profile has no test. Every string has had its
// variables expanded.
type SmokeTest struct {
	// Command is the argv run inside the sandbox.
	Command []string `json:"command"`
	// ExpectExit is the exit code that means success.
	ExpectExit int `json:"expect_exit"`
	// ExpectOutput is an RE2 expression the combined stdout and stderr
	// must match; "" matches anything. It is known to compile.
	ExpectOutput string `json:"expect_output"`
	// Timeout is in seconds, 1 to 600.
	Timeout int `json:"timeout"`
	// Requires are absolute host paths that must exist for the test to
	// run; a missing one means the program is not installed.
	Requires []string `json:"requires"`
	// Setup is an argv run on the host before Command; empty means none.
	Setup []string `json:"setup"`
	// Check is an argv run on the host after Command succeeded; it must
	// exit 0. Empty means none.
	Check []string `json:"check"`
}
