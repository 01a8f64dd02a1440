package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// egressFixture is a plain HTTP and an HTTPS server on the host's
// loopback, and a filtered profile that names them through network.hosts:
// good.test and tls.test are allowed and allowed to be private,
// sneaky.test is allowed but not as private, so it must be refused when
// it resolves to 127.0.0.1.
type egressFixture struct {
	httpPort, tlsPort int
	profile           string
}

func newEgressFixture(t *testing.T, extra string) *egressFixture {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		requireOrSkip(t, false, "the egress tests run curl inside the sandbox; install curl")
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello-egress")
	}))
	t.Cleanup(hs.Close)
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello-tls")
	}))
	t.Cleanup(ts.Close)
	f := &egressFixture{
		httpPort: hs.Listener.Addr().(*net.TCPAddr).Port,
		tlsPort:  ts.Listener.Addr().(*net.TCPAddr).Port,
	}
	h, s := f.httpPort, f.tlsPort
	f.profile = writeProfile(t, "filtered.toml", fmt.Sprintf(`extends = ["base"]

[network]
mode = "filtered"
allow = ["good.test:%d", "tls.test:%d", "sneaky.test:%d"]
allow_private = ["good.test:%d", "tls.test:%d"]
hosts = ["good.test=127.0.0.1", "tls.test=127.0.0.1", "sneaky.test=127.0.0.1"]
%s`, h, s, h, h, s, extra))
	return f
}

// run runs script with sh in the filtered sandbox, with -v.
func (f *egressFixture) run(t *testing.T, m mode, script string) result {
	t.Helper()
	return sandbox(t, m, "-p", f.profile, "-v", "--", "sh", "-c", script)
}

// curlLine prints "NAME=<body or fail:CODE>" for one curl call.
func curlLine(name, args string) string {
	return fmt.Sprintf(`out=$(curl -sS -f --max-time 10 %s 2>/dev/null) && echo "%s=$out" || echo "%s=fail:$?"; `, args, name, name)
}

// TestEgressAllowedNamesWork is the control for every N row: an allowed
// name works through the proxy over plain HTTP and over CONNECT (HTTPS),
// the payload has the proxy variables, and -v reports the connections.
func TestEgressAllowedNamesWork(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		f := newEgressFixture(t, "")
		r := f.run(t, m, `echo "proxy=$HTTP_PROXY"; `+
			curlLine("http", fmt.Sprintf("http://good.test:%d/", f.httpPort))+
			curlLine("https", fmt.Sprintf("-k https://tls.test:%d/", f.tlsPort)))
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		for _, want := range []string{"proxy=http://127.0.0.1:3128", "http=hello-egress", "https=hello-tls"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q\n%s", want, r)
			}
		}
		for _, want := range []string{
			fmt.Sprintf("sandbox: egress: allowed good.test:%d (127.0.0.1:%d)", f.httpPort, f.httpPort),
			fmt.Sprintf("sandbox: egress: allowed tls.test:%d", f.tlsPort),
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q\n%s", want, r)
			}
		}
		if strings.Contains(r.stderr, "refused") {
			t.Errorf("nothing was refused, yet:\n%s", r)
		}
	})
}

// TestN1DNSToPrivateRefused: an allowed name whose answer is the host's
// loopback (the rebinding attack: the name is on the list, the address
// is the host) is refused unless allow_private lists it; the report
// names it with its port, also without -v.
func TestN1DNSToPrivateRefused(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		f := newEgressFixture(t, "")
		r := sandbox(t, m, "-p", f.profile, "--", "sh", "-c",
			curlLine("control", fmt.Sprintf("http://good.test:%d/", f.httpPort))+
				curlLine("sneaky", fmt.Sprintf("http://sneaky.test:%d/", f.httpPort))+
				curlLine("sneakytls", fmt.Sprintf("-k https://sneaky.test:%d/", f.httpPort)))
		if !strings.Contains(r.stdout, "control=hello-egress") {
			t.Fatalf("the control request through the proxy failed:\n%s", r)
		}
		if !strings.Contains(r.stdout, "sneaky=fail:") || !strings.Contains(r.stdout, "sneakytls=fail:") {
			t.Errorf("a name resolving to 127.0.0.1 reached the host:\n%s", r)
		}
		want := fmt.Sprintf("  sneaky.test:%d: resolves to 127.0.0.1, a loopback, link-local or private address not listed in network.allow_private", f.httpPort)
		if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "sandbox: egress: refused connections") {
			t.Errorf("the summary does not name the refusal %q:\n%s", want, r)
		}
	})
}

// TestN2IPLiteralRefused: an IP address is reached only when it is
// listed, even when the proxy is asked for it explicitly (curl
// --noproxy ” sends 127.0.0.1 to the proxy), and even a public one.
func TestN2IPLiteralRefused(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		f := newEgressFixture(t, "")
		r := f.run(t, m, curlLine("control", fmt.Sprintf("http://good.test:%d/", f.httpPort))+
			curlLine("loop", fmt.Sprintf("--noproxy '' http://127.0.0.1:%d/", f.httpPort))+
			curlLine("looptls", fmt.Sprintf("--noproxy '' -k https://127.0.0.1:%d/", f.tlsPort))+
			curlLine("public", "http://192.0.2.1:80/")+
			curlLine("unlisted", fmt.Sprintf("http://bad.test:%d/", f.httpPort)))
		if !strings.Contains(r.stdout, "control=hello-egress") {
			t.Fatalf("the control request through the proxy failed:\n%s", r)
		}
		for _, name := range []string{"loop", "looptls", "public", "unlisted"} {
			if !strings.Contains(r.stdout, name+"=fail:") {
				t.Errorf("%s was not refused:\n%s", name, r)
			}
		}
		for _, want := range []string{
			fmt.Sprintf("  127.0.0.1:%d: an IP address not listed in network.allow", f.httpPort),
			fmt.Sprintf("  127.0.0.1:%d: an IP address not listed in network.allow", f.tlsPort),
			"  192.0.2.1:80: an IP address not listed in network.allow",
			fmt.Sprintf("  bad.test:%d: not in network.allow", f.httpPort),
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("the summary lacks %q:\n%s", want, r)
			}
		}
		// -v also reports each refusal as it happens.
		if !strings.Contains(r.stderr, fmt.Sprintf("sandbox: egress: refused bad.test:%d: not in network.allow", f.httpPort)) {
			t.Errorf("no live report with -v:\n%s", r)
		}
	})
}

// TestN3DirectConnectImpossible: a program that ignores the proxy
// variables has no route out. The server listens on the host's
// 127.0.0.1, which inside is the sandbox's own loopback; a non-loopback
// address has no route at all. The same request through the proxy,
// allowed, works (control).
func TestN3DirectConnectImpossible(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		f := newEgressFixture(t, "")
		r := f.run(t, m, curlLine("control", fmt.Sprintf("http://good.test:%d/", f.httpPort))+
			curlLine("direct", fmt.Sprintf("--noproxy '*' http://127.0.0.1:%d/", f.httpPort))+
			curlLine("directname", fmt.Sprintf("--noproxy '*' --resolve good.test:%d:127.0.0.1 http://good.test:%d/", f.httpPort, f.httpPort))+
			curlLine("route", "--noproxy '*' --connect-timeout 3 http://192.0.2.1:80/")+
			`ip route 2>/dev/null | sed 's/^/route: /'; cat /proc/net/route | sed 1d | sed 's/^/kroute: /'`)
		if !strings.Contains(r.stdout, "control=hello-egress") {
			t.Fatalf("the control request through the proxy failed:\n%s", r)
		}
		for _, name := range []string{"direct", "directname", "route"} {
			if !strings.Contains(r.stdout, name+"=fail:") {
				t.Errorf("%s connected without the proxy:\n%s", name, r)
			}
		}
		if strings.Contains(r.stdout, "kroute:") {
			t.Errorf("the sandbox has an IPv4 route:\n%s", r)
		}
	})
}

// TestN4ProxyInvisible: the proxy is no process of the sandbox and no
// process inside holds a socket of it. Its listening socket exists in the
// sandbox's network namespace (/proc/net/tcp lists 127.0.0.1:3128 in
// state LISTEN), and connections to it work (control), yet no descriptor
// of any process the payload can see is a socket, and no process inside
// is the launcher.
func TestN4ProxyInvisible(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		f := newEgressFixture(t, "")
		r := f.run(t, m, curlLine("control", fmt.Sprintf("http://good.test:%d/", f.httpPort))+
			`grep -q ' 0100007F:0C38 00000000:0000 0A ' /proc/net/tcp && echo listener=yes; `+
			`for p in /proc/[0-9]*; do for fd in $p/fd/*; do l=$(readlink $fd 2>/dev/null) && echo "fd $p $fd $l"; done; `+
			`echo "proc $p $(tr '\0' ' ' < $p/cmdline 2>/dev/null)"; done`)
		if !strings.Contains(r.stdout, "control=hello-egress") || !strings.Contains(r.stdout, "listener=yes") {
			t.Fatalf("control failed (the proxy must answer and its socket exist inside):\n%s", r)
		}
		procs := 0
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "fd ") && strings.Contains(line, "socket:") {
				t.Errorf("a process inside holds a socket: %s\n%s", line, r)
			}
			if strings.HasPrefix(line, "proc ") {
				procs++
				if strings.Contains(line, sandboxBin) {
					t.Errorf("the launcher is visible inside: %s", line)
				}
			}
		}
		if procs == 0 {
			t.Errorf("no process listed; the check saw nothing:\n%s", r)
		}
	})
}

// TestFilteredPlanNotCached: the fast path has no proxy, so a filtered
// plan is never stored; and explain shows the mode and the allow-list.
func TestFilteredPlanNotCached(t *testing.T) {
	f := newEgressFixture(t, "")
	// A file changed within the last second is never cached (its
	// ctime counts): wait, so that only the proxy can be the reason.
	time.Sleep(1100 * time.Millisecond)
	r := sandboxCmd(t, asRoot, func(c *exec.Cmd) {
		c.Env = append(c.Env, "SANDBOX_PLAN_CACHE=verbose", "XDG_RUNTIME_DIR="+t.TempDir())
	}, "-p", f.profile, "--", "true")
	if r.code != 0 || !strings.Contains(r.stderr, `plan cache: not stored (the plan runs the egress proxy (network.mode "filtered"))`) {
		t.Errorf("a filtered plan was cached, or the run failed:\n%s", r)
	}
	r = sandbox(t, asRoot, "explain", f.profile)
	for _, want := range []string{"mode filtered", fmt.Sprintf("allow good.test:%d", f.httpPort), "allow sneaky.test:", "LOOSENED: good.test:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, r)
		}
	}
}

// TestEgressStatusStream: a program that reads the status stream learns
// of each refused connection by name and port, and of the allowed ones,
// as JSON lines between the first and the last.
func TestEgressStatusStream(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		f := newEgressFixture(t, "")
		rd, wr, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r := sandboxCmd(t, m, func(c *exec.Cmd) { c.ExtraFiles = []*os.File{wr} },
			"--status-fd", "3", "-p", f.profile, "--", "sh", "-c",
			curlLine("control", fmt.Sprintf("http://good.test:%d/", f.httpPort))+
				curlLine("unlisted", fmt.Sprintf("http://bad.test:%d/", f.httpPort)))
		wr.Close()
		b, _ := io.ReadAll(rd)
		rd.Close()
		if !strings.Contains(r.stdout, "control=hello-egress") || !strings.Contains(r.stdout, "unlisted=fail:") {
			t.Fatalf("the control or the refusal did not happen:\n%s", r)
		}
		var allowed, refused bool
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("status line %q is not JSON: %v", line, err)
			}
			switch {
			case v["egress"] == "allowed" && v["target"] == fmt.Sprintf("good.test:%d", f.httpPort):
				allowed = true
			case v["egress"] == "refused" && v["target"] == fmt.Sprintf("bad.test:%d", f.httpPort) &&
				strings.Contains(fmt.Sprint(v["reason"]), "network.allow"):
				refused = true
			}
		}
		if !allowed || !refused {
			t.Errorf("the status stream lacks the allowed or the refused connection (allowed %v, refused %v):\n%s", allowed, refused, b)
		}
	})
}
