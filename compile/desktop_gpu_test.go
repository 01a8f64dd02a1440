package compile

import (
	"os"
	"path/filepath"
	"reflect"
	"sandbox/hostview"
	"sandbox/internal/compiletest"
	"sandbox/internal/testutil"
	"sandbox/launcher"
	"sandbox/plan"
	"sort"
	"strings"
	"testing"
)

// fakeSysfs builds a sysfs tree with a PCI GPU (card0, renderD128 and a
// connector), a virtio GPU inside a PCI function, and a network interface
// beside them, as the kernel lays them out, and returns its root.
func fakeSysfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	// Open to every id: a root launch runs the sandbox as an
	// unprivileged host id (R1), which must reach the tree.
	os.Chmod(filepath.Dir(root), 0o755)
	os.Chmod(root, 0o755)
	file := func(p, content string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(p, to string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
	}
	const gpu = "devices/pci0000:00/0000:00:02.0"
	for f, v := range map[string]string{"vendor": "0x8086\n", "device": "0x3e92\n", "subsystem_vendor": "0x1028\n",
		"subsystem_device": "0x0869\n", "revision": "0x02\n", "uevent": "PCI_SLOT_NAME=0000:00:02.0\n"} {
		file(gpu+"/"+f, v)
	}
	file(gpu+"/drm/card0/dev", "226:0\n")
	file(gpu+"/drm/card0/card0-DP-1/status", "disconnected\n")
	file(gpu+"/drm/renderD128/dev", "226:128\n")
	link(gpu+"/drm/card0/device", "../../../0000:00:02.0")
	link(gpu+"/drm/renderD128/device", "../../../0000:00:02.0")
	link(gpu+"/subsystem", "../../../bus/pci")
	const virtio = "devices/pci0000:00/0000:00:04.0"
	file(virtio+"/vendor", "0x1af4\n")
	file(virtio+"/device", "0x1050\n")
	file(virtio+"/secret-sibling", "not the GPU's\n")
	file(virtio+"/virtio1/drm/card1/dev", "226:1\n")
	link(virtio+"/virtio1/drm/card1/device", "../../../virtio1")
	link(virtio+"/virtio1/subsystem", "../../../../bus/virtio")
	const nic = "devices/pci0000:00/0000:00:03.0"
	file(nic+"/vendor", "0x1af4\n")
	file(nic+"/virtio2/net/eth0/address", "52:54:00:12:34:56\n")
	file("devices/virtual/net/lo/address", "00:00:00:00:00:00\n")
	os.MkdirAll(filepath.Join(root, "bus/pci/devices"), 0o755)
	os.MkdirAll(filepath.Join(root, "bus/virtio"), 0o755)
	link("class/drm/card0", "../../"+gpu+"/drm/card0")
	link("class/drm/card0-DP-1", "../../"+gpu+"/drm/card0/card0-DP-1")
	link("class/drm/renderD128", "../../"+gpu+"/drm/renderD128")
	link("class/drm/card1", "../../"+virtio+"/virtio1/drm/card1")
	file("class/drm/version", "drm 1.1.0 20060810\n")
	link("class/net/eth0", "../../"+nic+"/virtio2/net/eth0")
	link("class/net/lo", "../../devices/virtual/net/lo")
	return root
}

// TestDesktopGPUSysfs checks what desktop.gpu shows of sysfs: each GPU's
// own device directory, the identity files of the PCI function above a
// virtio GPU, and the links libdrm follows; nothing of the network
// interface or of the GPU's PCI siblings.
func TestDesktopGPUSysfs(t *testing.T) {
	sys := fakeSysfs(t)
	h := desktopHost(nil, "/dev/dri")
	h.Sysfs = sys
	h.StatFunc = realUnder(sys, h.StatFunc)
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\ngpu = true\n")
	pl, err := Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	var binds, links, dirs []string
	for _, s := range pl.Steps {
		switch s := s.(type) {
		case plan.BindMount:
			if !strings.HasSuffix(s.At.File, "/p.toml") {
				continue
			}
			src := strings.TrimPrefix(s.Source, sys)
			if s.Target != "/dev/dri" && (!s.ReadOnly || s.Devices || "/sys"+src != s.Target) {
				t.Errorf("bind %+v: want read-only, no devices, at its own path", s)
			}
			binds = append(binds, s.Target)
		case plan.Symlink:
			if strings.HasPrefix(s.Target, "/sys/") {
				links = append(links, s.Target+" -> "+s.LinkTo)
			}
		case plan.Dir:
			if strings.HasPrefix(s.Target, "/sys") {
				dirs = append(dirs, s.Target)
			}
		}
	}
	sort.Strings(binds)
	wantBinds := []string{"/dev/dri", "/sys/devices/pci0000:00/0000:00:02.0",
		"/sys/devices/pci0000:00/0000:00:04.0/device", "/sys/devices/pci0000:00/0000:00:04.0/vendor",
		"/sys/devices/pci0000:00/0000:00:04.0/virtio1"}
	if !reflect.DeepEqual(binds, wantBinds) {
		t.Errorf("binds\n%q\nwant\n%q", binds, wantBinds)
	}
	wantLinks := []string{
		"/sys/bus/pci/devices/0000:00:02.0 -> /sys/devices/pci0000:00/0000:00:02.0",
		"/sys/class/drm/card0 -> /sys/devices/pci0000:00/0000:00:02.0/drm/card0",
		"/sys/class/drm/card0-DP-1 -> /sys/devices/pci0000:00/0000:00:02.0/drm/card0/card0-DP-1",
		"/sys/class/drm/card1 -> /sys/devices/pci0000:00/0000:00:04.0/virtio1/drm/card1",
		"/sys/class/drm/renderD128 -> /sys/devices/pci0000:00/0000:00:02.0/drm/renderD128",
		"/sys/dev/char/226:0 -> /sys/devices/pci0000:00/0000:00:02.0/drm/card0",
		"/sys/dev/char/226:1 -> /sys/devices/pci0000:00/0000:00:04.0/virtio1/drm/card1",
		"/sys/dev/char/226:128 -> /sys/devices/pci0000:00/0000:00:02.0/drm/renderD128",
	}
	if !reflect.DeepEqual(links, wantLinks) {
		t.Errorf("links\n%q\nwant\n%q", links, wantLinks)
	}
	if want := []string{"/sys/bus/pci", "/sys/bus/virtio"}; !reflect.DeepEqual(dirs, want) {
		t.Errorf("directories %q, want %q", dirs, want)
	}
	for _, s := range pl.Steps {
		if d := s.Describe(); strings.Contains(d, "/net") || strings.Contains(d, "0000:00:03.0") || strings.Contains(d, "secret-sibling") {
			t.Errorf("a step shows more than the GPUs: %s", d)
		}
	}
}

// TestDesktopGPUSysfsProfileShowsSys checks that a profile binding /sys
// itself gets no links laid over the host's sysfs.
func TestDesktopGPUSysfsProfileShowsSys(t *testing.T) {
	h := desktopHost(nil, "/dev/dri", "/sys")
	h.Sysfs = fakeSysfs(t)
	h.StatFunc = realUnder(h.Sysfs, h.StatFunc)
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[[mount]]\ntype = \"ro-bind\"\nsource = \"/sys\"\n\n[desktop]\ngpu = true\n")
	pl, err := Compile(p, []string{"app"}, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pl.Steps {
		if l, ok := s.(plan.Symlink); ok && strings.HasPrefix(l.Target, "/sys/") {
			t.Errorf("a link over the profile's own /sys: %+v", l)
		}
	}
}

// gpuProbe reads what libdrm reads, and looks for what must not be there.
const gpuProbe = `
cat /sys/dev/char/226:0/device/vendor /sys/dev/char/226:0/device/device
basename "$(readlink -f /sys/dev/char/226:128/device/subsystem)"
basename "$(readlink -f /sys/dev/char/226:128/device)"
cat /sys/bus/pci/devices/0000:00:02.0/revision /sys/class/drm/card1/device/../vendor 2>&1
ls /sys/devices/pci0000:00 /sys/devices/pci0000:00/0000:00:04.0 | tr '\n' ' '; echo
ls /sys/class; ls -d /sys/class/net /sys/devices/virtual 2>&1 | sed 's/.*: //'
`

// TestDesktopGPUSysfsRun runs a sandbox over the fake tree: libdrm's
// lookups resolve inside, and the network interface and the GPU's PCI
// siblings are not there.
func TestDesktopGPUSysfsRun(t *testing.T) {
	testutil.RequireOrSkip(t, os.Geteuid() == 0, "running a sandbox inside the test process needs root")
	sys := fakeSysfs(t)
	host := hostview.Host{UID: 0, GID: 0, EUID: 0, User: "root", Home: "/root", Cwd: "/", Env: []string{"PATH=/usr/bin:/bin"}, Sysfs: sys}
	p := compiletest.LoadText(t, "extends = [\"minimal\"]\n\n[desktop]\ngpu = true\n")
	pl, err := Compile(p, []string{"/bin/sh", "-c", gpuProbe}, host)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if code, err := launcher.Run(pl, launcher.RunOptions{Stdout: f, Stderr: f}); code != 0 || err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("exit %d, %v\n%s", code, err, b)
	}
	b, _ := os.ReadFile(out)
	want := `0x8086
0x3e92
pci
0000:00:02.0
0x02
0x1af4
/sys/devices/pci0000:00: 0000:00:02.0 0000:00:04.0  /sys/devices/pci0000:00/0000:00:04.0: device vendor virtio1 
drm
No such file or directory
No such file or directory
`
	if string(b) != want {
		t.Errorf("inside:\n%s\nwant:\n%s", b, want)
	}
}

// realUnder looks at the real files of the fake sysfs tree, and asks fake
// about every other path.
func realUnder(tree string, fake func(string) (os.FileInfo, error)) func(string) (os.FileInfo, error) {
	return func(p string) (os.FileInfo, error) {
		if strings.HasPrefix(p, tree+"/") {
			return os.Stat(p)
		}
		return fake(p)
	}
}
