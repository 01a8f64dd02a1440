package testutil

import (
	"os"
	"testing"

	shared "sandbox/internal/testutil"
)

// OpenPTY returns a new pseudo-terminal's master and slave
// (shared.OpenPTY).
func OpenPTY(t testing.TB) (master, slave *os.File) {
	t.Helper()
	return shared.OpenPTY(t)
}
