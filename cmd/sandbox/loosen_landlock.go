package main

import "sandbox/profile"

// landlockLoosenings says when the sandbox runs without its second wall:
// turned off, or left out because no_new_privs is off (the kernel applies
// a ruleset only under no_new_privs).
func landlockLoosenings(p *profile.Profile) []string {
	switch {
	case !p.Landlock.Enabled:
		return []string{"Landlock is off: nothing behind the mount view limits file access, mounts in nested namespaces, or signals and abstract sockets to the host (landlock.enabled = false, " +
			originString(p.Origins["landlock.enabled"]) + ")"}
	case !p.Process.NoNewPrivs:
		return []string{"Landlock is off because process.no_new_privs = false (" + originString(p.Origins["process.no_new_privs"]) +
			"): the kernel applies a ruleset only under no_new_privs"}
	}
	return nil
}
