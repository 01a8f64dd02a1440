package instance

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	r, err := Parse([]byte("sandbox-instance-1\x00abc\x00web\x0042\x00777\x0041\x00-p\x00minimal\x00true\x00"))
	if err != nil || r.ID != "abc" || r.Name != "web" || r.PID != 42 || r.Start != 777 || r.Launcher != 41 ||
		len(r.Args) != 3 || r.Args[2] != "true" {
		t.Fatalf("Parse = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "other\x00a\x00b\x001\x002\x003\x00", "sandbox-instance-1\x00a\x00b\x00x\x002\x003\x00"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) accepted a bad record", bad)
		}
	}
}

// TestListPrunes: a record naming this process with its true start time
// is alive; with another start time (a reused pid) it is pruned.
func TestListPrunes(t *testing.T) {
	dir := t.TempDir()
	start, ok := StartTime(os.Getpid())
	if !ok {
		t.Fatal("no start time for this process")
	}
	write := func(id string, start uint64) {
		rec := "sandbox-instance-1\x00" + id + "\x00\x00" + strconv.Itoa(os.Getpid()) + "\x00" +
			strconv.FormatUint(start, 10) + "\x001\x00true\x00"
		if err := os.WriteFile(filepath.Join(dir, id), []byte(rec), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("live", start)
	write("reused", start+1)
	got := List([]string{dir})
	if len(got) != 1 || got[0].ID != "live" {
		t.Fatalf("List = %+v, want only the live record", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "reused")); err == nil {
		t.Error("the stale record was not pruned")
	}
}
