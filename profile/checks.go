package profile

// A check is one rule of the profile language that involves several
// values of the merged profile and does not depend on the machine: "a
// new proc needs a pid namespace" holds on every host, so it is refused
// when the profile is loaded (sandbox check, explain, every launch), not
// first when a plan is compiled. What only a machine can tell (a source
// that is missing, maps only root can write, a Landlock ABI the kernel
// lacks) stays in the compiler.
//
// They run after merging because a later layer may fix what an earlier
// one left (a base sets hostname, the user's layer turns uts on). Every
// problem names the line to change and the fix, as
// "file:line:col: key: message".
type check struct {
	// name identifies the check; errors carry it (Error.Check) so a
	// test can tell which rule fired.
	name string
	// doc says what the rule is and why it holds.
	doc string
	run func(v *validator)
}

// checks is every cross-key rule of the language, in one list; a new
// rule is added here and, with a bad and a good profile, to
// TestEveryCheckFires.
var checks = []check{
	// Namespaces and the process tree.
	{"mount-namespace", "the filesystem view is always built in a new mount namespace: namespaces.mount = false is refused", (*validator).mountNamespace},
	{"uts-for-names", "hostname and domainname need a UTS namespace, or a root launcher would rename the host (I5)", (*validator).utsForNames},
	{"proc-needs-pid", "a new proc needs a pid namespace, or it would show every host process", (*validator).procNeedsPID},
	{"mqueue-needs-ipc", "an mqueue mount needs an ipc namespace, or it would expose the host's queues", (*validator).mqueueNeedsIPC},
	{"time-needs-init", "a time namespace applies to the children of its creator, so it needs the init", (*validator).timeNeedsInit},
	{"shared-pid-needs-init", "without a pid namespace only the init ends what the payload leaves running (L9)", (*validator).sharedPIDNeedsInit},

	// Identity.
	{"maps-need-userns", "id maps and subids need a user namespace", (*validator).mapsNeedUserns},
	{"subids-or-maps", "identity.subids and an explicit map are exclusive", (*validator).subidsOrMaps},
	{"map-size", "the kernel accepts at most 340 lines in an id map", (*validator).mapSize},
	{"map-overlap", "an id map maps each id once, inside and outside", (*validator).mapOverlap},
	{"id-in-map", "an explicit map covers the id the payload runs as", (*validator).idInMap},

	// Seccomp, capabilities and nested user namespaces.
	{"terminal-injection", "without a seccomp filter, only a new session closes TIOCSTI (B15)", (*validator).terminalInjection},
	{"default-action-allow-list", "seccomp.default_action applies only to an allow-list", (*validator).defaultActionAllowList},
	{"terminal-guard-needs-filter", "seccomp.allow_terminal_injection is part of a filter; policy none has none", (*validator).terminalGuardNeedsFilter},
	{"syscalls-need-filter", "syscall rules have no effect with policy none", (*validator).syscallsNeedFilter},
	{"nested-userns-guard", "with nested user namespaces off and no user namespace of its own, only the seccomp filter stops the payload from creating them (I9)", (*validator).nestedUsernsGuard},
	{"sys-resource-guard", "CAP_SYS_RESOURCE would raise the sandbox's user namespace limit again unless the filter or locked mounts hold (I9)", (*validator).sysResourceGuard},
	{"sys-admin-single-id", "CAP_SYS_ADMIN is kept only with a single mapped id, the only case in which the sandbox can lock its mounts (F3)", (*validator).sysAdminSingleID},
	{"landlock-needs-nnp", "landlock.require needs no_new_privs, or the ruleset cannot be applied", (*validator).landlockNeedsNNP},

	// Filesystem.
	{"mount-count", "the merged profile has at most 4096 mounts (B7)", (*validator).mountCount},
	{"mount-target-once", "each target is mounted by one entry, remount-ro aside (B9)", (*validator).mountTargetOnce},

	// Network.
	{"network-mode-agrees", "network.mode and namespaces.net, when both are written, say the same", (*validator).networkModeAgrees},
	{"filtered-only-keys", "allow, allow_private and hosts apply only with mode \"filtered\"", (*validator).filteredOnlyKeys},
	{"nat-only-keys", "backend, allow_host_loopback and forward apply only with mode \"nat\"", (*validator).natOnlyKeys},
	{"forward-once", "two layers do not forward one host port and protocol", (*validator).forwardOnce},

	// Desktop.
	{"pipewire-unrestricted", "the PipeWire socket, which no filter restricts, needs desktop.pipewire_unrestricted (W2)", (*validator).pipewireUnrestricted},
}
