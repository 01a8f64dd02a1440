// Package profiles holds the profiles shipped with sandbox. They are built
// into the binary, so `sandbox -p minimal` works before anything is
// installed; they are the last directory of the search path, after
// $XDG_CONFIG_HOME/sandbox/profiles, /etc/sandbox/profiles,
// /usr/local/share/sandbox/profiles and /usr/share/sandbox/profiles
// (profile.SystemDirs), so a file of the same name in any of those
// replaces or (with extends) changes the built-in one.
package profiles

import "embed"

// FS holds every shipped profile as NAME.toml at its root.
//
//go:embed *.toml
var FS embed.FS
