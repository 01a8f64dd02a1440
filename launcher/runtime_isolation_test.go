package launcher_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"sandbox/launcher/internal/testutil"
	"sandbox/plan"
)

var (
	caseEcho = defineCase("echo", func(b *testutil.Builder, args []string) {
		b.Argv = testutil.Shell("echo hello from $(id -u); exit 7")
	})
	caseNamespaces = defineCase("namespaces", func(b *testutil.Builder, args []string) {
		b.Argv = testutil.Shell("for n in mnt pid net ipc uts user cgroup; do echo $n $(readlink /proc/self/ns/$n); done")
	})
	caseStatus = defineCase("status", func(b *testutil.Builder, args []string) {
		b.Argv = []string{"cat", "/proc/self/status"}
	})
	caseKeepCap = defineCase("keep-cap", func(b *testutil.Builder, args []string) {
		b.Keep, b.Ambient = []uint{10}, true // CAP_NET_BIND_SERVICE
		b.Argv = []string{"cat", "/proc/self/status"}
	})
	caseNetDev = defineCase("net", func(b *testutil.Builder, args []string) {
		b.Argv = []string{"cat", "/proc/net/dev"}
	})
	caseHostInvisible = defineCase("host-invisible", func(b *testutil.Builder, args []string) {
		b.Argv = testutil.Shell(`ls -A /; for p in /etc /home /root /var /oldroot /newroot /run; do
			test -e $p && echo "VISIBLE $p"; done; cat /proc/self/mountinfo`)
	})
	caseInitHidesLauncher = defineCase("init-hides-launcher", func(b *testutil.Builder, args []string) {
		b.Init = true
		b.Argv = testutil.Shell(`echo "cmdline $(tr -d '\0' < /proc/1/cmdline)"
			if cat /proc/1/environ >/dev/null 2>&1; then echo "environ readable"; else echo "environ denied"; fi
			if readlink /proc/1/fd/0 >/dev/null 2>&1; then echo "fds readable"; else echo "fds denied"; fi
			if cat /proc/1/maps >/dev/null 2>&1; then echo "memory readable"; else echo "memory denied"; fi
			echo "fd numbers" $(ls /proc/1/fd 2>/dev/null)`)
	})
	caseHostname = defineCase("hostname", func(b *testutil.Builder, args []string) {
		b.Mounts = append(b.Mounts,
			plan.Hostname{From: testutil.At(30), Name: "sbx-test"},
			plan.Domainname{From: testutil.At(31), Name: "sbx-domain"})
		b.Argv = testutil.Shell("cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname")
	})
)

func TestRuntimeRunsPayload(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseEcho)
		if r.Code != 7 || !strings.HasPrefix(r.Stdout, "hello from ") {
			t.Fatalf("want exit 7 and a greeting, got %v", r)
		}
	})
}

// Every namespace the plan asks for is new; the others are the host's.
func TestRuntimeNamespacesDiffer(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseNamespaces)
		if r.Code != 0 {
			t.Fatal(r)
		}
		userns := m.hasUserNS()
		for _, l := range lines(r.Stdout) {
			name, inside, _ := strings.Cut(l, " ")
			host, err := os.Readlink("/proc/self/ns/" + name)
			if err != nil {
				t.Fatal(err)
			}
			wantNew := name != "cgroup" && (name != "user" || userns)
			if (inside != host) != wantNew {
				t.Errorf("%s namespace: inside %s, host %s; want new=%v", name, inside, host, wantNew)
			}
		}
	})
}

// statusField returns a hex or decimal field of /proc/self/status.
func statusField(t *testing.T, status, name string, base int) uint64 {
	t.Helper()
	for _, l := range lines(status) {
		if k, v, ok := strings.Cut(l, ":"); ok && k == name {
			n, err := strconv.ParseUint(strings.TrimSpace(v), base, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in status:\n%s", name, status)
	return 0
}

var capSets = []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}

// P1, P2: no capability in any set by default, and no_new_privs.
func TestRuntimeDropsEveryCapability(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseStatus)
		if r.Code != 0 {
			t.Fatal(r)
		}
		for _, set := range capSets {
			if v := statusField(t, r.Stdout, set, 16); v != 0 {
				t.Errorf("%s = %#x, want 0", set, v)
			}
		}
		if v := statusField(t, r.Stdout, "NoNewPrivs", 10); v != 1 {
			t.Errorf("NoNewPrivs = %d, want 1", v)
		}
	})
}

// P1: a kept capability is in all five sets, and no other is.
func TestRuntimeKeepsExactlyTheKeptCapability(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseKeepCap)
		if r.Code != 0 {
			t.Fatal(r)
		}
		for _, set := range capSets {
			if v := statusField(t, r.Stdout, set, 16); v != 1<<10 {
				t.Errorf("%s = %#x, want %#x (CAP_NET_BIND_SERVICE only)", set, v, 1<<10)
			}
		}
	})
}

// I3: a new network namespace has only lo.
func TestRuntimeNetworkHasOnlyLoopback(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseNetDev)
		if r.Code != 0 {
			t.Fatal(r)
		}
		var ifaces []string
		for _, l := range lines(r.Stdout) {
			if name, _, ok := strings.Cut(l, ":"); ok && !strings.Contains(name, "|") {
				ifaces = append(ifaces, strings.TrimSpace(name))
			}
		}
		if len(ifaces) != 1 || ifaces[0] != "lo" {
			t.Fatalf("interfaces %v, want only lo\n%s", ifaces, r.Stdout)
		}
	})
}

// I6: only the declared view is there; nothing of the host's tree or of
// the scratch root the view was built in.
func TestRuntimeHostTreeInvisible(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseHostInvisible)
		if r.Code != 0 {
			t.Fatal(r)
		}
		if strings.Contains(r.Stdout, "VISIBLE") {
			t.Errorf("host paths visible inside:\n%s", r.Stdout)
		}
		for _, trace := range []string{"oldroot", "newroot", "sandbox-base"} {
			if strings.Contains(r.Stdout, trace) {
				t.Errorf("%q appears inside:\n%s", trace, r.Stdout)
			}
		}
		root := map[string]bool{}
		for _, l := range lines(r.Stdout) {
			if !strings.Contains(l, " ") {
				root[l] = true
			}
		}
		for _, want := range []string{"usr", "bin", "proc", "dev", "tmp"} {
			if !root[want] {
				t.Errorf("/%s missing from the root: %v", want, root)
			}
		}
	})
}

// I5: host and domain names are set inside, the host's stay.
func TestRuntimeHostname(t *testing.T) {
	host, _ := os.ReadFile("/proc/sys/kernel/hostname")
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseHostname)
		if r.Code != 0 || lines(r.Stdout)[0] != "sbx-test" || lines(r.Stdout)[1] != "sbx-domain" {
			t.Fatalf("want sbx-test and sbx-domain, got %v", r)
		}
		if now, _ := os.ReadFile("/proc/sys/kernel/hostname"); string(now) != string(host) {
			t.Fatalf("host's hostname changed from %q to %q", host, now)
		}
	})
}

// P5, P6: the init is a copy of the launcher: its arguments are blanked and
// its environment, fds and memory are out of the payload's reach.
func TestRuntimeInitHidesTheLauncher(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseInitHidesLauncher)
		// A root payload may list the fd numbers (it owns the
		// directory), not open them; the init keeps only 0-2.
		want := "cmdline sandbox-init|environ denied|fds denied|memory denied|fd numbers"
		got := strings.Join(lines(r.Stdout), "|")
		got = strings.TrimSuffix(got, " 0 1 2")
		if r.Code != 0 || got != want {
			t.Fatalf("want %q, got %v", want, r)
		}
	})
}
