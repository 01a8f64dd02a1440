package compile

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/plan"
)

// natHost finds exactly the helper programs in installed.
func natHost(installed ...string) hostview.Host {
	h := compiletest.GoldenHost()
	h.LookPathFunc = func(name string) (string, error) {
		if slices.Contains(installed, name) {
			return "/usr/bin/" + name, nil
		}
		return "", exec.ErrNotFound
	}
	return h
}

// TestNetworkSteps checks where the loopback interface is brought up: in
// every plan with a network namespace of its own, before lock-mounts
// (which leaves the user namespace owning the network namespace) and
// before capabilities are dropped; never when the host network is shared.
func TestNetworkSteps(t *testing.T) {
	for _, tt := range []struct {
		text     string
		loopback bool
		nat      bool
	}{
		{"[network]\nmode = \"none\"\n", true, false},
		{"", true, false},
		{"[namespaces]\nnet = false\n[network]\nmode = \"host\"\n", false, false},
		{"[namespaces]\nnet = false\n", false, false},
		{"[network]\nmode = \"nat\"\n", true, true},
	} {
		p := compiletest.LoadText(t, "extends = [\"minimal\"]\n"+tt.text)
		pl, err := Compile(p, []string{"app"}, natHost("pasta"))
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		lo := stepIndex(pl, func(s plan.Step) bool { _, ok := s.(plan.LoopbackUp); return ok })
		lock := stepIndex(pl, func(s plan.Step) bool { _, ok := s.(plan.LockMounts); return ok })
		caps := stepIndex(pl, func(s plan.Step) bool { _, ok := s.(plan.Capabilities); return ok })
		if (lo >= 0) != tt.loopback {
			t.Errorf("%q: loopback-up at %d, want it %v", tt.text, lo, tt.loopback)
		}
		if lo >= 0 && ((lock >= 0 && lo > lock) || lo > caps) {
			t.Errorf("%q: loopback-up at %d after lock-mounts (%d) or capabilities (%d)", tt.text, lo, lock, caps)
		}
		if (pl.NAT != nil) != tt.nat {
			t.Errorf("%q: NAT %+v", tt.text, pl.NAT)
		}
	}
}

// TestNATBackend checks which helper each backend setting picks, and the
// errors when it is not installed.
func TestNATBackend(t *testing.T) {
	for _, tt := range []struct {
		backend   string
		installed []string
		want      string // the chosen backend, or the error's end
	}{
		{"auto", []string{"pasta", "slirp4netns"}, "pasta"},
		{"auto", []string{"slirp4netns"}, "slirp4netns"},
		{"pasta", []string{"pasta", "slirp4netns"}, "pasta"},
		{"slirp4netns", []string{"pasta", "slirp4netns"}, "slirp4netns"},
		{"auto", nil, `network.mode: mode "nat" needs pasta or slirp4netns and neither is installed; install one (sudo apt-get install passt, or sudo apt-get install slirp4netns), or set mode = "none"`},
		{"pasta", []string{"slirp4netns"}, `network.backend: pasta is not installed; install it (sudo apt-get install passt), or set backend = "slirp4netns"`},
		{"slirp4netns", []string{"pasta"}, `network.backend: slirp4netns is not installed; install it (sudo apt-get install slirp4netns), or set backend = "pasta"`},
	} {
		p := compiletest.LoadText(t, "extends = [\"minimal\"]\n[network]\nmode = \"nat\"\nbackend = \""+tt.backend+"\"\n")
		pl, err := Compile(p, []string{"app"}, natHost(tt.installed...))
		if !strings.Contains(tt.want, ":") {
			if err != nil || pl.NAT == nil || pl.NAT.Backend != tt.want || pl.NAT.Program != "/usr/bin/"+tt.want {
				t.Errorf("%s with %v: %v, %+v; want %s", tt.backend, tt.installed, err, pl, tt.want)
			}
			continue
		}
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("%s with %v: error %v\nwant ...%s", tt.backend, tt.installed, err, tt.want)
		}
		h := natHost(tt.installed...)
		h.Lenient = true
		pl, err = Compile(p, []string{"app"}, h)
		if err != nil || pl.NAT != nil || len(pl.Warnings) != 1 || !strings.HasSuffix(pl.Warnings[0].Error(), tt.want) {
			t.Errorf("lenient %s with %v: %v, NAT %+v, warnings %v", tt.backend, tt.installed, err, pl.NAT, pl.Warnings)
		}
	}
}

// TestNATPlan checks that forwards and the loopback switch reach the plan
// as written, with their origins.
func TestNATPlan(t *testing.T) {
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n[network]\nmode = \"nat\"\nforward = [\"8080:80\", \"5353:53/udp\"]\nallow_host_loopback = true\n")
	pl, err := Compile(p, []string{"app"}, natHost("slirp4netns"))
	if err != nil {
		t.Fatal(err)
	}
	n := pl.NAT
	if n == nil || !n.AllowHostLoopback || len(n.Forwards) != 2 || n.At.Line != 3 {
		t.Fatalf("NAT %+v", n)
	}
	got := append([]plan.PortForward(nil), n.Forwards...)
	for i := range got {
		if got[i].At.Line != 4 {
			t.Errorf("forward %d from line %d, want 4", i, got[i].At.Line)
		}
		got[i].At = plan.Origin{}
	}
	want := []plan.PortForward{{HostPort: 8080, SandboxPort: 80, Proto: "tcp"}, {HostPort: 5353, SandboxPort: 53, Proto: "udp"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("forwards %+v, want %+v", got, want)
	}
	lines := DescribeNetwork(pl)
	for _, want := range []string{
		"mode nat, through slirp4netns (/usr/bin/slirp4netns)",
		"LOOSENED: services listening on the host's 127.0.0.1 are reachable inside through 10.0.2.2 (allow_host_loopback = true)",
		"the host's 127.0.0.1:8080/tcp reaches port 80 inside (a server there must listen on 0.0.0.0, not only 127.0.0.1)",
		"the host's 127.0.0.1:5353/udp reaches port 53 inside",
		"the host's other IPv4 addresses are reachable as on any network",
	} {
		if !strings.Contains(strings.Join(lines, "\n"), want) {
			t.Errorf("explain lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

// TestDescribeNetworkModes checks the words explain uses for each mode.
func TestDescribeNetworkModes(t *testing.T) {
	for text, want := range map[string]string{
		"[network]\nmode = \"none\"\n": "mode none: a network namespace of its own with only the loopback interface (lo), brought up",
		"[namespaces]\nnet = false\n":  "mode host: the sandbox shares the host's network",
		"[network]\nmode = \"nat\"\n":  "services listening only on the host's 127.0.0.1 or ::1 are not reachable (allow_host_loopback = false)",
	} {
		pl, err := Compile(compiletest.LoadText(t, "extends = [\"minimal\"]\n"+text), []string{"app"}, natHost("pasta"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(DescribeNetwork(pl), "\n"); !strings.Contains(got, want) {
			t.Errorf("%q explained as\n%s\nwant %q", text, got, want)
		}
	}
}
