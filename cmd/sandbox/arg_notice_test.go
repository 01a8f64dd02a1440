package main

import "testing"

// TestArgPath checks which arguments name a host path the launch looks
// at: absolute paths, --option=/path values and local file:// URLs.
func TestArgPath(t *testing.T) {
	for arg, want := range map[string]string{
		"/home/u/www/index.html":          "/home/u/www/index.html",
		"/a/../b/./c":                     "/b/c",
		"file:///home/u/www/index.html":   "/home/u/www/index.html",
		"file://localhost/srv/x%20y.html": "/srv/x y.html",
		"--screenshot=/home/u/shot.png":   "/home/u/shot.png",
		"-o=/tmp/out":                     "/tmp/out",
		"file://example.org/etc/passwd":   "",
		"https://example.org/index.html":  "",
		"relative/path":                   "",
		"--screenshot":                    "",
		"--level=3":                       "",
		"name=/not/an/option":             "",
		"":                                "",
		"/with\x00nul":                    "",
	} {
		if got := argPath(arg); got != want {
			t.Errorf("argPath(%q) = %q, want %q", arg, got, want)
		}
	}
}
