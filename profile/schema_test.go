package profile

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSchemaEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Schema() {
		if seen[d.Key] {
			t.Errorf("%s is in the schema twice", d.Key)
		}
		seen[d.Key] = true
		if d.Type != typeWord(d.shape) || d.Type == "" {
			t.Errorf("%s: Type %q does not match its shape (%q)", d.Key, d.Type, typeWord(d.shape))
		}
		if strings.TrimSpace(d.Doc) == "" {
			t.Errorf("%s has no Doc", d.Key)
		}
		if d.AppliesTo != nil && !strings.HasPrefix(d.Key, "mount[].") {
			t.Errorf("%s has AppliesTo but is not a [[mount]] key", d.Key)
		}
		if parent, _ := splitSchemaKey(d.Key); parent != "" && schemaIdx().byKey[strings.TrimSuffix(parent, "[]")] == nil {
			t.Errorf("%s has no parent entry %s", d.Key, parent)
		}
	}
}

// TestMountKeysApply pins which [[mount]] keys apply to which types, as
// the specification's table says.
func TestMountKeysApply(t *testing.T) {
	want := map[string][]MountType{
		"source":   {MountBind, MountROBind, MountDevBind, MountFile},
		"optional": {MountBind, MountROBind, MountDevBind, MountOverlay, MountFile},
		"writable": {MountDevBind},
		"size":     {MountTmpfs, MountOverlay},
		"mode":     {MountTmpfs, MountDir, MountFile},
		"content":  {MountFile},
		"link_to":  {MountSymlink},
		"lower":    {MountOverlay},
		"upper":    {MountOverlay},
		"work":     {MountOverlay},
	}
	for _, field := range schemaIdx().mountFields {
		var got []MountType
		for _, typ := range mountTypes {
			if mountFieldApplies(field, MountType(typ)) {
				got = append(got, MountType(typ))
			}
		}
		w, ok := want[field]
		if !ok {
			w = nil
			for _, typ := range mountTypes {
				w = append(w, MountType(typ))
			}
		}
		if !slices.Equal(got, w) {
			t.Errorf("mount key %s applies to %v, want %v", field, got, w)
		}
	}
}

// schemaSamples sets each schema key in a profile that loads. The test
// requires one sample per key, so a key added to the schema without
// decoding support fails here.
var schemaSamples = map[string]string{
	"description":                      `description = "d"`,
	"programs":                         `programs = ["p"]`,
	"extends":                          `extends = ["empty"]`,
	"hostname":                         `hostname = "h"`,
	"domainname":                       `domainname = "d.example"`,
	"namespaces":                       "[namespaces]\nnet = false",
	"namespaces.user":                  "namespaces.user = false",
	"namespaces.mount":                 "namespaces.mount = true",
	"namespaces.pid":                   "namespaces.pid = false",
	"namespaces.net":                   "namespaces.net = false",
	"namespaces.ipc":                   "namespaces.ipc = false",
	"namespaces.uts":                   "namespaces.uts = false",
	"namespaces.cgroup":                "namespaces.cgroup = false",
	"namespaces.time":                  "namespaces.time = true",
	"identity":                         "[identity]\nuid = 0",
	"identity.uid":                     "identity.uid = 0",
	"identity.gid":                     "identity.gid = 0",
	"identity.subids":                  "identity.subids = true",
	"identity.host_root":               "identity.host_root = true",
	"identity.uid_map":                 "[[identity.uid_map]]\ninside = 1000\noutside = 1000\ncount = 1",
	"identity.uid_map[].inside":        "identity.uid_map = [{inside = 1000, outside = 5, count = 1}]",
	"identity.uid_map[].outside":       "identity.uid_map = [{inside = 1000, outside = 5, count = 1}]",
	"identity.uid_map[].count":         "identity.uid_map = [{inside = 1000, outside = 5, count = 1}]",
	"identity.gid_map":                 "[[identity.gid_map]]\ninside = 1000\noutside = 1000\ncount = 1",
	"identity.gid_map[].inside":        "identity.gid_map = [{inside = 1000, outside = 5, count = 1}]",
	"identity.gid_map[].outside":       "identity.gid_map = [{inside = 1000, outside = 5, count = 1}]",
	"identity.gid_map[].count":         "identity.gid_map = [{inside = 1000, outside = 5, count = 1}]",
	"filesystem":                       "[filesystem]\ncwd = \"/\"",
	"filesystem.cwd":                   `filesystem.cwd = "/w"`,
	"filesystem.cwd_notice":            `filesystem.cwd_notice = false`,
	"filesystem.unprotect":             `filesystem.unprotect = ["/w/.git/hooks"]`,
	"filesystem.persistent_home":       `filesystem.persistent_home = true`,
	"mount":                            "[[mount]]\ntype = \"proc\"\ntarget = \"/proc\"",
	"mount[].type":                     "[[mount]]\ntype = \"dev\"\ntarget = \"/dev\"",
	"mount[].source":                   "[[mount]]\ntype = \"bind\"\nsource = \"/s\"",
	"mount[].target":                   "[[mount]]\ntype = \"mqueue\"\ntarget = \"/dev/mqueue\"",
	"mount[].optional":                 "[[mount]]\ntype = \"dev-bind\"\nsource = \"/dev/dri\"\noptional = true",
	"mount[].writable":                 "[[mount]]\ntype = \"dev-bind\"\nsource = \"/dev/dri\"\noptional = true\nwritable = true",
	"mount[].size":                     "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/t\"\nsize = 1024",
	"mount[].mode":                     "[[mount]]\ntype = \"dir\"\ntarget = \"/d\"\nmode = 0o700",
	"mount[].content":                  "[[mount]]\ntype = \"file\"\ntarget = \"/f\"\ncontent = \"\"",
	"mount[].link_to":                  "[[mount]]\ntype = \"symlink\"\ntarget = \"/l\"\nlink_to = \"/x\"",
	"mount[].lower":                    "[[mount]]\ntype = \"overlay\"\ntarget = \"/o\"\nlower = [\"/a\"]",
	"mount[].upper":                    "[[mount]]\ntype = \"overlay\"\ntarget = \"/o\"\nlower = [\"/a\"]\nupper = \"/u\"\nwork = \"/w\"",
	"mount[].work":                     "[[mount]]\ntype = \"overlay\"\ntarget = \"/o\"\nlower = [\"/a\"]\nupper = \"/u\"\nwork = \"/w\"",
	"capabilities":                     "[capabilities]\nambient = true",
	"capabilities.keep":                `capabilities.keep = ["kill"]`,
	"capabilities.ambient":             "capabilities.ambient = true",
	"seccomp":                          "[seccomp]\npolicy = \"default\"",
	"seccomp.policy":                   "seccomp.policy = \"allow-list\"",
	"seccomp.default_action":           "seccomp.policy = \"allow-list\"\nseccomp.default_action = \"kill\"",
	"seccomp.allow_terminal_injection": "seccomp.allow_terminal_injection = true",
	"seccomp.syscalls":                 "[seccomp.syscalls]\nread = \"log\"",
	"seccomp.syscalls.<syscall>":       "seccomp.syscalls.write = \"trap\"",
	"environment":                      "[environment]\nunset = [\"TZ\"]",
	"environment.keep":                 `environment.keep = ["A"]`,
	"environment.unset":                `environment.unset = ["A"]`,
	"environment.set":                  "[environment.set]\nA = \"b\"",
	"environment.set.<NAME>":           `environment.set.X = "y"`,
	"limits":                           "[limits]\nnproc = 10",
	"limits.<resource>":                `limits.rss = "1G"`,
	"limits.<resource>.soft":           `limits.memlock = { soft = 1, hard = 2 }`,
	"limits.<resource>.hard":           `limits.memlock = { soft = 1, hard = "unlimited" }`,
	"process":                          "[process]\ninit = false",
	"process.die_with_parent":          "process.die_with_parent = false",
	"process.new_session":              "process.new_session = true",
	"process.init":                     "process.init = false",
	"process.nested_user_namespaces":   "process.nested_user_namespaces = true",
	"process.no_new_privs":             "process.no_new_privs = false",
	"process.pass_fds":                 "process.pass_fds = [7]",
	"desktop":                          "[desktop]\nwayland = true",
	"desktop.wayland":                  "desktop.wayland = true",
	"desktop.x11":                      "desktop.x11 = true",
	"desktop.pulseaudio":               "desktop.pulseaudio = true",
	"desktop.pipewire":                 "desktop.pipewire = true\ndesktop.pipewire_unrestricted = true",
	"desktop.pipewire_unrestricted":    "desktop.pipewire_unrestricted = true",
	"desktop.gpu":                      "desktop.gpu = true",
	"desktop.fonts":                    "desktop.fonts = true",
	"desktop.themes":                   "desktop.themes = true",
	"desktop.portal":                   "desktop.portal = true",
	"dbus":                             "[dbus.system]\ntalk = [\"org.freedesktop.NetworkManager\"]",
	"dbus.session":                     "[dbus.session]\nsee = [\"org.example.A\"]",
	"dbus.session.talk":                `dbus.session.talk = ["org.freedesktop.Notifications"]`,
	"dbus.session.own":                 `dbus.session.own = ["org.example.App.*"]`,
	"dbus.session.see":                 `dbus.session.see = ["org.example.Other"]`,
	"dbus.session.call":                `dbus.session.call = ["org.freedesktop.portal.Desktop=org.freedesktop.portal.OpenURI.OpenURI@/org/freedesktop/portal/desktop"]`,
	"dbus.session.broadcast":           `dbus.session.broadcast = ["org.example.App=org.example.App.*@/org/example/App/*"]`,
	"dbus.system":                      "[dbus.system]\nown = [\"org.example.Daemon\"]",
	"dbus.system.talk":                 `dbus.system.talk = ["org.freedesktop.login1"]`,
	"dbus.system.own":                  `dbus.system.own = ["org.example.Daemon"]`,
	"dbus.system.see":                  `dbus.system.see = ["org.freedesktop.UPower"]`,
	"dbus.system.call":                 `dbus.system.call = ["org.freedesktop.login1=org.freedesktop.login1.Manager.Inhibit@/org/freedesktop/login1"]`,
	"dbus.system.broadcast":            `dbus.system.broadcast = ["org.freedesktop.login1=*"]`,
	"network":                          "[network]\nmode = \"nat\"",
	"network.mode":                     `network.mode = "host"`,
	"network.backend":                  "network.mode = \"nat\"\nnetwork.backend = \"pasta\"",
	"network.forward":                  "network.mode = \"nat\"\nnetwork.forward = [\"8080:80\", \"5353:53/udp\"]",
	"network.allow_host_loopback":      "network.mode = \"nat\"\nnetwork.allow_host_loopback = true",
	"network.connect_ports":            "network.mode = \"host\"\nnetwork.connect_ports = [443]",
	"network.allow":                    "network.mode = \"filtered\"\nnetwork.allow = [\"pypi.org:443\", \"*.github.com\"]",
	"network.allow_private":            "network.mode = \"filtered\"\nnetwork.allow = [\"dev.test:8080\"]\nnetwork.allow_private = [\"dev.test:8080\"]",
	"network.hosts":                    "network.mode = \"filtered\"\nnetwork.hosts = [\"dev.test=127.0.0.1\"]",
	"network.bind_ports":               "network.mode = \"host\"\nnetwork.bind_ports = [8080]",
	"landlock":                         "[landlock]\nenabled = false",
	"landlock.enabled":                 "landlock.enabled = false",
	"landlock.require":                 "landlock.require = 1",
	"landlock.read_only":               `landlock.read_only = ["/usr"]`,
	"landlock.read_write":              `landlock.read_write = ["/tmp"]`,
	"test":                             "[test]\ncommand = [\"true\"]",
	"test.command":                     `test.command = ["sh", "-c", "echo ok"]`,
	"test.expect_exit":                 "test.expect_exit = 3",
	"test.expect_output":               `test.expect_output = "^ok$$"`,
	"test.timeout":                     "test.timeout = 5",
	"test.requires":                    `test.requires = ["/usr/bin/true"]`,
	"test.setup":                       `test.setup = ["mkdir", "-p", "${XDG_DOWNLOAD_DIR}"]`,
	"test.check":                       `test.check = ["test", "-s", "${XDG_DOWNLOAD_DIR}/shot.png"]`,
	"merge":                            "extends = [\"base\"]\n[merge]\nreplace = [\"mount\"]",
	"merge.replace":                    "extends = [\"base\"]\nmerge.replace = [\"programs\"]",
	"merge.remove":                     "extends = [\"base\"]\n[merge.remove]\nprograms = [\"base\"]",
	"merge.remove.<list>":              "extends = [\"base\"]\nmerge.remove.mount = [\"/base\"]",
}

// sampleEffect says how a sample shows in the loaded profile: the origin
// key it must set, or a check of the profile for keys without origins.
func sampleEffect(key string, p *Profile) bool {
	// The origin key of a sample is the schema key up to its first
	// element or placeholder: "identity.uid_map", "limits".
	prefix := key
	if i := strings.IndexAny(prefix, "[<"); i >= 0 {
		prefix = strings.TrimSuffix(prefix[:i], ".")
	}
	switch {
	case key == "extends":
		return slices.Equal(p.Files, []string{"builtin:empty.toml", "builtin:t.toml"})
	case strings.HasPrefix(key, "merge"):
		// base has one mount and one program; each sample drops one.
		return len(p.Files) == 2 && (len(p.Filesystem.Mounts) == 0) != (len(p.Programs) == 0)
	case strings.HasPrefix(key, "mount[]."):
		return len(p.Filesystem.Mounts) == 1 && p.Origins["mount[0]"].Line == 1
	}
	for k := range p.Origins {
		if k == prefix || strings.HasPrefix(k, prefix+".") || strings.HasPrefix(k, prefix+"[") {
			return true
		}
	}
	return false
}

func TestEverySchemaKeyDecodes(t *testing.T) {
	for _, d := range Schema() {
		text, ok := schemaSamples[d.Key]
		if !ok {
			t.Errorf("schema key %s has no sample in schemaSamples; add one", d.Key)
			continue
		}
		src := Source{Builtin: builtins(map[string]string{
			"t.toml":     text,
			"empty.toml": "",
			"base.toml":  "programs = [\"base\"]\n[[mount]]\ntype = \"dir\"\ntarget = \"/base\"\n",
		})}
		env := testEnv()
		env.UID, env.GID = 1000, 1000
		p, err := Load("t", env, src)
		if err != nil {
			t.Errorf("%s: sample does not load:\n%s\n%v", d.Key, text, err)
			continue
		}
		if !sampleEffect(d.Key, p) {
			t.Errorf("%s: the sample had no visible effect; origins %v", d.Key, reflect.ValueOf(p.Origins).MapKeys())
		}
	}
	for key := range schemaSamples {
		if schemaIdx().byKey[key] == nil {
			t.Errorf("schemaSamples has %s, which is not in the schema", key)
		}
	}
}
