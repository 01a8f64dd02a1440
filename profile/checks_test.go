package profile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// checkCase is a minimal profile that breaks one check, and the same
// profile fixed. base, when set, is a layer t.toml extends, for the rules
// about merged layers.
type checkCase struct {
	bad, good string
	base      string
	want      string // part of the bad profile's report: place, key, message
}

// manyMaps is an id map of n single ids, inside 0, 10, 20...: with n > 100
// it covers the caller's uid 1000.
func manyMaps(n int) string {
	var b strings.Builder
	b.WriteString("[identity]\nuid_map = [")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{inside = %d, outside = %d, count = 1}", i*10, 100000+i)
	}
	b.WriteString("]\n")
	return b.String()
}

// manyDirs is n dir entries under prefix.
func manyDirs(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[mount]]\ntype = \"dir\"\ntarget = \"/%s%d\"\n", prefix, i)
	}
	return b.String()
}

const noFilter = "[process]\nnew_session = true\n[seccomp]\npolicy = \"none\"\n"

// checkCases has a case for every check, by name.
var checkCases = map[string]checkCase{
	"mount-namespace": {bad: "[namespaces]\nmount = false\n", good: "[namespaces]\nmount = true\n",
		want: ":2:1: namespaces.mount: the filesystem view needs a mount namespace"},
	"uts-for-names": {bad: "hostname = \"box\"\n[namespaces]\nuts = false\n", good: "hostname = \"box\"\n",
		want: ":1:1: hostname: hostname needs a UTS namespace (it is false at line 3)"},
	"proc-needs-pid": {bad: "[namespaces]\npid = false\n[[mount]]\ntype = \"proc\"\ntarget = \"/proc\"\n",
		good: "[[mount]]\ntype = \"proc\"\ntarget = \"/proc\"\n",
		want: ":3:1: mount[0].type: a new proc needs a pid namespace (it would show every host process)"},
	"mqueue-needs-ipc": {bad: "[namespaces]\nipc = false\n[[mount]]\ntype = \"mqueue\"\ntarget = \"/dev/mqueue\"\n",
		good: "[[mount]]\ntype = \"mqueue\"\ntarget = \"/dev/mqueue\"\n",
		want: ":3:1: mount[0].type: mqueue needs an ipc namespace, or it would expose the host's queues; set namespaces.ipc = true"},
	"time-needs-init": {bad: "[namespaces]\ntime = true\n[process]\ninit = false\n", good: "[namespaces]\ntime = true\n",
		want: ":2:1: namespaces.time: a time namespace applies to the children of the process that creates it, so it needs the init"},
	"shared-pid-needs-init": {bad: "[namespaces]\npid = false\n[process]\ninit = false\n", good: "[namespaces]\npid = false\n",
		want: ":4:1: process.init: without a pid namespace only the init can end what the payload leaves running when the sandbox ends; set process.init = true or namespaces.pid = true"},
	"maps-need-userns": {bad: "[namespaces]\nuser = false\n[identity]\nsubids = true\n", good: "[identity]\nsubids = true\n",
		want: ":2:1: namespaces.user: id maps need a user namespace"},
	"subids-or-maps": {bad: "[identity]\nsubids = true\nuid_map = [{inside = 1000, outside = 1000, count = 1}]\n",
		good: "[identity]\nuid_map = [{inside = 1000, outside = 1000, count = 1}]\n",
		want: ":2:1: identity.subids: subids and uid_map are exclusive"},
	"map-size": {bad: manyMaps(341), good: manyMaps(340),
		want: "identity.uid_map[340]: 341 map entries; the kernel accepts at most 340"},
	"map-overlap": {bad: "[identity]\nuid_map = [{inside = 0, outside = 100000, count = 2000}, {inside = 10, outside = 200000, count = 1}]\n",
		good: "[identity]\nuid_map = [{inside = 0, outside = 100000, count = 2000}, {inside = 2000, outside = 200000, count = 1}]\n",
		want: "identity.uid_map[1]: inside ids 10-10 overlap 0-1999"},
	"id-in-map": {bad: "[identity]\nuid_map = [{inside = 0, outside = 100000, count = 10}]\n",
		good: "[identity]\nuid_map = [{inside = 0, outside = 100000, count = 2000}]\n",
		want: "identity.uid_map[0]: id 1000 is not inside any uid_map range"},
	"terminal-injection": {bad: "[seccomp]\npolicy = \"none\"\n", good: noFilter,
		want: ":2:1: seccomp.policy: TIOCSTI would be open"},
	"default-action-allow-list": {bad: "[seccomp]\ndefault_action = \"EPERM\"\n", good: "[seccomp]\npolicy = \"allow-list\"\ndefault_action = \"EPERM\"\n",
		want: ":2:1: seccomp.default_action: default_action applies only with policy = \"allow-list\""},
	"terminal-guard-needs-filter": {bad: noFilter + "allow_terminal_injection = true\n", good: "[seccomp]\nallow_terminal_injection = true\n",
		want: ":5:1: seccomp.allow_terminal_injection: the terminal guard is part of the filter"},
	"syscalls-need-filter": {bad: noFilter + "[seccomp.syscalls]\nptrace = \"allow\"\n", good: "[seccomp.syscalls]\nptrace = \"allow\"\n",
		want: "seccomp.syscalls.ptrace: syscall rules have no effect with policy = \"none\""},
	"nested-userns-guard": {bad: "[namespaces]\nuser = false\n" + noFilter, good: "[namespaces]\nuser = false\n[process]\nnew_session = true\nnested_user_namespaces = true\n[seccomp]\npolicy = \"none\"\n",
		want: ":6:1: seccomp.policy: without a seccomp filter that refuses user namespaces and with namespaces.user = false"},
	"sys-resource-guard": {bad: "[capabilities]\nkeep = [\"CAP_SYS_RESOURCE\"]\n" + noFilter,
		good: "[capabilities]\nkeep = [\"CAP_SYS_RESOURCE\", \"CAP_SYS_ADMIN\"]\n" + noFilter,
		want: ":2:9: capabilities.keep: CAP_SYS_RESOURCE would let the payload raise user.max_user_namespaces again"},
	"sys-admin-single-id": {bad: "[identity]\nsubids = true\n[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n",
		good: "[identity]\nuid_map = [{inside = 1000, outside = 100000, count = 1}]\n[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n",
		want: ":4:9: capabilities.keep: CAP_SYS_ADMIN cannot be kept together with identity.subids"},
	"landlock-needs-nnp": {bad: "[process]\nno_new_privs = false\n[landlock]\nrequire = 1\n", good: "[landlock]\nrequire = 1\n",
		want: ":2:1: process.no_new_privs: Landlock (landlock.require = 1) needs no_new_privs"},
	"mount-count": {base: manyDirs("base", 2100), bad: "extends = [\"base\"]\n" + manyDirs("t", 2000), good: "extends = [\"base\"]\n" + manyDirs("t", 1996),
		want: "the merged profile has 4100 mounts; the limit is 4096"},
	"mount-target-once": {bad: "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n",
		good: "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/var/tmp\"\n",
		want: ":4:1: mount[1].target: target \"/tmp\" is already mounted by the entry at line 1; remove one"},
	"network-mode-agrees": {bad: "[namespaces]\nnet = true\n[network]\nmode = \"host\"\n", good: "[network]\nmode = \"host\"\n",
		want: ":4:1: network.mode: mode \"host\" shares the host network, but namespaces.net = true at line 2"},
	"filtered-only-keys": {bad: "[network]\nallow = [\"pypi.org\"]\n", good: "[network]\nmode = \"filtered\"\nallow = [\"pypi.org\"]\n",
		want: "network.allow[0]: allow applies only with mode = \"filtered\" (network.mode is \"none\" by default)"},
	"nat-only-keys": {bad: "[network]\nallow_host_loopback = true\n", good: "[network]\nmode = \"nat\"\nallow_host_loopback = true\n",
		want: ":2:1: network.allow_host_loopback: allow_host_loopback applies only with mode = \"nat\""},
	"forward-once": {base: "[network]\nmode = \"nat\"\nforward = [\"8080:80\"]\n",
		bad: "extends = [\"base\"]\n[network]\nforward = [\"8080:81\"]\n", good: "extends = [\"base\"]\n[network]\nforward = [\"9090:81\"]\n",
		want: ":3:12: network.forward[0]: host port 8080/tcp is already forwarded by \"8080:80/tcp\" at builtin:base.toml:3:12"},
	"pipewire-unrestricted": {bad: "[desktop]\npipewire = true\n", good: "[desktop]\npipewire = true\npipewire_unrestricted = true\n",
		want: ":2:1: desktop.pipewire: the PipeWire socket cannot be restricted"},
}

// TestEveryCheckFires loads, for every check, a minimal profile that breaks
// it and the same profile fixed: the first must be refused by that check
// with the place, key and message, the second must load. A check without
// a case fails, so a new rule comes with its test.
func TestEveryCheckFires(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range checks {
		if seen[c.name] {
			t.Errorf("two checks are named %s", c.name)
		}
		seen[c.name] = true
		if c.doc == "" {
			t.Errorf("check %s has no doc", c.name)
		}
		tc, ok := checkCases[c.name]
		if !ok {
			t.Errorf("check %s has no case in checkCases; add a bad and a good profile", c.name)
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			load := func(text string) error {
				files := map[string]string{"t.toml": text}
				if tc.base != "" {
					files["base.toml"] = tc.base
				}
				_, err := Load("t", testEnv(), Source{Builtin: builtins(files)})
				return err
			}
			err := load(tc.bad)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("the bad profile loads (%v); want check %s to refuse it", err, c.name)
			}
			fired := false
			for _, e := range es {
				if e.Check == c.name {
					fired = true
					if !strings.Contains(e.Error(), tc.want) {
						t.Errorf("check %s says:\n%s\nwant it to contain:\n%s", c.name, e, tc.want)
					}
				}
			}
			if !fired {
				t.Errorf("check %s did not fire; the report was:\n%v", c.name, err)
			}
			if err := load(tc.good); err != nil {
				t.Errorf("the good profile is refused:\n%v", err)
			}
		})
	}
	for name := range checkCases {
		if !seen[name] {
			t.Errorf("checkCases has %s, which is not a check", name)
		}
	}
}
