package profile

import "fmt"

// A profile that binds the directory sandbox was started from (${CWD})
// meets, from some directories, a mount of its own at the same place: a
// git profile binds ~/src and ${CWD}, and `cd ~/src && sandbox git ...`
// names ~/src twice. Where the ${CWD} entry mounts the same host path the
// same way as the earlier entry, it adds nothing and is dropped; where it
// would mount something else there (cd /tmp, which the profile makes a
// private tmpfs), the duplicate stays an error, and one that says it is the
// caller's directory, not the file, that is the cause.

// dropRedundantCwdMounts removes each ${CWD} mount that repeats an earlier
// entry with the same target, type and source.
func dropRedundantCwdMounts(m *merged) {
	entries := m.lists["mount"]
	first := map[string]Mount{}
	out := entries[:0:0]
	dropped := false
	for _, e := range entries {
		mt := e.val.(Mount)
		if mt.Type == MountRemountRO {
			out = append(out, e)
			continue
		}
		prev, dup := first[mt.Target]
		if dup && e.cwd && prev.Type == mt.Type && prev.Source == mt.Source {
			dropped = true
			continue
		}
		if !dup {
			first[mt.Target] = mt
		}
		out = append(out, e)
	}
	if dropped {
		m.lists["mount"] = out
		delete(m.at, "mount")
	}
}

// cwdDuplicateSituation says why a ${CWD} mount collides with another
// entry, in the caller's terms.
func cwdDuplicateSituation(target string) string {
	return fmt.Sprintf("you started it from %s, a place the profile mounts something else on", target)
}
