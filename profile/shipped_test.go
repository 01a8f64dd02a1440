package profile

import (
	"io/fs"
	"testing"

	"sandbox/profiles"
)

func shippedProfiles(t *testing.T) fs.FS {
	t.Helper()
	return profiles.FS
}
