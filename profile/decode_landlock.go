package profile

import "fmt"

// maxLandlockABI bounds landlock.require: a number above every ABI a
// kernel has shipped is a typo, not a wish.
const maxLandlockABI = 64

// decodeLandlock reads [landlock]: the switch, the minimum ABI and the
// extra paths, which are paths inside the sandbox.
func (d *fileDecoder) decodeLandlock(t map[string]any, p string) {
	d.boolAt(t, p, "enabled")
	if v, kp, ok := d.child(t, p, "require"); ok {
		if n, ok := d.intIn(v, kp, 0, maxLandlockABI); ok {
			d.setScalar(kp, int(n))
		}
	}
	for _, key := range []string{"read_only", "read_write"} {
		v, kp, ok := d.child(t, p, key)
		if !ok {
			continue
		}
		arr, _ := v.([]any)
		for i, e := range arr {
			ep := joinIndex(kp, i)
			if d.bad[ep] {
				continue
			}
			if s, ok := d.path(e, ep); ok {
				d.addEntry(kp, s, s, ep)
			}
		}
	}
}

// decodePorts reads network.connect_ports or network.bind_ports: TCP
// ports, 1 to 65535, each once.
func (d *fileDecoder) decodePorts(t map[string]any, p, key string) {
	v, kp, ok := d.child(t, p, key)
	if !ok {
		return
	}
	arr, _ := v.([]any)
	for i, e := range arr {
		ep := joinIndex(kp, i)
		if d.bad[ep] {
			continue
		}
		if n, ok := d.intIn(e, ep, 1, 65535); ok {
			d.addEntry(kp, fmt.Sprint(n), int(n), ep)
		}
	}
}
