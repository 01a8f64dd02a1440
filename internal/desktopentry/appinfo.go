package desktopentry

import (
	"errors"
	"fmt"
)

// GLib finds an application by its desktop file id in each data directory
// in turn, the user's first, and takes the first entry that it can load
// (g_desktop_app_info_new). An entry of the user's that GLib cannot load
// does not hide the system one: GLib goes on to the system entry and
// starts it unsandboxed. So an entry that shadows a system one must load.

// glibSkips says why GLib would not load kf as an application
// (g_desktop_app_info_load_from_keyfile, GLib 2.74), "" when it loads it.
func glibSkips(kf *keyFile) string {
	if g := kf.startGroup(); g != groupEntry {
		return fmt.Sprintf("its first group is [%s], not [%s]", g, groupEntry)
	}
	if kf.str(groupEntry, "Type") != "Application" {
		return "it has no Type=Application"
	}
	if t := kf.str(groupEntry, "TryExec"); t != "" {
		if _, ok := findProgram(t); !ok {
			return fmt.Sprintf("its TryExec %s is not installed", t)
		}
	}
	if e := kf.str(groupEntry, "Exec"); e != "" {
		words, err := glibShellParse(e)
		if err != nil {
			return fmt.Sprintf("its Exec does not parse (%v)", err)
		}
		if _, ok := findProgram(words[0].word); !ok {
			return fmt.Sprintf("its Exec runs %s, which is not installed", words[0].word)
		}
	}
	return ""
}

// glibCannotLoad reports whether err says that GLib refuses the file.
func glibCannotLoad(err error) bool {
	var kfe *keyFileError
	return errors.As(err, &kfe) && kfe.glibRejects
}
