package profile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSyscallTableFresh regenerates the system call table from the
// golang.org/x/sys in go.mod and fails when syscall_table.go differs, so
// an upgrade of x/sys cannot leave profiles and the filter on an old list.
func TestSyscallTableFresh(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to regenerate the table: %v", err)
	}
	out := filepath.Join(t.TempDir(), "syscall_table.go")
	cmd := exec.Command(goBin, "run", "./internal/gensyscalls", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/gensyscalls: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("syscall_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("profile/syscall_table.go is stale: run go generate ./profile (or make generate)")
	}
}
