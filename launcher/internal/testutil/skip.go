package testutil

import (
	"os"
	"testing"

	shared "sandbox/internal/testutil"
)

// RequireOrSkip skips a test whose requirement is missing, saying why; under
// CI=true, where every requirement must be met, it fails the test instead.
func RequireOrSkip(t testing.TB, ok bool, why string) {
	t.Helper()
	shared.RequireOrSkip(t, ok, why)
}

// RequireRoot skips (or under CI fails) a test that must run as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	RequireOrSkip(t, os.Geteuid() == 0, "the test needs root (it mounts on the host or drops to another user)")
}
