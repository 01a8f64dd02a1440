package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sysfsProbe lists what of the host's devices a payload finds in /sys:
// network interfaces anywhere, and the GPU nodes' sysfs entries.
const sysfsProbe = `
echo "net: $(find /sys -path '*/net/*' -name address 2>/dev/null | wc -l)"
for d in /sys/class/net /sys/devices/virtual/net /sys/devices/virtual /sys/block; do
  [ -e "$d" ] && echo "visible: $d"
done
for n in /dev/dri/*; do
  [ -c "$n" ] || continue
  mm=$(printf '%d:%d' 0x$(stat -c %t "$n") 0x$(stat -c %T "$n"))
  echo "gpu $mm: $(cat /sys/dev/char/$mm/device/vendor 2>&1)"
done
echo done
`

// TestW7GPUSysfsHidesOtherDevices checks that desktop.gpu shows the
// payload no network interface (their names, MACs and counters sit under
// /sys/devices/.../net), nor any other device's sysfs entries, while a
// profile that binds /sys shows them to the same probe. Where this
// machine has a GPU, its node's sysfs entries must be readable inside, as
// libdrm reads them; without one, TestDesktopGPUSysfsRun in launcher/
// checks those on a sysfs tree of its own.
func TestW7GPUSysfsHidesOtherDevices(t *testing.T) {
	nets, _ := filepath.Glob("/sys/class/net/*/address")
	requireOrSkip(t, len(nets) > 0, "the host shows no network interface in /sys/class/net to hide")
	gpu := writeProfile(t, "gpu.toml", "extends = [\"minimal\"]\n[desktop]\ngpu = true\n")
	control := writeProfile(t, "sys.toml", "extends = [\"minimal\"]\n[[mount]]\ntype = \"ro-bind\"\nsource = \"/sys\"\n")
	hostGPU := map[string]string{}
	nodes, _ := filepath.Glob("/sys/class/drm/*/dev")
	for _, dev := range nodes {
		mm, _ := os.ReadFile(dev)
		vendor, err := os.ReadFile(filepath.Join(filepath.Dir(dev), "device", "vendor"))
		if err == nil {
			hostGPU[strings.TrimSpace(string(mm))] = strings.TrimSpace(string(vendor))
		}
	}
	bothModes(t, func(t *testing.T, m mode) {
		c := sandbox(t, m, "-p", control, "--", "/bin/sh", "-c", sysfsProbe)
		if c.code != 0 || strings.Contains(c.stdout, "net: 0\n") || !strings.Contains(c.stdout, "visible: /sys/class/net") {
			t.Fatalf("the probe does not see the interfaces even with /sys bound: %s", c)
		}
		r := sandbox(t, m, "-p", gpu, "--", "/bin/sh", "-c", sysfsProbe)
		if r.code != 0 || !strings.HasSuffix(r.stdout, "done\n") {
			t.Fatalf("probe: %s", r)
		}
		if !strings.Contains(r.stdout, "net: 0\n") || strings.Contains(r.stdout, "visible:") {
			t.Errorf("desktop.gpu shows more than the GPU:\n%s", r.stdout)
		}
		for mm, vendor := range hostGPU {
			if want := "gpu " + mm + ": " + vendor + "\n"; !strings.Contains(r.stdout, want) {
				t.Errorf("the GPU node %s's sysfs entries are not readable inside: want %q in\n%s", mm, want, r.stdout)
			}
		}
		if len(hostGPU) == 0 {
			t.Log("no GPU on this machine (no /sys/class/drm/*/dev): only the hiding is checked here")
		}
	})
}
