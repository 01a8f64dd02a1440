// Package testutil holds what every package's tests share.
package testutil

import (
	"os"
	"testing"
)

// RequireOrSkip stops a test whose requirement (root, a program, a kernel
// feature) is missing, saying why. Outside CI the test is skipped; under
// CI=true, where every requirement is installed, it fails instead, so a
// missing requirement can never pass for success.
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
