package launcher

import (
	"fmt"
	"syscall"
)

// namespaceIDs are the inode numbers of pid's namespaces, as
// /proc/PID/ns shows them ("net:[4026531840]" gives net: 4026531840).
// A namespace the kernel lacks, or one that cannot be read, is left out.
func namespaceIDs(pid int) map[string]uint64 {
	out := map[string]uint64{}
	for _, ns := range []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"} {
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, ns), &st); err == nil {
			out[ns] = st.Ino
		}
	}
	return out
}
