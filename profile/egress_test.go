package profile

import (
	"strings"
	"testing"
)

func TestEgressRuleForms(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pypi.org", "pypi.org"},
		{"PyPI.org.:443", "pypi.org:443"},
		{"*.github.com", "*.github.com"},
		{"*.GitHub.com:22", "*.github.com:22"},
		{"1.2.3.4", "1.2.3.4"},
		{"1.2.3.4:8080", "1.2.3.4:8080"},
		{"[2001:db8::1]:443", "[2001:db8::1]:443"},
		{"2001:db8::1", "2001:db8::1"},
		{"::ffff:10.0.0.1", "10.0.0.1"},
	} {
		r, msg := ParseEgressRule(c.in)
		if msg != "" || r.String() != c.want {
			t.Errorf("%q: got %q (%s), want %q", c.in, r.String(), msg, c.want)
		}
	}
	for _, bad := range []string{"", "*", "*.com", "a.*.com", "pypi.org:", "pypi.org:https", "pypi.org:0", "pypi.org:70000",
		"[::1", "[1.2.3.4]:80", "http://pypi.org", "pypi org", "1.2.3", "fe80::1%eth0"} {
		if _, msg := ParseEgressRule(bad); msg == "" {
			t.Errorf("%q: accepted", bad)
		}
	}
}

func TestEgressKeysLoadAndMerge(t *testing.T) {
	src := Source{Builtin: builtins(map[string]string{
		"base.toml": "network.mode = \"filtered\"\nnetwork.allow = [\"pypi.org\", \"*.github.com\"]\nnetwork.hosts = [\"a.test=10.0.0.1\"]\n",
		"child.toml": "extends = [\"base\"]\nnetwork.allow = [\"pypi.org\", \"deb.debian.org:80\"]\n" +
			"network.allow_private = [\"a.test:8080\"]\nnetwork.hosts = [\"a.test=127.0.0.1\"]\n" +
			"merge.remove.\"network.allow\" = [\"*.github.com\"]\n",
	})}
	p := mustLoad(t, "child", src)
	var got []string
	for _, r := range p.Network.Allow {
		got = append(got, r.String())
	}
	if strings.Join(got, " ") != "pypi.org deb.debian.org:80" {
		t.Errorf("allow = %v", got)
	}
	if len(p.Network.AllowPrivate) != 1 || p.Network.AllowPrivate[0].String() != "a.test:8080" {
		t.Errorf("allow_private = %+v", p.Network.AllowPrivate)
	}
	if len(p.Network.Hosts) != 1 || p.Network.Hosts[0].Addr != "127.0.0.1" || p.Network.Hosts[0].At.File != "builtin:child.toml" {
		t.Errorf("hosts = %+v (a later layer maps a name anew)", p.Network.Hosts)
	}
}

func TestEgressKeysErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"network.mode = \"filtered\"\nnetwork.allow = [\"ok.org\", \"pypi.org:https\"]",
			`builtin:t.toml:2:28: network.allow[1]: "pypi.org:https": the port "https" is not a number from 1 to 65535; write "HOST"`},
		{"network.mode = \"filtered\"\nnetwork.hosts = [\"a.test\"]",
			`builtin:t.toml:2:18: network.hosts[0]: "a.test" is not a host mapping; write "NAME=IP"`},
		{"network.mode = \"nat\"\nnetwork.allow = [\"pypi.org\"]",
			`builtin:t.toml:2:18: network.allow[0]: allow applies only with mode = "filtered" (network.mode is "nat" at line 1); remove it, or set mode = "filtered"`},
		{"network.allow_private = [\"a.test:80\"]",
			`builtin:t.toml:1:26: network.allow_private[0]: allow_private applies only with mode = "filtered" (network.mode is "none" by default)`},
	} {
		_, err := loadText(t, c.text)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got: %v\nwant: %s...", c.text, err, c.want)
		}
	}
}
