package testutil

import (
	"os"
	"testing"
)

// RequireOrSkip skips a test whose requirement is missing, saying why; under
// CI=true, where every requirement must be met, it fails the test instead.
func RequireOrSkip(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("requirement missing under CI: %s", why)
	}
	t.Skip("requirement missing: " + why)
}

// RequireRoot skips (or under CI fails) a test that must run as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	RequireOrSkip(t, os.Geteuid() == 0, "the test needs root (it mounts on the host or drops to another user)")
}
