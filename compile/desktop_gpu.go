package compile

import (
	"path"
	"path/filepath"
	"sort"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
)

// desktop.gpu gives the payload the GPU's device nodes and the few sysfs
// entries that Mesa and libdrm read to identify it; not /sys/devices as a
// whole, where every other device shows too: the network interfaces
// with their MAC addresses and counters, disks, USB devices.
//
// libdrm (drmGetDevice2) starts from a node's major:minor, follows
// /sys/dev/char/MAJ:MIN to the drm node and its "device" link to the GPU's
// device directory, resolves that directory's "subsystem" link to learn
// the bus, and reads the PCI ids there (vendor, device, subsystem_vendor,
// subsystem_device, revision) or, for a virtio GPU, in the PCI device
// above it. Some code looks the GPU up under /sys/bus/pci/devices or
// /sys/class/drm instead. So, per GPU that /sys/class/drm lists:
//
//   - its device directory, read-only, at its real path (this holds the
//     drm nodes and connectors below it, and nothing of other devices);
//   - for a GPU that is not itself a PCI device, the identity files of
//     the PCI device above it, one by one;
//   - the links /sys/dev/char/MAJ:MIN, /sys/class/drm/NAME and
//     /sys/bus/pci/devices/SLOT that point there, and an empty directory
//     where its "subsystem" link points, so that realpath() of that link
//     succeeds.

// pciIdentity are the files of a PCI device that say what it is.
var pciIdentity = []string{"vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "class", "uevent"}

func (d *desktopCompiler) gpu(at profile.Origin) {
	desc := "the GPU: "
	if d.exists("/dev/dri") {
		// The nodes of /dev/dri change when a GPU comes or goes, and
		// with them what sysfs entries the plan holds.
		d.c.h.Inputs.Observe("/dev/dri")
		d.other = append(d.other, plan.BindMount{From: plan.From{At: plan.Origin(at)}, Source: "/dev/dri", Target: "/dev/dri", ReadOnly: true, Devices: true, Optional: true})
		desc += "/dev/dri with its device nodes usable"
	} else {
		desc += "no /dev/dri on this machine (software rendering only)"
	}
	if d.profileShowsSys() {
		desc += "; the profile's own mounts show /sys, so nothing of it is added"
	} else if gpus := d.gpuSysfs(at); len(gpus) > 0 {
		desc += "; read-only, only these GPUs' own sysfs entries (where Mesa identifies them): " + strings.Join(gpus, ", ")
	} else {
		desc += "; no GPU in /sys/class/drm, so nothing of /sys"
	}
	d.item("desktop.gpu", at, "%s", desc)
}

// profileShowsSys reports whether a mount of the profile already covers
// /sys (a bind of /sys or of /): sysfs is then the profile's choice, and
// links made under it would land on the host's.
func (d *desktopCompiler) profileShowsSys() bool {
	for _, m := range d.c.p.Filesystem.Mounts {
		if m.Target == "/" || m.Target == "/sys" {
			return true
		}
	}
	return false
}

// gpuSysfs adds the steps for every GPU /sys/class/drm lists and returns
// their device directories as seen inside.
func (d *desktopCompiler) gpuSysfs(at profile.Origin) []string {
	host := d.c.h.SysfsRoot()
	class := filepath.Join(host, "class", "drm")
	entries, err := d.c.h.ReadDir(class)
	if err != nil {
		return nil
	}
	// inside maps a host path under sysfs to the same path inside.
	inside := func(p string) (string, bool) {
		rel, err := filepath.Rel(host, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return "", false
		}
		return path.Join("/sys", filepath.ToSlash(rel)), true
	}
	devices := map[string]string{} // inside -> host path of each GPU's device directory
	var links []plan.Symlink
	for _, e := range entries {
		node, err := filepath.EvalSymlinks(filepath.Join(class, e.Name()))
		if err != nil {
			continue
		}
		// A drm node is DEVICE/drm/NAME, or a connector one level
		// below a node (DEVICE/drm/card0/card0-DP-1).
		dev := filepath.Dir(node)
		for filepath.Base(dev) != "drm" && strings.HasPrefix(dev, host) && dev != host {
			dev = filepath.Dir(dev)
		}
		dev = filepath.Dir(dev)
		devIn, ok := inside(dev)
		nodeIn, ok2 := inside(node)
		if !ok || !ok2 || !strings.HasPrefix(devIn, "/sys/devices/") || !strings.HasPrefix(nodeIn, devIn+"/") {
			continue
		}
		devices[devIn] = dev
		links = append(links, plan.Symlink{From: plan.From{At: plan.Origin(at)}, Target: path.Join("/sys/class/drm", e.Name()), LinkTo: nodeIn})
		if b, err := d.c.h.ReadFile(filepath.Join(node, "dev")); err == nil {
			if mm := strings.TrimSpace(string(b)); isMajorMinor(mm) {
				links = append(links, plan.Symlink{From: plan.From{At: plan.Origin(at)}, Target: path.Join("/sys/dev/char", mm), LinkTo: nodeIn})
			}
		}
	}
	var out []string
	dirs := map[string]bool{}
	for _, devIn := range sortedKeys(devices) {
		dev := devices[devIn]
		d.c.h.Inputs.ObservePresence(dev)
		d.other = append(d.other, plan.BindMount{From: plan.From{At: plan.Origin(at)}, Source: dev, Target: devIn, ReadOnly: true, Optional: true})
		out = append(out, devIn)
		subsystem := ""
		if s, err := filepath.EvalSymlinks(filepath.Join(dev, "subsystem")); err == nil {
			if sIn, ok := inside(s); ok {
				dirs[sIn] = true
				subsystem = filepath.Base(s)
			}
		}
		if subsystem == "pci" {
			links = append(links, plan.Symlink{From: plan.From{At: plan.Origin(at)}, Target: path.Join("/sys/bus/pci/devices", filepath.Base(dev)), LinkTo: devIn})
			continue
		}
		// A virtio or platform GPU: the PCI device above it, if any,
		// says what it is. Its files, not the directory, which also
		// holds its other functions.
		parent := filepath.Dir(dev)
		if _, err := d.c.h.Stat(filepath.Join(parent, "vendor")); err != nil {
			continue
		}
		for _, f := range pciIdentity {
			src := filepath.Join(parent, f)
			if _, err := d.c.h.Stat(src); err != nil {
				continue
			}
			if t, ok := inside(src); ok {
				d.other = append(d.other, plan.BindMount{From: plan.From{At: plan.Origin(at)}, Source: src, Target: t, ReadOnly: true, Optional: true})
			}
		}
	}
	for _, dir := range sortedKeys(dirs) {
		d.other = append(d.other, plan.Dir{From: plan.From{At: plan.Origin(at)}, Target: dir, Mode: 0o755})
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Target < links[j].Target })
	for _, l := range links {
		d.other = append(d.other, l)
	}
	return out
}

// isMajorMinor checks a sysfs "dev" file's content, MAJ:MIN, before it
// becomes a path.
func isMajorMinor(s string) bool {
	maj, min, ok := strings.Cut(s, ":")
	return ok && maj != "" && min != "" && strings.Trim(maj, "0123456789") == "" && strings.Trim(min, "0123456789") == ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
