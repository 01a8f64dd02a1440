package launcher

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sandbox/internal/testutil"
)

// populateReadWorks says whether this kernel knows MADV_POPULATE_READ
// (Linux 5.14), on a page of its own.
func populateReadWorks(t *testing.T) bool {
	b, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	return unix.Madvise(b, unix.MADV_POPULATE_READ) == nil
}

// A process that goes on into Go (this test binary, whose constructor is
// the launcher's) has its read-only image mapped before the runtime
// starts (prefault.c): every page of each read-only mapping of the
// executable is resident in it, where faulting on demand leaves most of a
// binary this size unmapped.
func TestImageIsPrefaultedBeforeGo(t *testing.T) {
	// A kernel before 5.14 is a fact of the host, not a missing package:
	// the launcher then faults its image in as before, and works.
	if !populateReadWorks(t) {
		testutil.SkipHostFact(t, "MADV_POPULATE_READ on a page of this test's own failed: the kernel predates it (Linux 5.14)")
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type vma struct {
		head      string
		size, rss int
	}
	var maps []*vma
	var cur *vma
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			cur = nil
			if len(fields) == 6 && fields[5] == exe && !strings.Contains(fields[1], "w") {
				cur = &vma{head: line}
				maps = append(maps, cur)
			}
		case cur != nil && len(fields) == 3 && (fields[0] == "Size:" || fields[0] == "Rss:"):
			n, _ := strconv.Atoi(fields[1])
			if fields[0] == "Size:" {
				cur.size = n
			} else {
				cur.rss = n
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(maps) == 0 {
		t.Fatalf("no read-only mapping of %s in /proc/self/smaps", exe)
	}
	total := 0
	for _, m := range maps {
		total += m.size
		if m.rss < m.size {
			t.Errorf("%s\n\t%d of %d KiB resident: the image was not prefaulted", m.head, m.rss, m.size)
		}
	}
	if total < 1024 {
		t.Fatalf("read-only image of %d KiB: too small for the check to mean anything", total)
	}
}
