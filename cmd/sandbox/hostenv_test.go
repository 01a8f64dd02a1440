package main

import (
	"os"
	"path/filepath"
	"testing"
)

// lookupUser finds a user of /etc/passwd without help.
func TestLookupUserPasswd(t *testing.T) {
	name, home, ok := lookupUser(0, nil)
	if !ok || name != "root" || home == "" {
		t.Fatalf("uid 0: got %q %q %v, want root and its home", name, home, ok)
	}
}

// lookupUser asks getent for a user /etc/passwd does not list, and
// refuses an answer about another uid or one that is not a passwd line.
func TestLookupUserGetent(t *testing.T) {
	dir := t.TempDir()
	script := `#!/bin/sh
case "$2" in
4242421) echo "ldapuser:*:4242421:100:LDAP User:/home/ldapuser:/bin/sh" ;;
4242422) echo "other:*:1:100::/home/other:/bin/sh" ;;
4242423) echo "short:4242423" ;;
*) exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "getent"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	for _, c := range []struct {
		uid        uint32
		name, home string
		ok         bool
	}{
		{4242421, "ldapuser", "/home/ldapuser", true},
		{4242422, "", "", false},
		{4242423, "", "", false},
		{4242424, "", "", false},
	} {
		name, home, ok := lookupUser(c.uid, nil)
		if name != c.name || home != c.home || ok != c.ok {
			t.Errorf("uid %d: got %q %q %v, want %q %q %v", c.uid, name, home, ok, c.name, c.home, c.ok)
		}
	}
}
