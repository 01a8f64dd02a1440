// Package launcher compiles an effective profile into a Plan and runs it.
//
// The plan is the only thing the sandbox side ever sees: clone flags, id
// maps and an ordered list of typed steps, each remembering the profile
// line it came from, so that a failure at run time points back to the line
// a user must change.
package plan

// Plan is a compiled profile, ready to run.
type Plan struct {
	// Profile is the name the profile was requested by; Files are its
	// layers, base first.
	Profile string   `json:"profile"`
	Files   []string `json:"files"`

	// CloneFlags are the CLONE_NEW* flags for the sandbox's first process.
	CloneFlags uintptr `json:"clone_flags"`

	// IDs says how ids are mapped into a new user namespace; nil when the
	// plan creates none.
	IDs *IDMapping `json:"ids,omitempty"`

	// UID and GID are the ids the payload runs as, inside the user
	// namespace (on the host without one). HostIDs translates them.
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`

	// Steps run in order inside the new namespaces, after the id maps are
	// written and before the payload is executed.
	Steps []Step `json:"steps"`

	// Env is the payload's complete environment ("NAME=value").
	Env []string `json:"env"`

	// DieWithParent and PassFDs shape the process tree; a NewSession
	// step and the Exec step's Init do the rest (InNewSession, RunsInit).
	DieWithParent bool  `json:"die_with_parent"`
	PassFDs       []int `json:"pass_fds,omitempty"`
	// PassFDsAt is the profile line of each entry of PassFDs, for the
	// launch-time checks that can only look at the caller's descriptors.
	PassFDsAt map[int]Origin `json:"pass_fds_at,omitempty"`

	// TimeNamespace asks for a new time namespace. It is not in
	// CloneFlags (CLONE_NEWTIME shares its bit with clone's exit-signal
	// byte): the init unshares it before it forks the payload, so the
	// payload and its children are inside it.
	TimeNamespace bool `json:"time_namespace,omitempty"`

	// DBusProxy is the filtering D-Bus proxy the launcher starts on the
	// host before the sandbox and stops after it; nil when no bus is
	// reachable. DBusSocket steps bind its sockets.
	DBusProxy *DBusProxy `json:"dbus_proxy,omitempty"`

	// PulseProxy is the filter the launcher runs between the sandbox and
	// the host's PulseAudio server (or pipewire-pulse); nil unless
	// desktop.pulseaudio is on. A PulseSocket step binds its socket.
	PulseProxy *PulseProxy `json:"pulse_proxy,omitempty"`

	// NAT is the user-mode network helper the launcher attaches to the
	// sandbox's network namespace once it exists; the sandbox waits for
	// it to be configured before its first step. nil unless
	// network.mode is "nat".
	NAT *NAT `json:"nat,omitempty"`

	// Egress is the launcher's filtering proxy (network.mode
	// "filtered"), nil without one.
	Egress *Egress `json:"egress,omitempty"`

	// Desktop says, one entry per [desktop] switch that is on, what the
	// switch connected; the steps themselves are ordinary binds, files
	// and variables. For explain.
	Desktop []DesktopItem `json:"desktop,omitempty"`

	// Protected lists the files the host trusts that a writable bind
	// exposes and the plan keeps read-only, and those the profile
	// released with filesystem.unprotect. For explain.
	Protected []ProtectedPath `json:"protected,omitempty"`

	// Warnings are problems of this machine that a lenient compile
	// (Host.Lenient) let through; the parts they concern are left out.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is one thing this machine lacks for the profile; the part it
// concerns is left out of the plan.
type Warning struct {
	*Problem
	// Optional marks a part of the desktop session that is simply not
	// running (no display, no sound server, no session bus), or one of
	// a pair whose other half works: what a headless or command-line run
	// of a desktop profile meets. The launcher reports it only when
	// asked (-v); anything else is a fault of this machine worth a
	// warning every time.
	Optional bool `json:"optional"`
}

// ProtectedPath is one host path the host trusts, reachable through a
// writable bind of the profile.
type ProtectedPath struct {
	// Host is the path on the host; Inside where the payload sees it.
	Host   string `json:"host"`
	Inside string `json:"inside"`
	Why    string `json:"why"`
	// Released names the filesystem.unprotect entry that leaves it
	// writable; empty when the plan keeps it read-only.
	Released string `json:"released,omitempty"`
	// At is the bind that exposes it, or the unprotect entry.
	At Origin `json:"at"`
}

// DesktopItem is one [desktop] switch and what it gives the sandbox.
type DesktopItem struct {
	Key         string `json:"key"`
	Description string `json:"description"`
	At          Origin `json:"at"`
}

// DBusProxy is one xdg-dbus-proxy process serving every filtered bus. It
// runs in a mount namespace of its own whose root holds a /.flatpak-info
// naming AppID, so that portals, which identify a caller by its
// connection's process, take the sandbox for a sandboxed app
// (compile/desktop_portal.go).
type DBusProxy struct {
	// Program is the proxy's absolute path on the host.
	Program string `json:"program"`
	// Buses are the buses it filters, session first.
	Buses []DBusBusProxy `json:"buses"`
	// AppID is the app id portals see (PortalAppID).
	AppID string `json:"app_id"`
	// Network is true when the sandbox has a network, which
	// /.flatpak-info then says.
	Network bool `json:"network"`
}

// DBusBusProxy is the proxy for one bus.
type DBusBusProxy struct {
	// Bus is "session" or "system".
	Bus string `json:"bus"`
	// Address is the real bus's address on the host.
	Address string `json:"address"`
	// Rules are the proxy's policy options, as passed to it
	// ("--talk=org.example.App"); --filter is always on.
	Rules []string `json:"rules"`
	At    Origin   `json:"at"`
}

// PulseProxy is the sound filter: the launcher listens on a socket of its
// own, and relays each connection to the host's server, letting through
// only the commands that playing and recording need (launcher/internal/pulse).
type PulseProxy struct {
	// Server is the host server's socket.
	Server string `json:"server"`
	// Cookie is the host file holding the server's cookie, which the
	// launcher reads and puts into the handshake for the payload; ""
	// when the caller has none (the server then knows the launcher by
	// its uid).
	Cookie string `json:"cookie,omitempty"`
	At     Origin `json:"at"`
}

// NAT is a user-mode network helper: pasta or slirp4netns.
type NAT struct {
	// Backend is BackendPasta or BackendSlirp4netns,
	// never auto: the compiler chose one that is installed.
	Backend string `json:"backend"`
	// Program is the helper's absolute path on the host.
	Program string `json:"program"`
	// Forwards are host 127.0.0.1 ports that reach the sandbox.
	Forwards []PortForward `json:"forwards,omitempty"`
	// AllowHostLoopback lets the sandbox reach the host's 127.0.0.1
	// through the gateway address.
	AllowHostLoopback bool   `json:"allow_host_loopback"`
	At                Origin `json:"at"`
}

// Egress is the HTTP proxy a filtered sandbox reaches at 127.0.0.1:Port
// inside. The sandbox's setup makes the listening socket in its network
// namespace and hands it over; the launcher serves it (egress/proxy.go).
type Egress struct {
	Port         int           `json:"port"`
	Allow        []EgressRule  `json:"allow"`
	AllowPrivate []EgressRule  `json:"allow_private,omitempty"`
	Hosts        []HostMapping `json:"hosts,omitempty"`
	At           Origin        `json:"at"`
}

// IDMapping is how ids in the new user namespace map to host ids.
type IDMapping struct {
	UIDMap []IDRange `json:"uid_map"`
	GIDMap []IDRange `json:"gid_map"`
	// DenySetgroups writes "deny" to /proc/PID/setgroups before the gid
	// map, as the kernel requires for an unprivileged single-id map, and
	// as the sandbox requires of newgidmap's ranges: the payload must
	// not shed the caller's supplementary groups.
	DenySetgroups bool `json:"deny_setgroups"`
	// Helper is true when the maps must be written by newuidmap and
	// newgidmap (ranges from /etc/subuid granted to an unprivileged
	// caller); otherwise the launcher writes them itself.
	Helper bool `json:"helper"`
	// At is the profile line that asked for this mapping.
	At Origin `json:"at"`
	// Note says, for a root launch, which host ids the sandbox's map to
	// and why (explain).
	Note string `json:"note,omitempty"`
}

// Step is one setup action executed inside the sandbox. Each concrete type
// below is one kind of step.
type Step interface {
	// Kind is a stable machine name ("bind-mount").
	Kind() string
	// Describe says what the step does, in words a person understands.
	Describe() string
	// Origin is the profile line the step came from; zero for steps the
	// launcher always performs.
	Origin() Origin
}

// From is embedded in every step to carry its origin.
type From struct {
	At Origin `json:"at"`
}

// Origin returns where the step came from.
func (f From) Origin() Origin { return f.At }

// MakePrivate makes every mount in the new mount namespace private, so that
// nothing mounted later propagates back to the host (checklist F9). It is
// always the first step.
type MakePrivate struct{ From }

// NewRoot mounts an empty tmpfs that becomes the sandbox's root.
type NewRoot struct{ From }

// BindMount binds a host path into the new root. Binds are always recursive;
// ReadOnly is applied recursively to every submount (F2).
type BindMount struct {
	From
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only"`
	// Devices keeps device nodes usable (dev-bind); other binds are nodev.
	Devices  bool `json:"devices"`
	Optional bool `json:"optional"`
}

// Tmpfs mounts a fresh tmpfs.
type Tmpfs struct {
	From
	Target string `json:"target"`
	Size   uint64 `json:"size"`
	Mode   uint32 `json:"mode"`
}

// Proc mounts a procfs for the sandbox's pid namespace.
type Proc struct {
	From
	Target string `json:"target"`
}

// Dev builds a minimal /dev: null zero full random urandom tty, pts, ptmx,
// shm and the fd/stdin/stdout/stderr links (F14).
type Dev struct {
	From
	Target string `json:"target"`
}

// Mqueue mounts a POSIX message queue filesystem.
type Mqueue struct {
	From
	Target string `json:"target"`
}

// Overlay mounts an overlay of read-only lower dirs with a tmpfs or
// persistent upper dir.
type Overlay struct {
	From
	Target string   `json:"target"`
	Lower  []string `json:"lower"`
	Upper  string   `json:"upper,omitempty"`
	Work   string   `json:"work,omitempty"`
	Size   uint64   `json:"size,omitempty"`
}

// Symlink creates a symbolic link.
type Symlink struct {
	From
	Target string `json:"target"`
	LinkTo string `json:"link_to"`
}

// Dir creates a directory.
type Dir struct {
	From
	Target string `json:"target"`
	Mode   uint32 `json:"mode"`
}

// File creates a file from inline content or a copy of a host file.
type File struct {
	From
	Target   string `json:"target"`
	Content  []byte `json:"content,omitempty"`
	CopyFrom string `json:"copy_from,omitempty"`
	Mode     uint32 `json:"mode"`
	Optional bool   `json:"optional,omitempty"`
}

// RemountReadOnly makes an existing mount point and all its submounts
// read-only.
type RemountReadOnly struct {
	From
	Target string `json:"target"`
}

// Protect binds a path onto itself after every mount of the profile, so
// that a file the host trusts stays as it is whatever the profile binds
// writable (checklist H1, H2). ReadOnly makes it read-only; without it the
// step pins a directory or symlink on the way to a protected path: a mount
// point cannot be renamed, removed or replaced, and a plain directory above
// a read-only bind could be renamed away and rebuilt without it.
//
// Root is the inside target of the writable bind that exposes the path,
// resolved as the bind was; Rel is the rest, resolved beneath Root without
// following any symlink (the compiler saw none there) and without
// following the last component either.
type Protect struct {
	From
	Target   string `json:"target"`
	Root     string `json:"root"`
	Rel      string `json:"rel,omitempty"`
	Host     string `json:"host"`
	ReadOnly bool   `json:"read_only"`
	// Why says what the host does with the path ("shell start-up
	// file"), or for a pin, which protected path it keeps in place.
	Why string `json:"why"`
}

// PivotRoot makes the new root the sandbox's / and detaches the old root so
// the host's tree is no longer reachable.
type PivotRoot struct{ From }

// LockMounts enters a further user and mount namespace, so that every mount
// made so far is locked: even a payload holding CAP_SYS_ADMIN in its own
// namespace cannot remount or unmount them (F3).
type LockMounts struct {
	From
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
}

// LoopbackUp brings up the loopback interface of the new network
// namespace, which the kernel creates down: without it even 127.0.0.1
// inside is unreachable. It needs CAP_NET_ADMIN over the namespace, so it
// comes before LockMounts and before capabilities are dropped.
type LoopbackUp struct{ From }

// DBusSocket binds the socket of the plan's D-Bus proxy for Bus ("session"
// or "system") at Target. The socket's host path exists only once the
// launcher started the proxy; the launcher then runs this step as a
// BindMount of it.
type DBusSocket struct {
	From
	Bus    string `json:"bus"`
	Target string `json:"target"`
}

// PulseSocket binds the socket of the plan's sound filter (PulseProxy) at
// Target. Like DBusSocket, it exists only once the launcher listens; the
// launcher then runs this step as a BindMount of it.
type PulseSocket struct {
	From
	Target string `json:"target"`
}

// Hostname sets the hostname in the new UTS namespace.
type Hostname struct {
	From
	Name string `json:"name"`
}

// Domainname sets the NIS domain name in the new UTS namespace.
type Domainname struct {
	From
	Name string `json:"name"`
}

// Chdir sets the working directory inside the new root.
type Chdir struct {
	From
	Dir string `json:"dir"`
	// Fallback is used when Dir does not exist inside ("" = fail).
	Fallback string `json:"fallback,omitempty"`
}

// Rlimit sets one resource limit.
type Rlimit struct {
	From
	Name     string `json:"name"`
	Resource int    `json:"resource"`
	Soft     uint64 `json:"soft"`
	Hard     uint64 `json:"hard"`
}

// SetIDs switches to the payload's uid, gid and supplementary groups (root
// mode without a user namespace, or a non-default id inside one).
type SetIDs struct {
	From
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups"`
	// KeepGroups skips setgroups, which a rootless user namespace denies.
	KeepGroups bool `json:"keep_groups"`
}

// Capabilities sets all five capability sets to exactly Keep (numbers);
// Ambient raises them into the ambient set too.
type Capabilities struct {
	From
	Keep    []uint   `json:"keep"`
	Names   []string `json:"names"`
	Ambient bool     `json:"ambient"`
}

// NoNewPrivs sets PR_SET_NO_NEW_PRIVS.
type NoNewPrivs struct{ From }

// NewSession calls setsid so the payload has no controlling terminal (T1).
type NewSession struct{ From }

// Seccomp loads a BPF program compiled in the launcher. It is loaded last,
// right before exec, so the setup itself is not filtered.
type Seccomp struct {
	From
	// Program is the raw BPF program: sock_filter entries, 8 bytes each.
	Program []byte `json:"-"`
	// Summary says what the filter does, for explain.
	Summary []string `json:"summary"`
	// Source is what the program was compiled from, in the seccomp
	// package's terms, so that an exporter can list its rules
	// (seccomp.Rules). The plan does not look inside it.
	Source any `json:"-"`
}

// UserNamespaceLimit sets user.max_user_namespaces to Max in the
// sandbox's user namespace (I9), before anything else: Max is the number
// the setup itself still creates (LockMounts). With Optional, a kernel
// that refuses the write leaves the seccomp filter to hold alone.
type UserNamespaceLimit struct {
	From
	Max      int  `json:"max"`
	Optional bool `json:"optional,omitempty"`
}

// Exec runs the payload. With Init, a small init stays PID 1, reaps orphans
// and forwards signals.
type Exec struct {
	From
	Argv []string `json:"argv"`
	// Path is where argv[0] is looked up when it has no slash ($PATH of
	// the sandbox's environment).
	Path string `json:"path"`
	Init bool   `json:"init"`
}

func (MakePrivate) Kind() string     { return "make-private" }
func (NewRoot) Kind() string         { return "new-root" }
func (BindMount) Kind() string       { return "bind-mount" }
func (Tmpfs) Kind() string           { return "tmpfs" }
func (Proc) Kind() string            { return "proc" }
func (Dev) Kind() string             { return "dev" }
func (Mqueue) Kind() string          { return "mqueue" }
func (Overlay) Kind() string         { return "overlay" }
func (Symlink) Kind() string         { return "symlink" }
func (Dir) Kind() string             { return "dir" }
func (File) Kind() string            { return "file" }
func (RemountReadOnly) Kind() string { return "remount-ro" }
func (Protect) Kind() string         { return "protect" }
func (PivotRoot) Kind() string       { return "pivot-root" }
func (LockMounts) Kind() string      { return "lock-mounts" }
func (LoopbackUp) Kind() string      { return "loopback-up" }
func (DBusSocket) Kind() string      { return "dbus-socket" }
func (PulseSocket) Kind() string     { return "pulse-socket" }
func (Hostname) Kind() string        { return "hostname" }
func (Domainname) Kind() string      { return "domainname" }
func (Chdir) Kind() string           { return "chdir" }
func (Rlimit) Kind() string          { return "rlimit" }
func (SetIDs) Kind() string          { return "set-ids" }
func (Capabilities) Kind() string    { return "capabilities" }
func (NoNewPrivs) Kind() string      { return "no-new-privs" }
func (NewSession) Kind() string      { return "new-session" }
func (Seccomp) Kind() string         { return "seccomp" }
func (Exec) Kind() string            { return "exec" }

func (UserNamespaceLimit) Kind() string { return "userns-limit" }

// HostIDs returns the host uid and gid the payload runs as: for a root
// launch, the unprivileged ids its sandbox maps to (the files it creates
// are theirs). ok is false when one of them maps to no host id.
func (p *Plan) HostIDs() (uid, gid uint32, ok bool) {
	if p.IDs == nil {
		return p.UID, p.GID, true
	}
	u, uok := hostIDOf(p.IDs.UIDMap, p.UID)
	g, gok := hostIDOf(p.IDs.GIDMap, p.GID)
	return u, g, uok && gok
}

// hostIDOf translates an id inside through a map.
func hostIDOf(r []IDRange, inside uint32) (uint32, bool) {
	for _, x := range r {
		if inside >= x.Inside && uint64(inside) < uint64(x.Inside)+uint64(x.Count) {
			return x.Outside + (inside - x.Inside), true
		}
	}
	return 0, false
}
