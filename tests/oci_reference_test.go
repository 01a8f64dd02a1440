package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ociRefs keeps what each runtime said of its own reference bundle, per
// mode and mapping: the answer is a fact of the host and does not change
// between profiles.
var ociRefs struct {
	mu  sync.Mutex
	out map[string]string
}

// ociReference runs rt, as m, on a bundle of rt's own making (`rt spec`,
// an empty root filesystem, a command that does not exist) and returns
// what rt said. Such a bundle can only fail at the exec of its command:
// a runtime that refuses it earlier, with the complaint the exported
// bundle got, refuses something of this host or of its own version, not
// of the export. With selfMap the rootless bundle maps the caller's id to
// itself, as the exported one does, instead of to 0.
func ociReference(t *testing.T, m mode, rt string, selfMap bool) string {
	t.Helper()
	key := fmt.Sprintf("%s/%s/%v", rt, m.name, selfMap)
	ociRefs.mu.Lock()
	defer ociRefs.mu.Unlock()
	if out, ok := ociRefs.out[key]; ok {
		return out
	}
	bundle := sharedDir(t, 0o777)
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"spec"}
	if m.rootless() {
		args = append(args, "--rootless")
	}
	spec := exec.Command(rt, args...)
	spec.Dir = bundle
	if out, err := spec.CombinedOutput(); err != nil {
		t.Fatalf("%s spec: %v\n%s", rt, err, out)
	}
	file := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]any
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("%s spec wrote %s: %v", rt, file, err)
	}
	proc, _ := all["process"].(map[string]any)
	linux, _ := all["linux"].(map[string]any)
	if proc == nil || linux == nil {
		t.Fatalf("%s spec wrote no process or linux section: %s", rt, data)
	}
	proc["terminal"] = false
	proc["args"] = []string{"/nonexistent"}
	if m.rootless() {
		// One id each, the unprivileged user's, mapped to 0 (or to
		// itself), as an unprivileged user may write without helpers.
		// runc's spec names root's ids, being written as root, and
		// crun's names none (crun would ask newuidmap for a range).
		inside := func(host uint32) uint32 {
			if selfMap {
				return host
			}
			return 0
		}
		linux["uidMappings"] = []map[string]uint32{{"containerID": inside(m.cred.Uid), "hostID": m.cred.Uid, "size": 1}}
		linux["gidMappings"] = []map[string]uint32{{"containerID": inside(m.cred.Gid), "hostID": m.cred.Gid, "size": 1}}
	}
	if data, err = json.Marshal(all); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	state := sharedDir(t, 0o777)
	id := fmt.Sprintf("sbx-ref-%d", time.Now().UnixNano())
	c := exec.Command(rt, "--root", state, "run", "-b", bundle, id)
	c.Dir = bundle
	c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "XDG_RUNTIME_DIR=" + state}
	if m.rootless() {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	c.Run()
	d := exec.Command(rt, "--root", state, "delete", "-f", id)
	if m.rootless() {
		d.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	d.Run()
	if ociRefs.out == nil {
		ociRefs.out = map[string]string{}
	}
	ociRefs.out[key] = out.String()
	return out.String()
}
